/**
 * Which filter the original Aeraki puts on an Istio listener for a service port, by port name: split
 * on `-`, the second segment (case-insensitive) names the family; `metaprotocol` takes the
 * application protocol from the third. Unlike our own proxy, which serves `tcp-dubbo` and
 * `tcp-thrift` with its MetaProtocol codecs, Envoy sidecars get Envoy's own Dubbo and Thrift filters
 * there, as the original writes them.
 */
export type IstioPortFamily =
  | { readonly kind: 'metaprotocol'; readonly protocol: string }
  | { readonly kind: 'metaprotocol-unnamed' }
  | { readonly kind: 'dubbo' | 'thrift' | 'kafka' | 'zookeeper' | 'redis' }
  | { readonly kind: 'none' };

export function istioPortFamily(portName: string): IstioPortFamily {
  const parts = portName.split('-');
  const family = parts[1]?.toLowerCase();
  switch (family) {
    case 'metaprotocol': {
      const protocol = parts[2];
      return protocol === undefined || protocol === ''
        ? { kind: 'metaprotocol-unnamed' }
        : { kind: 'metaprotocol', protocol };
    }
    case 'dubbo':
    case 'thrift':
    case 'kafka':
    case 'zookeeper':
      return { kind: family };
    case 'redis':
      return portName.startsWith('tcp-redis') ? { kind: 'redis' } : { kind: 'none' };
    default:
      return { kind: 'none' };
  }
}
