/**
 * The access log: one line per finished request — successes, errors, and the requests the proxy
 * answered itself (no route, rate limited, connect failure, …), which the original drops. JSON by
 * default; an Envoy-style format string optionally.
 *
 * The request thread only records: a few numbers and string ids per request into a batch
 * (access-log-record.ts). A worker thread formats the lines and writes the file
 * (access-log-worker.ts), so neither formatting nor a slow disk costs the request path; pino's
 * transports run in a worker for the same reason. Building each JSON line on the request thread cost
 * about a microsecond per request, a quarter of everything else the proxy does for it.
 *
 * Batches go to the worker when full and every 100 ms. If the worker falls behind by more than
 * {@link MAX_BATCHES_IN_FLIGHT} batches (its writes are synchronous: a slow disk holds it up), further
 * requests are counted in {@link dropped} instead of logged, so memory stays bounded.
 */
import { closeSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { ActiveRequest } from '../active-request.js';
import { responseCode } from './access-log-entry.js';
import { compileAccessLogFormat } from './access-log-format.js';
import { MAX_RECORD_SLOTS, writeRecord } from './access-log-record.js';
import type { AccessLogWorkerData, FromWorker, ToWorker } from './access-log-worker.js';
import { openLogFile } from './batched-line-writer.js';
import { DEFAULT_REDACTION, withNames, type RedactionSpec } from './attribute-redaction.js';
import { StringTable } from './string-table.js';

export interface AccessLogOptions {
  /** A file path, or `-` for standard output. */
  readonly path: string;
  /** `json` (default), or an Envoy-style format string such as `[%START_TIME%] %REQ(method)% %RESPONSE_FLAGS%`. */
  readonly format?: string;
  /**
   * Which attribute values are written as `[REDACTED]`; default {@link DEFAULT_REDACTION} (names that
   * carry credentials).
   */
  readonly redaction?: RedactionSpec;
  /** More attribute names to redact (exact, case-insensitive), on top of {@link redaction}. */
  readonly redact?: readonly string[];
  /**
   * Share of successful requests logged, 0-100 (default 100). Failed requests, and those the proxy
   * answered itself, are always logged: 0 logs errors only.
   */
  readonly successSamplingPercent?: number;
  /** Told of failed writes (their lines are lost): the first, then at most one every 10 s with a count. */
  readonly onError?: (err: Error) => void;
  /** Bound of the string table before it is reset; for tests. */
  readonly maxStrings?: number;
}

/** 64 Ki slots: 512 KiB, a few thousand records. */
const BATCH_SLOTS = 64 * 1024;
const MAX_BATCHES_IN_FLIGHT = 16;
const FLUSH_MS = 100;
const CLOSE_TIMEOUT_MS = 10_000;
/** A full disk fails every write: one report per this long is enough. */
const ERROR_REPORT_MS = 10_000;

/** What the access log lost, for the proxy's metrics. */
export interface AccessLogStats {
  /** Requests not logged: the worker was behind, or the disk was. */
  readonly dropped: number;
  /** Writes that failed (their lines are lost too, and not counted in `dropped`). */
  readonly writeFailures: number;
}

export class AccessLog {
  /** Requests not handed to the worker because it (or the disk) was behind. */
  private notSent = 0;
  private writeFailures = 0;
  private readonly worker: Worker;
  /** The file, opened here so that a bad path fails the proxy's start; the worker writes to it. */
  private readonly fd: number;
  private readonly strings: StringTable;
  /** Probability that a successful request is logged. */
  private readonly successShare: number;
  private slots = new Float64Array(BATCH_SLOTS);
  private used = 0;
  /** The worker's string table must be cleared before the next batch's strings. */
  private resetPending = false;
  private inFlight = 0;
  private readonly spare: ArrayBuffer[] = [];
  private readonly timer: NodeJS.Timeout;
  private closed = false;
  private onClosed: (() => void) | undefined;

  /** Opens the file (throws now if it cannot be) and starts the worker. */
  constructor(options: AccessLogOptions) {
    const format = options.format ?? 'json';
    // Compiled here too, so that a bad format is reported when the proxy starts.
    if (format !== 'json') compileAccessLogFormat(format);
    this.strings = new StringTable(MAX_RECORD_SLOTS, options.maxStrings);
    this.successShare = (options.successSamplingPercent ?? 100) / 100;
    this.fd = openLogFile(options.path);
    const data: AccessLogWorkerData = {
      path: options.path,
      fd: this.fd,
      format,
      redaction: withNames(options.redaction ?? DEFAULT_REDACTION, options.redact ?? []),
    };
    this.worker = new Worker(new URL('./access-log-worker.js', import.meta.url), { workerData: data });
    this.worker.unref();
    const onError = options.onError ?? (() => {});
    let reportedAt = -Infinity;
    this.worker.on('message', (message: FromWorker) => {
      if (message.type === 'returned') {
        this.inFlight--;
        if (this.spare.length < 2) this.spare.push(message.records);
      } else if (message.type === 'error') {
        this.writeFailures++;
        if (Date.now() - reportedAt >= ERROR_REPORT_MS) {
          reportedAt = Date.now();
          onError(new Error(`${message.message} (${this.writeFailures} failed write(s) so far)`));
        }
      } else {
        this.onClosed?.();
      }
    });
    this.worker.on('error', err =>
      onError(new Error(`access log ${options.path}: ${err.message}`, { cause: err })),
    );
    this.timer = setInterval(() => this.send(), FLUSH_MS);
    this.timer.unref();
  }

  /** Records a finished request. */
  write(request: ActiveRequest, now: number): void {
    if (this.closed) return;
    if (this.successShare < 1 && responseCode(request) === 0 && !(Math.random() < this.successShare)) return;
    if (this.used + MAX_RECORD_SLOTS > this.slots.length || this.strings.full) {
      if (!this.send()) {
        this.notSent++;
        return;
      }
    }
    this.used = writeRecord(this.slots, this.used, request, now, this.strings);
  }

  /** Writes out every request recorded and closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    clearInterval(this.timer);
    this.send(true);
    this.closed = true;
    const closed = new Promise<void>(resolve => (this.onClosed = resolve));
    this.post({ type: 'close' });
    this.worker.ref();
    let timeout: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<void>(resolve => (timeout = setTimeout(resolve, CLOSE_TIMEOUT_MS)));
    await Promise.race([closed, gaveUp]);
    clearTimeout(timeout);
    await this.worker.terminate();
    if (this.fd !== 1) closeSync(this.fd);
  }

  /** Requests not logged: the worker was behind (see {@link MAX_BATCHES_IN_FLIGHT}), or the disk was. */
  get dropped(): number {
    return this.notSent;
  }

  stats(): AccessLogStats {
    return { dropped: this.dropped, writeFailures: this.writeFailures };
  }

  /** Batches handed to the worker and not yet written by it. */
  get batchesInFlight(): number {
    return this.inFlight;
  }

  /**
   * Hands the batch (and the strings it introduced) to the worker. False when the worker is too far
   * behind to take it, unless `force`d.
   */
  private send(force = false): boolean {
    if (this.used === 0 && !this.strings.full) return true;
    if (this.inFlight >= MAX_BATCHES_IN_FLIGHT && !force) return false;
    const records = this.slots.buffer as ArrayBuffer;
    this.post(
      {
        type: 'batch',
        reset: this.resetPending,
        strings: this.strings.takePending(),
        records,
        slots: this.used,
      },
      [records],
    );
    this.inFlight++;
    this.resetPending = false;
    if (this.strings.full) {
      this.strings.reset();
      this.resetPending = true;
    }
    const buffer = this.spare.pop();
    this.slots = buffer === undefined ? new Float64Array(BATCH_SLOTS) : new Float64Array(buffer);
    this.used = 0;
    return true;
  }

  private post(message: ToWorker, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(message, transfer);
  }
}
