import type { AppConfig } from '../config/app-config';

/** What Fastify's `trustProxy` option is given: off, the proxies' addresses, or a trust function. */
export type FastifyTrustProxy = false | string[] | ((address: string, hop: number) => boolean);

/**
 * TRUST_PROXY as Fastify's `trustProxy`. Addresses and CIDR ranges are passed as they are. A hop count
 * cannot be: since 5.12 Fastify treats a number as "trust nobody" (silently), because a hop count
 * trusts whoever connects, whatever their address. It is honoured here as the README documents it
 * (the last `n` forwarders are trusted, as in Express), which is sound only when nothing but the
 * proxies can reach the service; the proxies' addresses are the safer setting.
 */
export function fastifyTrustProxy(setting: AppConfig['trustProxy']): FastifyTrustProxy {
  if (typeof setting !== 'number') return setting;
  if (setting === 0) return false;
  return (_address, hop) => hop < setting;
}
