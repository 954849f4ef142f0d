import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/** A new signing secret in the Standard Webhooks form: `whsec_` and the base64 of 32 random bytes. */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/**
 * The Standard Webhooks headers of one attempt: webhook-id (the event's, the same on every retry), the
 * attempt's timestamp, and one `v1,…` signature per secret, space-separated (the old and the new one during
 * a rotation's overlap). Signed by the `standardwebhooks` reference library.
 */
export function signedHeaders(eventId: string, payload: string, secrets: string[], now = new Date()): Record<string, string> {
  const seconds = Math.floor(now.getTime() / 1000);
  const at = new Date(seconds * 1000);
  return {
    'webhook-id': eventId,
    'webhook-timestamp': String(seconds),
    'webhook-signature': secrets.map((secret) => new Webhook(secret).sign(eventId, at, payload)).join(' '),
  };
}
