/**
 * The Thrift codec's name and capabilities, apart from its code (index.ts): the built-in registry
 * names it without loading it (see LazyCodecFactory).
 */
import type { CodecCapabilities } from '../../codec/codec.js';
import { CODEC_NAME_PREFIX } from '../../codec/registry.js';

export const THRIFT_CODEC_NAME = `${CODEC_NAME_PREFIX}thrift`;

export const THRIFT_CODEC_CAPABILITIES: CodecCapabilities = {
  requestIds: true,
  heartbeats: false,
  streaming: false,
  serverSpeaksFirst: false,
};
