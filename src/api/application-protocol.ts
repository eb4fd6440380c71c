/**
 * Aeraki `ApplicationProtocol` (metaprotocol.aeraki.io/v1alpha1, cluster-scoped): maps the protocol
 * name in port names (`tcp-metaprotocol-<protocol>-…`) to a codec name.
 *
 * Extensions (old YAML stays valid): `multiplexing`, `codecConfig`, `declarativeCodec`.
 */
import { z } from 'zod';
import type { Resource } from './metadata.js';

/** Every codec name starts with this, as in Aeraki. */
export const CODEC_NAME_PREFIX = 'aeraki.meta_protocol.codec.';

export interface ApplicationProtocolSpec {
  /** Protocol name as it appears in port names, e.g. `trpc`. Matched case-sensitively, as in Aeraki. */
  readonly protocol: string;
  /** Codec name, `aeraki.meta_protocol.codec.<name>`. */
  readonly codec: string;
  /**
   * Extension: share upstream connections between downstream connections. Default true; the proxy
   * uses it only when the codec has request ids, so set false to force one request per connection.
   */
  readonly multiplexing?: boolean;
  /**
   * Extension: the codec's own settings (e.g. `maxFrameSize`, `maxHeaders` for the built-in codecs),
   * handed to every codec instance of the protocol's listeners, as the MetaProtocolProxy's codec
   * config. The proxy refuses a listener whose codec rejects them.
   */
  readonly codecConfig?: Readonly<Record<string, z.core.util.JSONType>>;
  /**
   * Extension: a codec without code. With `codec: aeraki.meta_protocol.codec.declarative`, the
   * description of the protocol's frames (docs/declarative-codec.md), which proxies compile into the
   * protocol's codec.
   */
  readonly declarativeCodec?: Readonly<Record<string, z.core.util.JSONType>>;
}

export type ApplicationProtocol = Resource<'ApplicationProtocol', ApplicationProtocolSpec>;

export const applicationProtocolSpecSchema: z.ZodType<ApplicationProtocolSpec> = z.strictObject({
  protocol: z.string(),
  codec: z.string(),
  multiplexing: z.boolean().optional(),
  codecConfig: z.record(z.string(), z.json()).optional(),
  declarativeCodec: z.record(z.string(), z.json()).optional(),
});

/** The codec whose settings are a description (ApplicationProtocol `declarativeCodec`). */
export const DECLARATIVE_CODEC = `${CODEC_NAME_PREFIX}declarative`;

/** Registered without any ApplicationProtocol document, as Aeraki does. */
export const BUILTIN_APPLICATION_PROTOCOLS: readonly ApplicationProtocolSpec[] = [
  { protocol: 'dubbo', codec: `${CODEC_NAME_PREFIX}dubbo` },
  { protocol: 'thrift', codec: `${CODEC_NAME_PREFIX}thrift` },
];
