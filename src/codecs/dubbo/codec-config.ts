import { codecConfigFields, positiveIntegerSetting } from '../../codec/codec-config.js';
import {
  DEFAULT_MAX_BODY_SIZE,
  DEFAULT_MAX_DEPTH,
  DEFAULT_MAX_HEADER_BYTES,
  DEFAULT_MAX_HEADERS,
} from './wire-constants.js';

/** The limits on a message's header fields (see {@link DubboCodecConfig}). */
export interface HeaderLimits {
  /** Most attachments (map entries) in a request or response. */
  readonly maxHeaders: number;
  /**
   * Largest attachments map, and largest run of a request's fields before its arguments (version,
   * service path, service version, method, parameter types), in bytes as on the wire.
   */
  readonly maxHeaderBytes: number;
}

/**
 * Settings of the Dubbo codec, from the codec config of an ApplicationProtocol or MetaProtocolProxy
 * (`undefined` or `{}` gives the defaults; other keys are ignored, so Aeraki's empty `DubboCodec`
 * config message is accepted as is).
 */
export interface DubboCodecConfig extends HeaderLimits {
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
    maxHeaders: positiveIntegerSetting('dubbo', fields, 'maxHeaders', DEFAULT_MAX_HEADERS, 65535),
    maxHeaderBytes: positiveIntegerSetting(
      'dubbo',
      fields,
      'maxHeaderBytes',
      DEFAULT_MAX_HEADER_BYTES,
      0x7fffffff,
    ),
  };
}
