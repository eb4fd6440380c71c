import { codecConfigFields, positiveIntegerSetting } from '../../codec/codec-config.js';
import { DEFAULT_MAX_DEPTH, DEFAULT_MAX_FRAME_SIZE } from './wire-constants.js';

/**
 * Settings of the Thrift codec, from the codec config of an ApplicationProtocol or MetaProtocolProxy
 * (`undefined` or `{}` gives the defaults; other keys are ignored, so Aeraki's empty `ThriftCodec`
 * config message is accepted as is).
 */
export interface ThriftCodecConfig {
  /**
   * Largest accepted frame, or unframed message, in bytes; larger ones raise CODEC_TOO_LARGE.
   * Default 16 MiB.
   */
  readonly maxFrameSize: number;
  /** Deepest nesting of structs and collections walked in unframed messages. Default 64. */
  readonly maxDepth: number;
}

/** Reads the codec config; throws AERAKI_ERR_CONFIG_INVALID naming the bad field. */
export function parseThriftCodecConfig(config: unknown): ThriftCodecConfig {
  const fields = codecConfigFields('thrift', config);
  return {
    maxFrameSize: positiveIntegerSetting(
      'thrift',
      fields,
      'maxFrameSize',
      DEFAULT_MAX_FRAME_SIZE,
      0x7fffffff,
    ),
    maxDepth: positiveIntegerSetting('thrift', fields, 'maxDepth', DEFAULT_MAX_DEPTH, 1024),
  };
}
