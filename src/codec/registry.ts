import { AerakiError, ErrorCodes } from '../errors.js';
import type { CodecFactory } from './codec.js';

/** The prefix of every codec name, as in Aeraki: `aeraki.meta_protocol.codec.<protocol>`. */
export const CODEC_NAME_PREFIX = 'aeraki.meta_protocol.codec.';

/** Codecs by full name. The proxy looks codecs up here when a listener names one. */
export class CodecRegistry {
  private readonly factories = new Map<string, CodecFactory>();

  /** Adds a codec. Its name must start with {@link CODEC_NAME_PREFIX} and not be registered yet. */
  register(factory: CodecFactory): void {
    if (!factory.name.startsWith(CODEC_NAME_PREFIX) || factory.name.length === CODEC_NAME_PREFIX.length) {
      throw new AerakiError(
        ErrorCodes.CODEC_UNKNOWN,
        `codec name '${factory.name}' must look like '${CODEC_NAME_PREFIX}<protocol>'`,
      );
    }
    if (this.factories.has(factory.name)) {
      throw new AerakiError(ErrorCodes.CODEC_DUPLICATE, `codec '${factory.name}' is already registered`);
    }
    this.factories.set(factory.name, factory);
  }

  /** The codec registered as `name`, or `undefined`. */
  get(name: string): CodecFactory | undefined {
    return this.factories.get(name);
  }

  /** The codec registered as `name`; throws a catalogued error naming the known codecs otherwise. */
  require(name: string): CodecFactory {
    const factory = this.factories.get(name);
    if (factory === undefined) {
      throw new AerakiError(
        ErrorCodes.CODEC_UNKNOWN,
        `no codec named '${name}' (known: ${[...this.factories.keys()].join(', ') || 'none'})`,
      );
    }
    return factory;
  }

  /** Names of all registered codecs. */
  names(): string[] {
    return [...this.factories.keys()];
  }
}
