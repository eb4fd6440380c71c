import { AerakiError, ErrorCodes } from '../../errors.js';
import { DEFAULT_MAX_BODY_SIZE, DEFAULT_MAX_DEPTH } from './wire-constants.js';

/**
 * Settings of the Dubbo codec, from the codec config of an ApplicationProtocol or MetaProtocolProxy
 * (`undefined` or `{}` gives the defaults; other keys are ignored, so Aeraki's empty `DubboCodec`
 * config message is accepted as is).
 */
export interface DubboCodecConfig {
  /**
   * Largest accepted body, in bytes; a frame announcing a larger one raises CODEC_TOO_LARGE (the
   * client gets a BAD_REQUEST response and the connection is closed). Default 8 MiB, Dubbo's own
   * default `payload` limit.
   */
  readonly maxBodySize: number;
  /** Deepest nesting of Hessian lists, maps and objects walked in a body. Default 512. */
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
      `dubbo codec config: ${key} must be an integer from 1 to ${max}, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** Reads the codec config; throws AERAKI_ERR_CONFIG_INVALID naming the bad field. */
export function parseDubboCodecConfig(config: unknown): DubboCodecConfig {
  if (config === undefined || config === null) {
    return { maxBodySize: DEFAULT_MAX_BODY_SIZE, maxDepth: DEFAULT_MAX_DEPTH };
  }
  if (typeof config !== 'object' || Array.isArray(config)) {
    throw new AerakiError(ErrorCodes.CONFIG_INVALID, 'dubbo codec config must be an object');
  }
  const fields = config as Record<string, unknown>;
  return {
    maxBodySize: positiveInteger(fields, 'maxBodySize', DEFAULT_MAX_BODY_SIZE, 0x7fffffff),
    maxDepth: positiveInteger(fields, 'maxDepth', DEFAULT_MAX_DEPTH, 4096),
  };
}
