import type { ListenerResource } from '../../../src/xds/resources.js';
import { toyCodecFactory } from './toy-codec.js';

/** A toy-protocol listener on `address`, port 0 (any), routed by the table `toy_0`. */
export function toyListener(address: string, overrides: Partial<ListenerResource> = {}): ListenerResource {
  return {
    name: `${address}_0`,
    address,
    port: 0,
    protocol: 'toy',
    codec: toyCodecFactory.name,
    routeConfigName: 'toy_0',
    statPrefix: 'outbound|0||toy',
    requestTimeoutMs: 5000,
    multiplexing: true,
    ...overrides,
  };
}
