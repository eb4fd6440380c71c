import { codecConfigFields, positiveIntegerSetting } from '../../codec/codec-config.js';
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

/** Reads the codec config; throws AERAKI_ERR_CONFIG_INVALID naming the bad field. */
export function parseDubboCodecConfig(config: unknown): DubboCodecConfig {
  const fields = codecConfigFields('dubbo', config);
  return {
    maxBodySize: positiveIntegerSetting('dubbo', fields, 'maxBodySize', DEFAULT_MAX_BODY_SIZE, 0x7fffffff),
    maxDepth: positiveIntegerSetting('dubbo', fields, 'maxDepth', DEFAULT_MAX_DEPTH, 4096),
  };
}
