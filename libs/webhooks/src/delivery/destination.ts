import { lookup as dnsLookup } from 'node:dns';
import type { LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Where webhooks may be sent (SSRF guard). A subscriber chooses the URL and the server connects to it, so
 * without this a subscriber could make the server POST to its own loopback services, the private network
 * or the cloud metadata endpoint (169.254.169.254).
 *
 * Two checks, because a host name can resolve to anything and resolve differently later (DNS rebinding):
 * - when a subscription is written, `webhookUrlProblem` refuses what the URL alone shows (scheme,
 *   credentials, a literal address, localhost);
 * - at every connection, `guardedLookup` (the delivery agents' `lookup`) refuses a name that resolves to
 *   a non-public address. Node does not call `lookup` for a literal address, so the sender checks those
 *   itself with `isPublicAddress`.
 */
export interface DestinationPolicy {
  /** Lifts the address checks (not the scheme and credential ones): for development and tests (WEBHOOK_ALLOW_PRIVATE_URLS=true). */
  allowPrivate: boolean;
  /** Only https URLs (production). */
  httpsOnly: boolean;
}

/** The error message of a connection refused by the guard, and of a delivery refused before connecting. */
export const DESTINATION_NOT_ALLOWED = 'destination not allowed';

/** The deprecated IPv4-compatible block ::a.b.c.d (RFC 4291): ipaddr.js calls it unicast, but it only embeds an IPv4 address. */
const IPV4_COMPATIBLE = ipaddr.parseCIDR('::/96');
/** The well-known NAT64 prefix (RFC 6052): a translator forwards 64:ff9b::a.b.c.d to a.b.c.d. */
const NAT64_WELL_KNOWN = ipaddr.parseCIDR('64:ff9b::/96');

/**
 * True when the address (v4 or v6 text) is a public unicast address.
 *
 * IPv4-mapped addresses (::ffff:a.b.c.d, also written ::ffff:7f00:1) are judged as the IPv4 address they
 * are. Otherwise only what ipaddr.js classifies as 'unicast' is public; every special range it knows is
 * refused: loopback, private (RFC 1918), link-local, carrier-grade NAT, multicast, unspecified, broadcast,
 * reserved and documentation ranges, IPv6 unique-local and link-local, and the transition ranges
 * 6to4 (2002::/16), Teredo (2001::/32), IPv4-translated (::ffff:0:0:0/96) and local-use NAT64
 * (64:ff9b:1::/48), which could carry a packet to an IPv4 address we cannot see, and which no webhook
 * receiver needs. Decided on top of ipaddr.js:
 * - the well-known NAT64 prefix 64:ff9b::/96 is judged by the IPv4 address it embeds, so that a server
 *   behind DNS64 on an IPv6-only network can still reach public receivers, but not 64:ff9b::10.0.0.1;
 * - the IPv4-compatible block ::/96 is refused (ipaddr.js calls ::7f00:1 unicast).
 * A zone id ('%eth0') only has a meaning on link-local addresses, so an address with one is refused too.
 */
export function isPublicAddress(address: string): boolean {
  if (isIP(address) === 0 || address.includes('%')) return false;
  const parsed = ipaddr.process(address);
  if (parsed.kind() === 'ipv4') return parsed.range() === 'unicast';
  const v6 = parsed as ipaddr.IPv6;
  if (v6.match(IPV4_COMPATIBLE)) return false;
  if (v6.match(NAT64_WELL_KNOWN)) {
    const [high, low] = v6.parts.slice(6);
    return new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]).range() === 'unicast';
  }
  return v6.range() === 'unicast';
}

/** localhost and its subdomains always mean this machine (RFC 6761), whatever DNS says; a trailing dot changes nothing. */
function isLocalhostName(hostname: string): boolean {
  const name = hostname.replace(/\.+$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}

/**
 * Why this URL cannot be a webhook destination (a sentence fit for a 422 message about `url`), or undefined.
 *
 * The host is read after WHATWG parsing, which has already turned the other spellings of an IPv4 address
 * (2130706433, 0x7f000001, 0177.0.0.1, 127.1, full-width digits) into dotted decimal and percent-decoded
 * names, so every spelling of 127.0.0.1 is checked as 127.0.0.1. A host name is not resolved here: what it
 * resolves to is checked at each connection (guardedLookup).
 */
export function webhookUrlProblem(url: string, policy: DestinationPolicy): string | undefined {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return 'url must be an absolute URL, like https://example.com/webhooks';
  }
  if (policy.httpsOnly && target.protocol !== 'https:') return 'url must use https';
  if (target.protocol !== 'https:' && target.protocol !== 'http:') return 'url must use http or https';
  // Credentials in a URL end up in logs and delivery records; a receiver authenticates the signature instead.
  if (target.username !== '' || target.password !== '') return 'url must not contain a user name or password';
  if (policy.allowPrivate) return undefined;

  // An IPv6 host keeps its brackets in `hostname`.
  const host = target.hostname.replace(/^\[(.*)\]$/, '$1');
  if (isIP(host) !== 0) {
    return isPublicAddress(host) ? undefined : 'url must point to a public address, not a loopback, private, link-local or otherwise reserved one';
  }
  if (isLocalhostName(host)) return 'url must not point to localhost';
  return undefined;
}

function destinationNotAllowed(): Error {
  return new Error(DESTINATION_NOT_ALLOWED);
}

/**
 * A dns.lookup-compatible function (for http.Agent's `lookup` option) that refuses non-public results
 * unless policy.allowPrivate. Every address the name resolves to is checked, not only the one Node would
 * try first: with one public and one private address, a connection could otherwise reach the private one
 * (Node tries several in turn when autoSelectFamily is on). The connection then fails with an error whose
 * message is DESTINATION_NOT_ALLOWED.
 */
export function guardedLookup(policy: DestinationPolicy): LookupFunction {
  if (policy.allowPrivate) return dnsLookup;
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => {
      if (error) return callback(error, '');
      if (addresses.length === 0 || !addresses.every(({ address }) => isPublicAddress(address))) return callback(destinationNotAllowed(), '');
      if (options.all) return callback(null, addresses);
      callback(null, addresses[0].address, addresses[0].family);
    });
  };
}
