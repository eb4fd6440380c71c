/**
 * The Dubbo codec's name and capabilities, apart from its code (index.ts): the built-in registry
 * names it without loading it (see LazyCodecFactory).
 */
import type { CodecCapabilities } from '../../codec/codec.js';
import { CODEC_NAME_PREFIX } from '../../codec/registry.js';

export const DUBBO_CODEC_NAME = `${CODEC_NAME_PREFIX}dubbo`;

export const DUBBO_CODEC_CAPABILITIES: CodecCapabilities = {
  requestIds: true,
  heartbeats: true,
  streaming: false,
  serverSpeaksFirst: false,
};
