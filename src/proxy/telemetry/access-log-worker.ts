/**
 * The access log's worker thread: turns batches of records (access-log-record.ts) into lines, JSON or
 * an Envoy format string, and appends them to the file the request thread opened.
 *
 * Messages in ({@link ToWorker}): a batch (new strings, whether the string table was reset first, the
 * records, transferred), then `close`. Out ({@link FromWorker}): each batch's buffer back for reuse, a
 * write error, and `closed` once every line is written.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { compileAccessLogFormat } from './access-log-format.js';
import { AccessLogJsonEncoder } from './access-log-json.js';
import { RecordReader } from './access-log-record.js';
import { AttributeRedaction, type RedactionSpec } from './attribute-redaction.js';
import { BatchedLineWriter } from './batched-line-writer.js';

export interface AccessLogWorkerData {
  /** For messages; the file is `fd`. */
  readonly path: string;
  readonly fd: number;
  /** `json` or an Envoy-style format string (already validated by the request thread). */
  readonly format: string;
  /** Which attribute values to write as `[REDACTED]`. */
  readonly redaction: RedactionSpec;
}

export type ToWorker =
  | {
      readonly type: 'batch';
      readonly reset: boolean;
      readonly strings: readonly string[];
      readonly records: ArrayBuffer;
      readonly slots: number;
    }
  | { readonly type: 'close' };

export type FromWorker =
  /** A batch's buffer back for reuse. */
  | { readonly type: 'returned'; readonly records: ArrayBuffer }
  | { readonly type: 'error'; readonly message: string }
  | { readonly type: 'closed' };

function run(): void {
  const port = parentPort;
  if (port === null) throw new Error('access-log-worker runs as a worker thread');
  const data = workerData as AccessLogWorkerData;
  const post = (message: FromWorker, transfer: ArrayBuffer[] = []): void =>
    port.postMessage(message, transfer);
  const writer = new BatchedLineWriter(data.fd, data.path, err =>
    post({ type: 'error', message: err.message }),
  );
  const formatter = data.format === 'json' ? undefined : compileAccessLogFormat(data.format);
  const strings: string[] = [];
  const redact = new AttributeRedaction(data.redaction);
  const reader = new RecordReader(strings, redact);
  const json = new AccessLogJsonEncoder(strings, redact);

  port.on('message', (message: ToWorker) => {
    if (message.type === 'close') {
      writer.close();
      post({ type: 'closed' });
      return;
    }
    if (message.reset) {
      strings.length = 0;
      json.reset();
    }
    for (const value of message.strings) strings.push(value);
    const slots = new Float64Array(message.records, 0, message.slots);
    for (let at = 0; at < message.slots;) {
      if (formatter === undefined) {
        at = json.write(slots, at, writer);
        writer.endLine();
      } else {
        const { entry, next } = reader.read(slots, at);
        writer.text(formatter(entry));
        writer.endLine();
        at = next;
      }
    }
    post({ type: 'returned', records: message.records }, [message.records]);
  });
}

run();
