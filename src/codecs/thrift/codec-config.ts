import { AerakiError, ErrorCodes } from '../../errors.js';
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

function positiveInteger(
  config: Record<string, unknown>,
  key: string,
  fallback: number,
  max: number,
): number {
  const value = config[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw new AerakiError(
      ErrorCodes.CONFIG_INVALID,
      `thrift codec config: ${key} must be an integer from 1 to ${max}, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** Reads the codec config; throws AERAKI_ERR_CONFIG_INVALID naming the bad field. */
export function parseThriftCodecConfig(config: unknown): ThriftCodecConfig {
  if (config === undefined || config === null) {
    return { maxFrameSize: DEFAULT_MAX_FRAME_SIZE, maxDepth: DEFAULT_MAX_DEPTH };
  }
  if (typeof config !== 'object' || Array.isArray(config)) {
    throw new AerakiError(ErrorCodes.CONFIG_INVALID, 'thrift codec config must be an object');
  }
  const fields = config as Record<string, unknown>;
  return {
    maxFrameSize: positiveInteger(fields, 'maxFrameSize', DEFAULT_MAX_FRAME_SIZE, 0x7fffffff),
    maxDepth: positiveInteger(fields, 'maxDepth', DEFAULT_MAX_DEPTH, 1024),
  };
}
