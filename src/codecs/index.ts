/**
 * The codecs built into aeraki. Each is registered under `aeraki.meta_protocol.codec.<protocol>`.
 */
import { CodecRegistry } from '../codec/registry.js';
import {
  DECLARATIVE_CODEC_CAPABILITIES,
  DECLARATIVE_CODEC_NAME,
} from './declarative/declarative-codec-name.js';
import { dubboCodecFactory } from './dubbo/index.js';
import { thriftCodecFactory } from './thrift/index.js';
import { LazyCodecFactory } from './lazy-codec-factory.js';

/**
 * The declarative codec is loaded when a snapshot first names it (Proxy.apply prepares it): its
 * description's schema is written with zod, which a proxy has no other use for.
 */
function lazyDeclarativeCodecFactory(): LazyCodecFactory {
  return new LazyCodecFactory(
    DECLARATIVE_CODEC_NAME,
    DECLARATIVE_CODEC_CAPABILITIES,
    async () => (await import('./declarative/index.js')).declarativeCodecFactory,
  );
}

/** A registry holding every built-in codec. */
export function builtinCodecs(): CodecRegistry {
  const registry = new CodecRegistry();
  registry.register(dubboCodecFactory);
  registry.register(thriftCodecFactory);
  registry.register(lazyDeclarativeCodecFactory());
  return registry;
}
