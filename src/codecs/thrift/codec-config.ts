import { booleanSetting, codecConfigFields, positiveIntegerSetting } from '../../codec/codec-config.js';
import {
  DEFAULT_MAX_DEPTH,
  DEFAULT_MAX_FRAME_SIZE,
  DEFAULT_MAX_HEADER_BYTES,
  DEFAULT_MAX_HEADERS,
} from './wire-constants.js';

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
  /**
   * Deepest nesting of structs and collections walked (the arguments struct counts as 1); deeper
   * ones raise CODEC_TOO_LARGE. Default 64, the Apache libraries' recursion limit.
   */
  readonly maxDepth: number;
  /** Most THeader info headers (key/value pairs, of both kinds together) in a frame. Default 128. */
  readonly maxHeaders: number;
  /** Largest THeader header block, in bytes as on the wire. Default 64 KiB. */
  readonly maxHeaderBytes: number;
  /**
   * Whether the struct of every message a client sends is walked before it is forwarded, so that a
   * malformed one is answered with a TApplicationException (PROTOCOL_ERROR) instead of reaching a
   * server connection that other clients share. Default true. Unframed messages are always walked
   * (that is how their end is found).
   */
  readonly validateRequests: boolean;
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
    maxHeaders: positiveIntegerSetting('thrift', fields, 'maxHeaders', DEFAULT_MAX_HEADERS, 65535),
    maxHeaderBytes: positiveIntegerSetting(
      'thrift',
      fields,
      'maxHeaderBytes',
      DEFAULT_MAX_HEADER_BYTES,
      0x3fffc,
    ),
    validateRequests: booleanSetting('thrift', fields, 'validateRequests', true),
  };
}
