/**
 * The proxy's proxy-wide limits as command-line options, shared by `aeraki up` and `aeraki proxy`.
 */
import { parseByteSize } from '../api/byte-size.js';
import { parseDurationMs } from '../api/duration-text.js';
import { AerakiError, ErrorCodes } from '../errors.js';
import { DEFAULT_PROXY_LIMITS, type ProxyLimits } from '../proxy/proxy-limits.js';

export const LIMIT_USAGE = `Limits (sizes in bytes or with a unit: 64Ki, 1Mi, 2Gi; durations like 30s or 1h, 0 = never):
  --connection-buffer-limit SIZE
                      bytes each connection may buffer each way before backpressure (default 1Mi,
                      Envoy's per_connection_buffer_limit_bytes; a listener or cluster may set its own)
  --max-concurrent-requests N
                      requests in flight on one client connection before it stops being read
                      (default 1024)
  --idle-timeout DURATION
                      close client connections idle this long (default 1h, as Envoy's TCP proxy)
  --incomplete-frame-timeout DURATION
                      close a connection whose partly received frame gets no byte this long
                      (default 30s)
  --max-incomplete-frames SIZE
                      bytes held for incomplete frames across all connections (default 64Mi)
  --overload-buffered SIZE
                      budget of bytes held for connections: from 90% of it new connections are
                      refused, from 95% new requests too (default 512Mi; 0 = not watched)
  --overload-heap SIZE
                      the same for the V8 heap in use (default: V8's heap limit)
`;

export const LIMIT_OPTIONS = {
  'connection-buffer-limit': { type: 'string' },
  'max-concurrent-requests': { type: 'string' },
  'idle-timeout': { type: 'string' },
  'incomplete-frame-timeout': { type: 'string' },
  'max-incomplete-frames': { type: 'string' },
  'overload-buffered': { type: 'string' },
  'overload-heap': { type: 'string' },
} as const;

type LimitValues = { readonly [K in keyof typeof LIMIT_OPTIONS]?: string | undefined };

function usage(flag: string, message: string): AerakiError {
  return new AerakiError(ErrorCodes.CLI_USAGE, `--${flag} ${message}`);
}

function size(values: LimitValues, flag: keyof LimitValues, fallback: number, min: number): number {
  const text = values[flag];
  if (text === undefined) return fallback;
  const bytes = parseByteSize(text);
  if (bytes === undefined) throw usage(flag, `must be a size such as 1048576, 64Ki or 1Mi, got '${text}'`);
  if (bytes < min) throw usage(flag, `must be at least ${min} bytes, got '${text}'`);
  return bytes;
}

function duration(values: LimitValues, flag: keyof LimitValues, fallback: number): number {
  const text = values[flag];
  if (text === undefined) return fallback;
  const ms = parseDurationMs(text);
  if (ms === undefined) throw usage(flag, `must be a duration such as 30s, 500ms or 1h, got '${text}'`);
  return Math.round(ms);
}

/** The proxy's limits from parsed options; a malformed value is a usage error naming the option. */
export function limitOptions(values: LimitValues): ProxyLimits {
  const d = DEFAULT_PROXY_LIMITS;
  const concurrentText = values['max-concurrent-requests'];
  const concurrent = concurrentText === undefined ? d.maxConcurrentRequests : Number(concurrentText);
  if (!Number.isSafeInteger(concurrent) || concurrent < 1) {
    throw usage('max-concurrent-requests', `must be a whole number ≥ 1, got '${concurrentText}'`);
  }
  return {
    connectionBufferBytes: size(values, 'connection-buffer-limit', d.connectionBufferBytes, 1),
    maxConcurrentRequests: concurrent,
    idleTimeoutMs: duration(values, 'idle-timeout', d.idleTimeoutMs),
    incompleteFrameTimeoutMs: duration(values, 'incomplete-frame-timeout', d.incompleteFrameTimeoutMs),
    maxIncompleteFrameBytes: size(values, 'max-incomplete-frames', d.maxIncompleteFrameBytes, 1),
    maxBufferedBytes: size(values, 'overload-buffered', d.maxBufferedBytes, 0),
    maxHeapBytes: size(values, 'overload-heap', d.maxHeapBytes, 0),
  };
}
