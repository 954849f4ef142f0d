import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface ConcreteRequest {
  method: string;
  /** Path and query, as sent. */
  target: string;
  headers: Record<string, string>;
  body?: string;
}

const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

/**
 * The request as a curl command that sends the same bytes. Bodies over 4 KiB, or with characters a
 * terminal would mangle, go to a file next to it.
 */
export function toCurl(baseUrl: string, request: ConcreteRequest): string {
  const parts = ['curl', '-sS', '-i', '--globoff', '-X', request.method, quote(`${baseUrl}${request.target}`)];
  for (const [name, value] of Object.entries(request.headers)) parts.push('-H', quote(`${name}: ${value}`));
  if (request.body !== undefined) {
    // Without a content type of its own, curl would send application/x-www-form-urlencoded.
    if (!Object.keys(request.headers).some((name) => name.toLowerCase() === 'content-type')) parts.push('-H', quote('content-type:'));
    // eslint-disable-next-line no-control-regex -- control characters are what cannot go on a command line
    if (request.body.length > 4096 || /[\u0000-\u0008\u000e-\u001f]/.test(request.body)) {
      const file = path.join(tmpdir(), `fuzz-body-${createHash('sha256').update(request.body).digest('hex').slice(0, 12)}.json`);
      writeFileSync(file, request.body);
      parts.push('--data-binary', quote(`@${file}`));
    } else {
      parts.push('--data-binary', quote(request.body));
    }
  }
  return parts.join(' ');
}
