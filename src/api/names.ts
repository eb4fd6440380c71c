/**
 * Name syntaxes shared by the config kinds, with the limits Kubernetes and Istio enforce.
 */
import { isIP } from 'node:net';

const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A DNS-1123 label: lower-case alphanumerics and `-`, at most 63 characters (subset and port names). */
export function isDns1123Label(value: string): boolean {
  return value.length <= 63 && dns1123Label.test(value);
}

/** A DNS-1123 subdomain: dot-separated labels, at most 253 characters (object names). */
export function isDns1123Subdomain(value: string): boolean {
  return value.length > 0 && value.length <= 253 && value.split('.').every(label => dns1123Label.test(label));
}

/**
 * Why `host` is not a fully qualified domain name as Istio checks it, or `undefined` if it is one:
 * at most 255 characters, DNS-1123 labels (a trailing dot is allowed), top-level domain not all digits.
 * A single label such as `reviews` passes, as it does in Istio.
 */
export function fqdnProblem(host: string): string | undefined {
  if (host.length === 0) return 'must not be empty';
  if (host.length > 255) return 'must be at most 255 characters';
  const labels = host.split('.');
  if (labels.length > 1 && labels[labels.length - 1] === '') labels.pop();
  const tld = labels[labels.length - 1] ?? '';
  if (/^[0-9]+$/.test(tld)) return `top-level domain '${tld}' must not be all digits`;
  for (const label of labels) {
    if (!isDns1123Label(label)) {
      return `label '${label}' must be lower-case letters, digits and '-', start and end with a letter or digit, at most 63 characters`;
    }
  }
  return undefined;
}

/** Like {@link fqdnProblem}, but also accepts a leading `*.` wildcard (ServiceEntry and DestinationRule hosts). */
export function hostProblem(host: string): string | undefined {
  if (host === '*') return "'*' alone is not allowed";
  return fqdnProblem(host.startsWith('*.') ? host.slice(2) : host);
}

/** True for `*.example.com`. */
export function isWildcardHost(host: string): boolean {
  return host.startsWith('*');
}

/** True for an IPv4 or IPv6 address. */
export function isIpAddress(value: string): boolean {
  return isIP(value) !== 0;
}

/** Parses `10.0.0.0/24` or `fd00::/64`; `undefined` if `value` is not a CIDR block. */
export function parseCidr(value: string): { address: string; prefixLength: number } | undefined {
  const slash = value.indexOf('/');
  if (slash < 0) return undefined;
  const address = value.slice(0, slash);
  const bits = value.slice(slash + 1);
  const family = isIP(address);
  if (family === 0 || !/^[0-9]{1,3}$/.test(bits)) return undefined;
  const prefixLength = Number(bits);
  if (prefixLength > (family === 4 ? 32 : 128)) return undefined;
  return { address, prefixLength };
}

/** The single address a `/32` or `/128` block stands for, the address itself, or `undefined` for a wider block. */
export function singleAddress(value: string): string | undefined {
  if (isIpAddress(value)) return value;
  const cidr = parseCidr(value);
  if (cidr === undefined) return undefined;
  const full = isIP(cidr.address) === 4 ? 32 : 128;
  return cidr.prefixLength === full ? cidr.address : undefined;
}

/**
 * The parts of an Istio cluster name `outbound|<port>|<subset>|<host>` (how Aeraki's
 * `globalRateLimit.rateLimitService` names the rate-limit service), or `undefined` if `name` is not one.
 */
export function parseClusterName(name: string): { port: number; subset: string; host: string } | undefined {
  const parts = name.split('|');
  if (parts.length !== 4 || parts[0] !== 'outbound') return undefined;
  const [, portText = '', subset = '', host = ''] = parts;
  const port = Number(portText);
  if (!/^[0-9]+$/.test(portText) || port < 1 || port > 65535 || host === '') return undefined;
  return { port, subset, host };
}
