import { isIPv4, isIPv6 } from 'node:net';

/**
 * Whether `host` (a name or an address, as given to listen on) only reaches this machine: `localhost`,
 * 127.0.0.0/8, ::1 and IPv4-mapped loopback. The wildcard addresses (0.0.0.0, ::) are not.
 */
export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const lower = bare.toLowerCase();
  if (lower === 'localhost' || lower.endsWith('.localhost')) return true;
  if (isIPv4(bare)) return bare.startsWith('127.');
  if (isIPv6(bare)) {
    if (lower === '::1' || lower === '0:0:0:0:0:0:0:1') return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
    return mapped !== null && mapped[1]!.startsWith('127.');
  }
  return false;
}
