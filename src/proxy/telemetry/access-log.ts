/**
 * The access log: one line per finished request — successes, errors, and the requests the proxy
 * answered itself (no route, rate limited, connect failure, …), which the original drops. JSON by
 * default; an Envoy-style format string optionally. Lines are batched and written asynchronously
 * (BatchedLineWriter), so a slow disk does not stall the request path.
 */
import type { ActiveRequest } from '../active-request.js';
import { accessLogEntry } from './access-log-entry.js';
import { BatchedLineWriter } from './batched-line-writer.js';
import { accessLogJson } from './access-log-json.js';
import { compileAccessLogFormat, type AccessLogFormatter } from './access-log-format.js';

export interface AccessLogOptions {
  /** A file path, or `-` for standard output. */
  readonly path: string;
  /** `json` (default), or an Envoy-style format string such as `[%START_TIME%] %REQ(method)% %RESPONSE_FLAGS%`. */
  readonly format?: string;
  /** Attribute keys whose values are written as `[REDACTED]` (case-insensitive). */
  readonly redact?: readonly string[];
}

/** Where lines go: a {@link BatchedLineWriter} in production, anything with `write` in tests. */
export interface LineSink {
  write(line: string): unknown;
  close?(): Promise<void>;
}

export class AccessLog {
  private readonly formatter: AccessLogFormatter | undefined;
  private readonly redact: ReadonlySet<string>;

  constructor(
    options: AccessLogOptions,
    private readonly sink: LineSink = new BatchedLineWriter(options.path),
  ) {
    const format = options.format ?? 'json';
    this.formatter = format === 'json' ? undefined : compileAccessLogFormat(format);
    this.redact = new Set((options.redact ?? []).map(k => k.toLowerCase()));
  }

  /** Writes the line of a finished request. */
  write(request: ActiveRequest, now: number): void {
    const formatter = this.formatter;
    const line =
      formatter === undefined
        ? accessLogJson(request, now, this.redact)
        : formatter(accessLogEntry(request, now, this.redact));
    this.sink.write(line + '\n');
  }

  /** Writes out what is buffered and closes the file. */
  async close(): Promise<void> {
    await this.sink.close?.();
  }
}
