/**
 * The access log: one line per finished request — successes, errors, and the requests the proxy
 * answered itself (no route, rate limited, connect failure, …), which the original drops. JSON by
 * default; an Envoy-style format string optionally. Lines are buffered and written asynchronously
 * (pino's SonicBoom), so a slow disk does not stall the request path.
 */
import { pino } from 'pino';
import type { ActiveRequest } from '../active-request.js';
import { accessLogEntry } from './access-log-entry.js';
import { compileAccessLogFormat, type AccessLogFormatter } from './access-log-format.js';

export interface AccessLogOptions {
  /** A file path, or `-` for standard output. */
  readonly path: string;
  /** `json` (default), or an Envoy-style format string such as `[%START_TIME%] %REQ(method)% %RESPONSE_FLAGS%`. */
  readonly format?: string;
  /** Attribute keys whose values are written as `[REDACTED]` (case-insensitive). */
  readonly redact?: readonly string[];
}

/** Where lines go: SonicBoom in production, anything with `write` in tests. */
export interface LineSink {
  write(line: string): unknown;
  flushSync?(): void;
  end?(): void;
}

export class AccessLog {
  private readonly formatter: AccessLogFormatter | undefined;
  private readonly redact: ReadonlySet<string>;

  constructor(
    options: AccessLogOptions,
    private readonly sink: LineSink = openSink(options.path),
  ) {
    const format = options.format ?? 'json';
    this.formatter = format === 'json' ? undefined : compileAccessLogFormat(format);
    this.redact = new Set((options.redact ?? []).map(k => k.toLowerCase()));
  }

  /** Writes the line of a finished request. */
  write(request: ActiveRequest, now: number): void {
    const entry = accessLogEntry(request, now, this.redact);
    this.sink.write((this.formatter === undefined ? JSON.stringify(entry) : this.formatter(entry)) + '\n');
  }

  /** Writes out what is buffered and closes the file. */
  close(): void {
    try {
      this.sink.flushSync?.();
    } catch {
      // Nothing buffered, or the destination is not ready yet: nothing to lose.
    }
    this.sink.end?.();
  }
}

function openSink(path: string): LineSink {
  return pino.destination({ dest: path === '-' ? 1 : path, sync: false, mkdir: true });
}
