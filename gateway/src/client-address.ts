import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';

/** The address a request came from, as sign-in throttling counts it. */
export type ClientAddress = (req: IncomingMessage) => string;

/**
 * Which address a request is from, given the proxies in front of this gateway. With none trusted
 * (the default) it is the TCP peer and any `X-Forwarded-For` is ignored, so a client cannot name
 * another address to dodge its sign-in limit. Behind a load balancer the peer is the balancer,
 * for every client alike: one guesser's failures would lock an email out for everyone. Listing
 * the balancer in `trusted` (addresses, CIDR ranges or `loopback`, `linklocal`, `uniquelocal`)
 * makes it the nearest address of `X-Forwarded-For` that is not a trusted proxy — the one the
 * balancer saw, never one the client wrote in front of it. IPv4-mapped IPv6 addresses
 * (`::ffff:203.0.113.7`, a dual-stack listener's form) are given as IPv4, so one client is one key.
 *
 * Throws for an entry that is neither an address, a range nor one of the three names.
 */
export function clientAddress(trusted: readonly string[]): ClientAddress {
  if (trusted.length === 0) return (req) => plainIpv4(req.socket.remoteAddress ?? '');
  const trust = proxyaddr.compile([...trusted]);
  return (req) => plainIpv4(proxyaddr(req, trust));
}

/** The entries of a `TRUSTED_PROXIES` list proxy-addr refuses, with its reason; empty when all are valid. */
export function invalidProxyEntries(entries: readonly string[]): string[] {
  return entries.flatMap((entry) => {
    try {
      proxyaddr.compile(entry);
      return [];
    } catch (error) {
      return [`"${entry}": ${error instanceof Error ? error.message : String(error)}`];
    }
  });
}

function plainIpv4(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return mapped ? mapped[1]! : address;
}
