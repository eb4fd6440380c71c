/**
 * Bounds on what one client may make the proxy hold for a single command, so that memory stays
 * bounded whatever a peer sends. A command beyond them gets Redis's own protocol error, then the
 * connection is closed (as Redis does).
 */
export interface RespLimits {
  /** Longest bulk string (one argument) in bytes. Redis's own default (proto-max-bulk-len) is 512 MiB. */
  readonly maxBulkBytes: number;
  /** Most arguments in one command (the multibulk length). */
  readonly maxArrayLength: number;
  /** Longest inline command (a line of text, as telnet sends) and longest header line, in bytes. */
  readonly maxInlineBytes: number;
  /** Largest command in bytes, all its arguments together. */
  readonly maxCommandBytes: number;
}

/**
 * 64 MiB per argument, a million arguments, 64 KiB per inline command (Redis's PROTO_INLINE_MAX_SIZE),
 * 256 MiB per command.
 */
export const DEFAULT_RESP_LIMITS: RespLimits = {
  maxBulkBytes: 64 * 1024 * 1024,
  maxArrayLength: 1024 * 1024,
  maxInlineBytes: 64 * 1024,
  maxCommandBytes: 256 * 1024 * 1024,
};
