/**
 * The JSON access-log line, written on the access log's worker thread straight from a record
 * (access-log-record.ts) into the log's bytes. Field order is not that of {@link AccessLogEntry}: the
 * per-request numbers come first, then runs of fields that repeat from request to request, each
 * rendered once (with JSON.stringify) and copied whole afterwards:
 *
 * ```
 * line        = time-run number ',"request_id":' number ',"bytes_received":' number
 *               ',"bytes_sent":' number context-run address-run [ pairs ] "}"
 *               [ ',"response":{' [ pairs ] "}" ] "}"
 * time-run    = '{"start_time":"' ISO-8601 '","duration":'        ; one per millisecond
 * context-run = ',"operation":' string ',"listener":' string ',"protocol":' string
 *               ',"route_name":' string ',"upstream_cluster":' string ',"upstream_host":' string
 *               ',"response_code":' number ',"response_flags":' string
 *               ',"response_code_details":' string
 * address-run = ',"downstream_remote_address":' string ',"downstream_local_address":' string
 *               ',"request":{'
 * pairs       = pair *( "," pair ),  pair = string ":" string
 * ```
 *
 * A run is found again by its string ids in a direct-mapped cache. Copying a run costs about what
 * copying a dozen bytes one at a time does, so a line is a handful of copies and four numbers.
 */
import { isoTime, REDACTED } from './access-log-entry.js';
import { ATTRIBUTES_SLOT, NO_RESPONSE, RecordField } from './access-log-record.js';
import type { BatchedLineWriter } from './batched-line-writer.js';

const ascii = (text: string): Uint8Array => Buffer.from(text, 'latin1');

const REQUEST_ID = ascii(',"request_id":');
const BYTES_RECEIVED = ascii(',"bytes_received":');
const BYTES_SENT = ascii(',"bytes_sent":');
const RESPONSE = ascii(',"response":{');
const COMMA = ascii(',');
const CLOSE = ascii('}');

const CONTEXT_FIELDS = [
  RecordField.Operation,
  RecordField.Listener,
  RecordField.Protocol,
  RecordField.RouteName,
  RecordField.UpstreamCluster,
  RecordField.UpstreamHost,
  RecordField.ResponseCode,
  RecordField.ResponseFlags,
  RecordField.ResponseCodeDetails,
];
const ADDRESS_FIELDS = [RecordField.DownstreamRemoteAddress, RecordField.DownstreamLocalAddress];
/** A pair is read where it is: its key, then its value. */
const PAIR_FIELDS = [0, 1];

/**
 * Rendered runs, found by the ids in some fields of a record: one entry per hash of the ids, so a
 * collision renders the run again instead of growing the cache.
 */
class RunCache {
  private readonly ids: Float64Array;
  private readonly runs: (Uint8Array | undefined)[];
  private readonly mask: number;

  /**
   * @param fields the slots, from `at`, whose ids make the run
   * @param render the run's text, from those ids in order
   * @param size entries, a power of two
   */
  constructor(
    private readonly fields: readonly number[],
    private readonly render: (ids: readonly number[]) => string,
    size: number,
  ) {
    this.ids = new Float64Array(size * fields.length);
    this.runs = new Array<Uint8Array | undefined>(size).fill(undefined);
    this.mask = size - 1;
  }

  get(slots: Float64Array, at: number): Uint8Array {
    const fields = this.fields;
    const width = fields.length;
    let hash = 0;
    for (let i = 0; i < width; i++) hash = (Math.imul(hash, 31) + slots[at + fields[i]!]!) | 0;
    const index = hash & this.mask;
    const base = index * width;
    const cached = this.runs[index];
    if (cached !== undefined) {
      let same = true;
      for (let i = 0; i < width && same; i++) same = this.ids[base + i] === slots[at + fields[i]!];
      if (same) return cached;
    }
    const ids: number[] = [];
    for (let i = 0; i < width; i++) {
      const id = slots[at + fields[i]!]!;
      ids.push(id);
      this.ids[base + i] = id;
    }
    const run = Buffer.from(this.render(ids), 'utf8');
    this.runs[index] = run;
    return run;
  }

  clear(): void {
    this.runs.fill(undefined);
  }
}

export class AccessLogJsonEncoder {
  private readonly context: RunCache;
  private readonly addresses: RunCache;
  private readonly pairs: RunCache;
  private timeMs = -1;
  private timeRun: Uint8Array = new Uint8Array(0);

  /**
   * @param strings the worker's string table, indexed by id
   * @param redact lower-case attribute keys whose values are written as `[REDACTED]`
   */
  constructor(strings: readonly string[], redact: ReadonlySet<string>) {
    const str = (id: number): string => JSON.stringify(strings[id]);
    this.context = new RunCache(
      CONTEXT_FIELDS,
      ([operation, listener, protocol, route, cluster, host, code, flags, details]) =>
        `,"operation":${str(operation!)},"listener":${str(listener!)},"protocol":${str(protocol!)}` +
        `,"route_name":${str(route!)},"upstream_cluster":${str(cluster!)},"upstream_host":${str(host!)}` +
        `,"response_code":${code},"response_flags":${str(flags!)},"response_code_details":${str(details!)}`,
      1024,
    );
    this.addresses = new RunCache(
      ADDRESS_FIELDS,
      ([remote, local]) =>
        `,"downstream_remote_address":${str(remote!)},"downstream_local_address":${str(local!)},"request":{`,
      1024,
    );
    this.pairs = new RunCache(
      PAIR_FIELDS,
      ([key, value]) => `${str(key!)}:${redact.has(strings[key!]!) ? JSON.stringify(REDACTED) : str(value!)}`,
      4096,
    );
  }

  /** Forgets every run: called when the string table is reset, as ids then mean other strings. */
  reset(): void {
    this.context.clear();
    this.addresses.clear();
    this.pairs.clear();
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
    out.raw(this.context.get(slots, at));
    out.raw(this.addresses.get(slots, at));
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
      out.raw(this.pairs.get(slots, at));
      at += 2;
    }
    out.raw(CLOSE);
    return at;
  }
}
