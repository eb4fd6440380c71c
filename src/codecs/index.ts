/**
 * The codecs built into aeraki. Each is registered under `aeraki.meta_protocol.codec.<protocol>`.
 */
import { CodecRegistry } from '../codec/index.js';
import { declarativeCodecFactory } from './declarative/index.js';
import { dubboCodecFactory } from './dubbo/index.js';
import { thriftCodecFactory } from './thrift/index.js';

/** A registry holding every built-in codec. */
export function builtinCodecs(): CodecRegistry {
  const registry = new CodecRegistry();
  registry.register(dubboCodecFactory);
  registry.register(thriftCodecFactory);
  registry.register(declarativeCodecFactory);
  return registry;
}
