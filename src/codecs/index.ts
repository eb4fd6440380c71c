/**
 * The codecs built into aeraki. Each is registered under `aeraki.meta_protocol.codec.<protocol>`.
 *
 * Each is loaded when a snapshot first names it (Proxy.apply prepares it; see LazyCodecFactory): a
 * proxy whose listeners use none of them (a Redis proxy) never holds their code, and the declarative
 * codec's description schema is written with zod, which a proxy has no other use for. Their names
 * and capabilities are known without loading them (the control plane's checks read only those).
 */
import { CodecRegistry } from '../codec/registry.js';
import {
  DECLARATIVE_CODEC_CAPABILITIES,
  DECLARATIVE_CODEC_NAME,
} from './declarative/declarative-codec-name.js';
import { DUBBO_CODEC_CAPABILITIES, DUBBO_CODEC_NAME } from './dubbo/codec-name.js';
import { THRIFT_CODEC_CAPABILITIES, THRIFT_CODEC_NAME } from './thrift/codec-name.js';
import { LazyCodecFactory } from './lazy-codec-factory.js';

/** A registry holding every built-in codec. */
export function builtinCodecs(): CodecRegistry {
  const registry = new CodecRegistry();
  registry.register(
    new LazyCodecFactory(
      DUBBO_CODEC_NAME,
      DUBBO_CODEC_CAPABILITIES,
      async () => (await import('./dubbo/index.js')).dubboCodecFactory,
    ),
  );
  registry.register(
    new LazyCodecFactory(
      THRIFT_CODEC_NAME,
      THRIFT_CODEC_CAPABILITIES,
      async () => (await import('./thrift/index.js')).thriftCodecFactory,
    ),
  );
  registry.register(
    new LazyCodecFactory(
      DECLARATIVE_CODEC_NAME,
      DECLARATIVE_CODEC_CAPABILITIES,
      async () => (await import('./declarative/index.js')).declarativeCodecFactory,
    ),
  );
  return registry;
}
