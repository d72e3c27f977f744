/**
 * The address of the client behind a request. Without trusted proxies it is the socket's peer, and
 * X-Forwarded-For is ignored (anyone can send it). With `server.trustedProxies` (addresses or CIDR
 * ranges), a request whose peer is trusted is attributed to the right-most X-Forwarded-For entry
 * that is not itself a trusted proxy: each proxy appends the address it saw, so entries to the left
 * of the last untrusted one could have been written by the client.
 */
import { BlockList, isIP } from 'node:net';
import type { IncomingMessage } from 'node:http';

/** Parse the configured list; throws an Error naming the first bad entry. */
export function trustedProxies(list: readonly string[]): BlockList {
  const block = new BlockList();
  for (const entry of list) {
    const [addr, bits, extra] = entry.trim().split('/');
    const family = isIP(addr);
    const max = family === 4 ? 32 : 128;
    if (!family || extra !== undefined || (bits !== undefined && !/^\d{1,3}$/.test(bits)) || Number(bits) > max) {
      throw new Error(`"${entry}" is not an IP address or CIDR range (e.g. "10.0.0.0/8", "::1")`);
    }
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) block.addAddress(addr, type);
    else block.addSubnet(addr, Number(bits), type);
  }
  return block;
}

function isTrusted(block: BlockList, addr: string): boolean {
  const family = isIP(addr);
  return family !== 0 && block.check(addr, family === 4 ? 'ipv4' : 'ipv6');
}

/** A resolver for one gateway's configuration (no trusted proxies: always the socket's peer). */
export function clientAddressResolver(list: readonly string[] = []): (req: IncomingMessage) => string {
  if (!list.length) return (req) => plain(req.socket.remoteAddress ?? '');
  const block = trustedProxies(list);
  return (req) => {
    const peer = req.socket.remoteAddress ?? '';
    if (!isTrusted(block, peer)) return plain(peer);
    const header = req.headers['x-forwarded-for'];
    const hops = (Array.isArray(header) ? header.join(',') : (header ?? ''))
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = stripPort(hops[i]);
      if (!isIP(hop)) return plain(peer); // garbage in the chain: trust nothing the client could have written
      if (!isTrusted(block, hop)) return plain(hop);
    }
    return plain(hops.length ? stripPort(hops[0]) : peer);
  };
}

/** "::ffff:10.0.0.1" -> "10.0.0.1", so one client has one address whichever socket family it used. */
function plain(addr: string): string {
  return addr.startsWith('::ffff:') && isIP(addr.slice(7)) === 4 ? addr.slice(7) : addr;
}

/** "1.2.3.4:5678" and "[::1]:5678" -> the address (some proxies append the port). */
function stripPort(hop: string): string {
  if (hop.startsWith('[')) return hop.slice(1, hop.indexOf(']') === -1 ? undefined : hop.indexOf(']'));
  const colon = hop.indexOf(':');
  return colon !== -1 && colon === hop.lastIndexOf(':') ? hop.slice(0, colon) : hop;
}
