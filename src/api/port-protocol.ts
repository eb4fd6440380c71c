/**
 * Which layer-7 protocol a service port name selects, following Aeraki's port-name convention:
 * split on `-`; the second segment, compared case-insensitively, names the protocol family; for
 * `metaprotocol` the third segment names the application protocol. The first segment is not checked.
 *
 * `tcp-metaprotocol-thrift-9090` → MetaProtocol `thrift`; `tcp-thrift-hello` and `tcp-dubbo` → MetaProtocol
 * `thrift` / `dubbo` (served here by the MetaProtocol proxy with that codec); bare `tcp-metaprotocol`
 * names no protocol (Aeraki crashes on it; here it is a config error). `tcp-redis[-…]` selects the
 * Redis proxy (Aeraki's condition: the second segment is `redis` and the name starts with `tcp-redis`).
 */

export type PortProtocol =
  /** Served by the MetaProtocol proxy with the codec registered for `protocol`. */
  | { readonly family: 'metaprotocol'; readonly protocol: string }
  /** `tcp-metaprotocol` without an application protocol segment. */
  | { readonly family: 'metaprotocol-unnamed' }
  /** Served by the Redis proxy (RedisService, RedisDestination). */
  | { readonly family: 'redis' }
  /** A layer-7 family Aeraki knows but this proxy does not serve (mongo, mysql, kafka, zookeeper). */
  | { readonly family: 'other'; readonly protocol: string }
  /** Plain TCP, HTTP, or anything else. */
  | { readonly family: 'none' };

const otherFamilies = new Set(['redis', 'mongo', 'mysql', 'kafka', 'zookeeper']);

export function selectPortProtocol(portName: string): PortProtocol {
  const parts = portName.split('-');
  const family = parts[1]?.toLowerCase();
  if (family === undefined) return { family: 'none' };
  if (family === 'metaprotocol') {
    const protocol = parts[2];
    return protocol === undefined || protocol === ''
      ? { family: 'metaprotocol-unnamed' }
      : { family, protocol };
  }
  if (family === 'thrift' || family === 'dubbo') return { family: 'metaprotocol', protocol: family };
  if (family === 'redis' && portName.startsWith('tcp-redis')) return { family: 'redis' };
  if (otherFamilies.has(family)) return { family: 'other', protocol: family };
  return { family: 'none' };
}
