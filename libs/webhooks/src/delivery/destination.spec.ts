import dns from 'node:dns';
import type { LookupAddress } from 'node:dns';
import { DESTINATION_NOT_ALLOWED, DestinationPolicy, guardedLookup, isPublicAddress, webhookUrlProblem } from './destination';

// Nothing here connects anywhere: URLs are only parsed, and lookups resolve localhost or are stubbed.

const PRODUCTION: DestinationPolicy = { allowPrivate: false, httpsOnly: true };
const STRICT_HTTP: DestinationPolicy = { allowPrivate: false, httpsOnly: false };
const DEVELOPMENT: DestinationPolicy = { allowPrivate: true, httpsOnly: false };

const NOT_PUBLIC = 'url must point to a public address, not a loopback, private, link-local or otherwise reserved one';
const LOCALHOST = 'url must not point to localhost';

describe('webhookUrlProblem', () => {
  it.each([
    // IPv4, one address per range, and the edges of the private ones
    ['loopback', 'https://127.0.0.1/hook'],
    ['loopback, elsewhere in 127/8', 'https://127.255.255.254/hook'],
    ['RFC 1918 10/8', 'https://10.0.0.1/hook'],
    ['RFC 1918 172.16/12, first', 'https://172.16.0.1/hook'],
    ['RFC 1918 172.16/12, last', 'https://172.31.255.255/hook'],
    ['RFC 1918 192.168/16', 'https://192.168.1.1/hook'],
    ['link-local', 'https://169.254.1.1/hook'],
    ['the cloud metadata endpoint', 'https://169.254.169.254/latest/meta-data/'],
    ['carrier-grade NAT 100.64/10, first', 'https://100.64.0.1/hook'],
    ['carrier-grade NAT 100.64/10, last', 'https://100.127.255.254/hook'],
    ['multicast', 'https://224.0.0.1/hook'],
    ['multicast, last', 'https://239.255.255.250/hook'],
    ['unspecified', 'https://0.0.0.0/hook'],
    ['this network 0/8', 'https://0.1.2.3/hook'],
    ['broadcast', 'https://255.255.255.255/hook'],
    ['reserved 240/4', 'https://240.0.0.1/hook'],
    ['IETF protocol assignments 192.0.0/24', 'https://192.0.0.8/hook'],
    ['documentation TEST-NET-1', 'https://192.0.2.1/hook'],
    ['documentation TEST-NET-3', 'https://203.0.113.7/hook'],
    ['benchmarking 198.18/15', 'https://198.18.0.1/hook'],
    // IPv4 spellings that WHATWG parsing turns into dotted decimal
    ['decimal IPv4', 'https://2130706433/hook'],
    ['hexadecimal IPv4', 'https://0x7f000001/hook'],
    ['octal IPv4', 'https://0177.0.0.1/hook'],
    ['short IPv4', 'https://127.1/hook'],
    ['mixed-radix IPv4', 'https://0xa.0.0.1/hook'],
    ['decimal 169.254.169.254', 'https://2852039166/latest/meta-data/'],
    ['IPv4 with a trailing dot', 'https://127.0.0.1./hook'],
    ['full-width digits', 'https://１２７.０.０.１/hook'],
    ['zero as an address', 'https://0/hook'],
    // IPv6
    ['IPv6 loopback', 'https://[::1]/hook'],
    ['IPv6 loopback, long form', 'https://[0:0:0:0:0:0:0:1]/hook'],
    ['IPv6 unspecified', 'https://[::]/hook'],
    ['IPv6 unique-local fc00::/7 (fc)', 'https://[fc00::1]/hook'],
    ['IPv6 unique-local fc00::/7 (fd)', 'https://[fd12:3456:789a::1]/hook'],
    ['IPv6 link-local', 'https://[fe80::1]/hook'],
    ['IPv6 link-local, end of fe80::/10', 'https://[febf::1]/hook'],
    ['IPv6 site-local (deprecated)', 'https://[fec0::1]/hook'],
    ['IPv6 multicast', 'https://[ff02::1]/hook'],
    ['IPv6 documentation', 'https://[2001:db8::1]/hook'],
    ['IPv6 discard-only', 'https://[100::1]/hook'],
    // IPv4 inside IPv6
    ['IPv4-mapped loopback', 'https://[::ffff:127.0.0.1]/hook'],
    ['IPv4-mapped loopback, hex', 'https://[::ffff:7f00:1]/hook'],
    ['IPv4-mapped RFC 1918', 'https://[::ffff:10.0.0.1]/hook'],
    ['IPv4-mapped RFC 1918, hex', 'https://[::ffff:c0a8:101]/hook'],
    ['IPv4-mapped metadata endpoint', 'https://[::ffff:169.254.169.254]/hook'],
    ['IPv4-mapped carrier-grade NAT', 'https://[::ffff:100.64.0.1]/hook'],
    ['IPv4-mapped unspecified', 'https://[::ffff:0.0.0.0]/hook'],
    ['IPv4-mapped multicast', 'https://[::ffff:224.0.0.1]/hook'],
    ['IPv4-mapped broadcast', 'https://[::ffff:255.255.255.255]/hook'],
    ['IPv4-mapped, long form', 'https://[0:0:0:0:0:ffff:7f00:1]/hook'],
    ['IPv4-compatible (deprecated) loopback', 'https://[::127.0.0.1]/hook'],
    ['IPv4-compatible (deprecated) public', 'https://[::93.184.215.14]/hook'],
    ['IPv4-translated', 'https://[::ffff:0:7f00:1]/hook'],
    ['NAT64 of loopback', 'https://[64:ff9b::127.0.0.1]/hook'],
    ['NAT64 of RFC 1918', 'https://[64:ff9b::a00:1]/hook'],
    ['NAT64 of the metadata endpoint', 'https://[64:ff9b::169.254.169.254]/hook'],
    ['local-use NAT64', 'https://[64:ff9b:1::5db8:d70e]/hook'],
    ['6to4', 'https://[2002:7f00:1::1]/hook'],
    ['6to4 of a public address', 'https://[2002:5db8:d70e::1]/hook'],
    ['Teredo', 'https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/hook'],
  ])('refuses %s (%s)', (_what, url) => {
    expect(webhookUrlProblem(url, PRODUCTION)).toBe(NOT_PUBLIC);
    expect(webhookUrlProblem(url.replace('https:', 'http:'), STRICT_HTTP)).toBe(NOT_PUBLIC);
  });

  it.each([
    ['localhost', 'https://localhost/hook'],
    ['localhost with a port', 'https://localhost:8080/hook'],
    ['localhost in capitals', 'https://LocalHost/hook'],
    ['localhost with a trailing dot', 'https://localhost./hook'],
    ['localhost with two trailing dots', 'https://localhost../hook'],
    ['a subdomain of localhost', 'https://api.localhost/hook'],
    ['a subdomain of localhost with a trailing dot', 'https://a.b.localhost./hook'],
    ['localhost percent-encoded', 'https://loc%61lhost/hook'],
  ])('refuses %s (%s)', (_what, url) => {
    expect(webhookUrlProblem(url, PRODUCTION)).toBe(LOCALHOST);
  });

  it.each([
    ['not a URL', 'example.com/hook', 'url must be an absolute URL, like https://example.com/webhooks'],
    ['a relative URL', '/hook', 'url must be an absolute URL, like https://example.com/webhooks'],
    ['an empty string', '', 'url must be an absolute URL, like https://example.com/webhooks'],
    ['http in production', 'http://example.com/hook', 'url must use https'],
    ['ftp in production', 'ftp://example.com/hook', 'url must use https'],
    ['a user name', 'https://user@example.com/hook', 'url must not contain a user name or password'],
    ['a user name and password', 'https://user:secret@example.com/hook', 'url must not contain a user name or password'],
    ['a password only', 'https://:secret@example.com/hook', 'url must not contain a user name or password'],
  ])('refuses %s in production', (_what, url, problem) => {
    expect(webhookUrlProblem(url, PRODUCTION)).toBe(problem);
  });

  it.each([
    ['ftp', 'ftp://example.com/hook'],
    ['file', 'file:///etc/passwd'],
    ['gopher', 'gopher://example.com/'],
    ['javascript', 'javascript:alert(1)'],
    ['data', 'data:text/plain,hello'],
    ['ws', 'ws://example.com/hook'],
  ])('refuses the %s scheme when http is allowed', (_what, url) => {
    expect(webhookUrlProblem(url, STRICT_HTTP)).toBe('url must use http or https');
  });

  it.each([
    ['a host name', 'https://example.com/hook'],
    ['a host name with port, query and fragment', 'https://hooks.example.com:8443/in?tenant=7#x'],
    ['a host name with a trailing dot', 'https://example.com./hook'],
    ['a name that merely contains localhost', 'https://localhost.example.com/hook'],
    ['a name ending in localhost without a dot', 'https://notlocalhost/hook'],
    ['a public IPv4 address', 'https://93.184.215.14/x'],
    ['a public IPv4 address next to 172.16/12', 'https://172.32.0.1/x'],
    ['a public IPv4 address next to 100.64/10', 'https://100.128.0.1/x'],
    ['a public IPv6 address', 'https://[2606:4700::1111]/'],
    ['a public IPv6 address (Google DNS)', 'https://[2001:4860:4860::8888]/'],
    ['an IPv4-mapped public address', 'https://[::ffff:93.184.215.14]/x'],
    ['NAT64 of a public address', 'https://[64:ff9b::93.184.215.14]/x'],
  ])('accepts %s (%s)', (_what, url) => {
    expect(webhookUrlProblem(url, PRODUCTION)).toBeUndefined();
  });

  it('accepts http when https is not required', () => {
    expect(webhookUrlProblem('http://example.com/hook', STRICT_HTTP)).toBeUndefined();
  });

  it.each([
    ['loopback', 'http://127.0.0.1:3000/hook'],
    ['localhost', 'http://localhost:3000/hook'],
    ['RFC 1918', 'http://10.0.0.1/hook'],
    ['IPv6 loopback', 'http://[::1]:3000/hook'],
  ])('allowPrivate lifts the address checks: %s', (_what, url) => {
    expect(webhookUrlProblem(url, DEVELOPMENT)).toBeUndefined();
  });

  it.each([
    ['credentials', 'http://user:secret@127.0.0.1/hook', DEVELOPMENT, 'url must not contain a user name or password'],
    ['another scheme', 'ftp://127.0.0.1/hook', DEVELOPMENT, 'url must use http or https'],
    ['http under https-only', 'http://127.0.0.1/hook', { allowPrivate: true, httpsOnly: true }, 'url must use https'],
  ])('allowPrivate does not lift the %s check', (_what, url, policy, problem) => {
    expect(webhookUrlProblem(url, policy)).toBe(problem);
  });
});

describe('isPublicAddress', () => {
  it.each(['93.184.215.14', '8.8.8.8', '1.1.1.1', '2606:4700::1111', '2001:4860:4860::8888', '::ffff:93.184.215.14', '::ffff:5db8:d70e', '64:ff9b::5db8:d70e'])(
    '%s is public',
    (address) => {
      expect(isPublicAddress(address)).toBe(true);
    },
  );

  it.each([
    '127.0.0.1',
    '10.1.2.3',
    '172.20.0.1',
    '192.168.0.10',
    '169.254.169.254',
    '100.100.100.200',
    '0.0.0.0',
    '255.255.255.255',
    '224.0.0.251',
    '::1',
    '::',
    'fd00::1',
    'fe80::1',
    'fe80::1%eth0',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:a9fe:a9fe',
    '::7f00:1',
    '64:ff9b::a9fe:a9fe',
    '2002:a00:1::1',
    '2001::1',
  ])('%s is not public', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each(['localhost', 'example.com', '2130706433', '127.1', '0x7f000001', '[::1]', ''])('%s is not an address, so not a public one', (text) => {
    expect(isPublicAddress(text)).toBe(false);
  });
});

/** Calls a lookup function the way Node's net does, as a promise. */
function resolveWith(lookup: ReturnType<typeof guardedLookup>, hostname: string, options: dns.LookupOptions): Promise<{ address: string | LookupAddress[]; family?: number }> {
  return new Promise((resolve, reject) => {
    lookup(hostname, options, (error, address, family) => (error ? reject(error) : resolve({ address, family })));
  });
}

describe('guardedLookup', () => {
  afterEach(() => jest.restoreAllMocks());

  it.each([{}, { all: true }, { family: 4 }])('refuses localhost, which resolves to loopback (options %j)', async (options) => {
    await expect(resolveWith(guardedLookup(STRICT_HTTP), 'localhost', options)).rejects.toThrow(new Error(DESTINATION_NOT_ALLOWED));
  });

  it('resolves localhost when private destinations are allowed', async () => {
    const { address } = await resolveWith(guardedLookup(DEVELOPMENT), 'localhost', { all: true });
    expect(Array.isArray(address) && address.length > 0 && address.every(({ address }) => address === '127.0.0.1' || address === '::1')).toBe(true);
  });

  /** Makes dns.lookup answer these addresses (all: true), as a rebinding name would. */
  const resolvingTo = (...addresses: LookupAddress[]) =>
    jest.spyOn(dns, 'lookup').mockImplementation(((_hostname: string, _options: dns.LookupOptions, callback: (error: null, addresses: LookupAddress[]) => void) => {
      process.nextTick(callback, null, addresses);
    }) as unknown as typeof dns.lookup);

  it('refuses a name when any of its addresses is not public, even if the first one is', async () => {
    resolvingTo({ address: '93.184.215.14', family: 4 }, { address: '10.0.0.5', family: 4 });
    await expect(resolveWith(guardedLookup(PRODUCTION), 'rebinding.example', { all: true })).rejects.toThrow(new Error(DESTINATION_NOT_ALLOWED));
    await expect(resolveWith(guardedLookup(PRODUCTION), 'rebinding.example', {})).rejects.toThrow(new Error(DESTINATION_NOT_ALLOWED));
  });

  it('refuses a name that resolves to an IPv4-mapped private address', async () => {
    resolvingTo({ address: '::ffff:169.254.169.254', family: 6 });
    await expect(resolveWith(guardedLookup(PRODUCTION), 'metadata.example', {})).rejects.toThrow(new Error(DESTINATION_NOT_ALLOWED));
  });

  it('answers public addresses in the form asked for: all of them, or the first with its family', async () => {
    const lookup = resolvingTo({ address: '2606:4700::1111', family: 6 }, { address: '93.184.215.14', family: 4 });
    await expect(resolveWith(guardedLookup(PRODUCTION), 'example.com', { all: true })).resolves.toEqual({
      address: [
        { address: '2606:4700::1111', family: 6 },
        { address: '93.184.215.14', family: 4 },
      ],
      family: undefined,
    });
    await expect(resolveWith(guardedLookup(PRODUCTION), 'example.com', { family: 0 })).resolves.toEqual({ address: '2606:4700::1111', family: 6 });
    // The caller's options (the family asked for) reach dns.lookup.
    expect(lookup).toHaveBeenLastCalledWith('example.com', { family: 0, all: true }, expect.any(Function));
  });

  it('passes a DNS failure on as it is', async () => {
    jest.spyOn(dns, 'lookup').mockImplementation(((_hostname: string, _options: dns.LookupOptions, callback: (error: NodeJS.ErrnoException) => void) => {
      process.nextTick(callback, Object.assign(new Error('getaddrinfo ENOTFOUND nowhere.invalid'), { code: 'ENOTFOUND', syscall: 'getaddrinfo' }));
    }) as unknown as typeof dns.lookup);
    await expect(resolveWith(guardedLookup(PRODUCTION), 'nowhere.invalid', {})).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });
});
