/**
 * The codec an upstream pool's connections speak, with the settings of the listener whose requests
 * they carry: a codec config (such as Thrift's maxFrameSize) bounds the responses read upstream as
 * much as the requests read downstream. Listeners with the same codec and settings share one
 * UpstreamCodec, and so share each host's pools and connections.
 */
import type { CodecFactory } from '../codec/index.js';

export interface UpstreamCodec {
  readonly factory: CodecFactory;
  /** The listener's codecConfig, handed to `factory.create('upstream', config)`. */
  readonly config: unknown;
}

/** Hands out one UpstreamCodec per codec and settings (settings compared as JSON). */
export class UpstreamCodecs {
  private readonly byKey = new Map<string, UpstreamCodec>();

  get(factory: CodecFactory, config: unknown): UpstreamCodec {
    // Decoded configs list their fields in a fixed order, so equal settings give equal JSON.
    const key = `${factory.name}\0${config === undefined ? '' : JSON.stringify(config)}`;
    let codec = this.byKey.get(key);
    if (codec === undefined || codec.factory !== factory) {
      codec = { factory, config };
      this.byKey.set(key, codec);
    }
    return codec;
  }
}
