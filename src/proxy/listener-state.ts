import type { CodecFactory } from '../codec/index.js';
import type { DecoderFilter, EncoderFilter } from '../filters/filter.js';
import type { RouteTable } from '../filters/router/route-table.js';
import type { UpstreamCodec } from '../upstream/upstream-codec.js';
import type { ListenerResource } from '../xds/resources.js';

/**
 * Everything a request needs from its listener, as one immutable value. A config update builds a
 * new one and swaps it in; each request captures the value current when it was decoded, so an
 * update never changes the route or filters of a request in flight.
 */
export interface ListenerState {
  readonly resource: ListenerResource;
  /** The listener's codec, for its downstream connections. */
  readonly codecFactory: CodecFactory;
  /** The same codec with the listener's codecConfig, for the upstream connections of its requests. */
  readonly upstreamCodec: UpstreamCodec;
  /** Decoder filters in configured order, router last. */
  readonly decoders: readonly DecoderFilter[];
  /** Encoder filters in the order they run: reverse configured order. */
  readonly encoders: readonly EncoderFilter[];
  /** The route table named by the listener, or undefined until it exists (every request: no route). */
  readonly routeTable: RouteTable | undefined;
}
