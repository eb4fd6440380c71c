/**
 * The generic declarative codec's name and capabilities, apart from its code (index.ts): the
 * built-in registry names it without loading the description's schema (see LazyCodecFactory).
 */
import type { CodecCapabilities } from '../../codec/codec.js';
import { CODEC_NAME_PREFIX } from '../../codec/registry.js';

/** The name of the generic declarative codec, whose codec config is the description. */
export const DECLARATIVE_CODEC_NAME = `${CODEC_NAME_PREFIX}declarative`;

/**
 * Those every description may have; a description without a request id of 4 bytes or more cannot be
 * multiplexed, so its ApplicationProtocol sets `multiplexing: false` (validation says so).
 */
export const DECLARATIVE_CODEC_CAPABILITIES: CodecCapabilities = {
  requestIds: true,
  heartbeats: true,
  streaming: false,
  serverSpeaksFirst: false,
};
