/**
 * The JSON access-log line, written on the access log's worker thread straight from a record
 * (access-log-record.ts) into the log's bytes. Field order is not that of {@link AccessLogEntry}: the
 * per-request numbers come first, then runs of fields that repeat from request to request, each
 * rendered once and copied whole afterwards:
 *
 * ```
 * line       = "{" time-run number ',"request_id":' number ',"bytes_received":' number
 *              ',"bytes_sent":' number operation listener-run route-run outcome-run address-run
 *              ',"request":{' [pairs] "}" [ ',"response":{' [pairs] "}" ] "}"
 * time-run   = '"start_time":"' ISO-8601 '","duration":'          ; one per millisecond
 * operation  = ',"operation":' string                               ; one per string id
 * listener-run = ',"listener":' string ',"protocol":' string        ; one per id pair, and so on:
 * route-run  = ',"route_name":' string ',"upstream_cluster":' string ',"upstream_host":' string
 * outcome-run = ',"response_code":' number ',"response_flags":' string ',"response_code_details":' string
 * address-run = ',"downstream_remote_address":' string ',"downstream_local_address":' string
 * pairs      = pair *( "," pair ),  pair = string ":" string         ; one per (key, value) id pair
 * ```
 *
 * Copying a run costs about what copying one byte at a time costs for a dozen (bench:features
 * --cpu-prof): a line is a few copies and four numbers.
 */
import { REDACTED } from './access-log-entry.js';
import { ATTRIBUTES_SLOT, RecordField, NO_RESPONSE } from './access-log-record.js';
import type { BatchedLineWriter } from './batched-line-writer.js';
import { isoTime } from './access-log-entry.js';

const ascii = (text: string): Uint8Array => Buffer.from(text, 'latin1');

const REQUEST_ID = ascii(',"request_id":');
const BYTES_RECEIVED = ascii(',"bytes_received":');
const BYTES_SENT = ascii(',"bytes_sent":');
const REQUEST = ascii(',"request":{');
const RESPONSE = ascii(',"response":{');
const COMMA = ascii(',');
const CLOSE = ascii('}');

/** Run kinds, the top bits of a run's cache key. */
const LISTENER_RUN = 1;
const ROUTE_RUN = 2;
const OUTCOME_RUN = 3;
const ADDRESS_RUN = 4;
const PAIR_RUN = 5;
const OPERATION_RUN = 6;
/** Ids are below 2^16 (StringTable's bound), so three of them and a kind pack into a safe integer. */
const ID_BITS = 2 ** 16;
const MAX_CACHED_RUNS = 100_000;

export class AccessLogJsonEncoder {
  private runs = new Map<number, Uint8Array>();
  private timeMs = -1;
  private timeRun: Uint8Array = new Uint8Array(0);

  /**
   * @param strings the worker's string table, indexed by id
   * @param redact lower-case attribute keys whose values are written as `[REDACTED]`
   */
  constructor(
    private readonly strings: readonly string[],
    private readonly redact: ReadonlySet<string>,
  ) {}

  /** Forgets every run: called when the string table is reset, as ids then mean other strings. */
  reset(): void {
    this.runs = new Map();
  }

  /** Writes the line of the record at slot `at` (without its newline); returns the slot after it. */
  write(slots: Float64Array, at: number, out: BatchedLineWriter): number {
    const startTime = slots[at + RecordField.StartTime]!;
    if (startTime !== this.timeMs) {
      this.timeMs = startTime;
      this.timeRun = ascii(`{"start_time":"${isoTime(startTime)}","duration":`);
    }
    out.raw(this.timeRun);
    out.number(slots[at + RecordField.Duration]!);
    out.raw(REQUEST_ID);
    out.number(slots[at + RecordField.RequestId]!);
    out.raw(BYTES_RECEIVED);
    out.number(slots[at + RecordField.BytesReceived]!);
    out.raw(BYTES_SENT);
    out.number(slots[at + RecordField.BytesSent]!);
    out.raw(this.run(OPERATION_RUN, slots[at + RecordField.Operation]!, 0, 0));
    out.raw(this.run(LISTENER_RUN, slots[at + RecordField.Listener]!, slots[at + RecordField.Protocol]!, 0));
    out.raw(
      this.run(
        ROUTE_RUN,
        slots[at + RecordField.RouteName]!,
        slots[at + RecordField.UpstreamCluster]!,
        slots[at + RecordField.UpstreamHost]!,
      ),
    );
    out.raw(
      this.run(
        OUTCOME_RUN,
        slots[at + RecordField.ResponseCode]!,
        slots[at + RecordField.ResponseFlags]!,
        slots[at + RecordField.ResponseCodeDetails]!,
      ),
    );
    out.raw(
      this.run(
        ADDRESS_RUN,
        slots[at + RecordField.DownstreamRemoteAddress]!,
        slots[at + RecordField.DownstreamLocalAddress]!,
        0,
      ),
    );
    out.raw(REQUEST);
    let next = this.writePairs(slots, at + ATTRIBUTES_SLOT, out);
    if (slots[next] === NO_RESPONSE) {
      next++;
    } else {
      out.raw(RESPONSE);
      next = this.writePairs(slots, next, out);
    }
    out.raw(CLOSE);
    return next;
  }

  /** The members of an attributes object and its closing brace; returns the slot after them. */
  private writePairs(slots: Float64Array, at: number, out: BatchedLineWriter): number {
    const count = slots[at++]!;
    for (let i = 0; i < count; i++) {
      if (i > 0) out.raw(COMMA);
      out.raw(this.run(PAIR_RUN, slots[at]!, slots[at + 1]!, 0));
      at += 2;
    }
    out.raw(CLOSE);
    return at;
  }

  /** The bytes of a run, rendered the first time its ids are seen. */
  private run(kind: number, a: number, b: number, c: number): Uint8Array {
    const key = ((kind * ID_BITS + a) * ID_BITS + b) * ID_BITS + c;
    let bytes = this.runs.get(key);
    if (bytes === undefined) {
      if (this.runs.size >= MAX_CACHED_RUNS) this.runs = new Map();
      bytes = Buffer.from(this.render(kind, a, b, c), 'utf8');
      this.runs.set(key, bytes);
    }
    return bytes;
  }

  private render(kind: number, a: number, b: number, c: number): string {
    const s = this.strings;
    const str = (id: number): string => JSON.stringify(s[id]);
    switch (kind) {
      case OPERATION_RUN:
        return `,"operation":${str(a)}`;
      case LISTENER_RUN:
        return `,"listener":${str(a)},"protocol":${str(b)}`;
      case ROUTE_RUN:
        return `,"route_name":${str(a)},"upstream_cluster":${str(b)},"upstream_host":${str(c)}`;
      case OUTCOME_RUN:
        return `,"response_code":${a},"response_flags":${str(b)},"response_code_details":${str(c)}`;
      case ADDRESS_RUN:
        return `,"downstream_remote_address":${str(a)},"downstream_local_address":${str(b)}`;
      default: {
        const key = s[a]!;
        return `${JSON.stringify(key)}:${this.redact.has(key) ? JSON.stringify(REDACTED) : str(b)}`;
      }
    }
  }
}
