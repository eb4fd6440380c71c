/**
 * The one error catalogue. Every error the product raises on purpose carries a stable code from this
 * table; codes are never reused or renamed, so scripts and dashboards can rely on them.
 */
export const ErrorCodes = {
  /** Bytes on a connection do not follow the protocol's grammar. */
  CODEC_MALFORMED: 'AERAKI_ERR_CODEC_MALFORMED',
  /** A frame exceeds one of the codec's configured limits (size, nesting depth, header count or bytes). */
  CODEC_TOO_LARGE: 'AERAKI_ERR_CODEC_TOO_LARGE',
  /** A frame is well formed but uses a feature the codec does not support. */
  CODEC_UNSUPPORTED: 'AERAKI_ERR_CODEC_UNSUPPORTED',
  /** No codec is registered under the requested name. */
  CODEC_UNKNOWN: 'AERAKI_ERR_CODEC_UNKNOWN',
  /** A codec with the same name is already registered. */
  CODEC_DUPLICATE: 'AERAKI_ERR_CODEC_DUPLICATE',
  /** A config document could not be parsed (YAML syntax). */
  CONFIG_PARSE: 'AERAKI_ERR_CONFIG_PARSE',
  /** A config document breaks a schema or validation rule. */
  CONFIG_INVALID: 'AERAKI_ERR_CONFIG_INVALID',
  /** A config directory or file could not be read. */
  CONFIG_IO: 'AERAKI_ERR_CONFIG_IO',
  /** A listener could not bind its address. */
  LISTEN_FAILED: 'AERAKI_ERR_LISTEN_FAILED',
  /** Bad command-line usage. */
  CLI_USAGE: 'AERAKI_ERR_CLI_USAGE',
  /** An xDS resource cannot be decoded or breaks a rule of the resource model (the proxy NACKs it). */
  XDS_INVALID_RESOURCE: 'AERAKI_ERR_XDS_INVALID_RESOURCE',
  /** A snapshot given to the xDS cache names a cluster it does not contain. */
  XDS_INCONSISTENT_SNAPSHOT: 'AERAKI_ERR_XDS_INCONSISTENT_SNAPSHOT',
  /** A CLI command could not get an answer from a running proxy's or control plane's admin API. */
  ADMIN_UNREACHABLE: 'AERAKI_ERR_ADMIN_UNREACHABLE',
  /** A CLI command named a service, route table or listener the running proxy does not have. */
  NOT_FOUND: 'AERAKI_ERR_NOT_FOUND',
  /** A `--plugin` module could not be found or imported (its own error is the cause). */
  PLUGIN_LOAD_FAILED: 'AERAKI_ERR_PLUGIN_LOAD_FAILED',
  /**
   * A plugin module loaded but cannot be used: its export has the wrong shape, it was written for an
   * SDK version this aeraki does not satisfy, or it registers a malformed or taken name.
   */
  PLUGIN_INVALID: 'AERAKI_ERR_PLUGIN_INVALID',
  /** A request to the Kubernetes API server failed or was refused. */
  KUBERNETES_API: 'AERAKI_ERR_KUBERNETES_API',
  /** The Kubernetes config (kubeconfig, in-cluster service account) could not be loaded. */
  KUBERNETES_CONFIG: 'AERAKI_ERR_KUBERNETES_CONFIG',
  /** A listener configures a filter that is neither built in nor registered by a loaded plugin. */
  FILTER_UNKNOWN: 'AERAKI_ERR_FILTER_UNKNOWN',
  /** The xDS TLS certificate, key or CA file could not be read, or they do not make a TLS context. */
  XDS_TLS_FILES: 'AERAKI_ERR_XDS_TLS_FILES',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

const brand = Symbol.for('aeraki.error');

/** Base class of every catalogued error. `instanceof` works across duplicate copies of the package. */
export class AerakiError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'AerakiError';
  }

  get [brand](): true {
    return true;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
  }
}

/**
 * Raised by a codec's `decode` for bytes it cannot accept. The connection that produced them is
 * answered with the protocol's error reply where it has one, then closed; other connections are not
 * affected.
 */
export class CodecError extends AerakiError {
  constructor(
    code:
      | typeof ErrorCodes.CODEC_MALFORMED
      | typeof ErrorCodes.CODEC_TOO_LARGE
      | typeof ErrorCodes.CODEC_UNSUPPORTED,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.name = 'CodecError';
  }

  static isCodecError(value: unknown): value is CodecError {
    return (
      value instanceof AerakiError &&
      value.code.startsWith('AERAKI_ERR_CODEC_') &&
      value.name === 'CodecError'
    );
  }
}

/** Shorthand for the most common codec failure. */
export function malformed(message: string): CodecError {
  return new CodecError(ErrorCodes.CODEC_MALFORMED, message);
}
