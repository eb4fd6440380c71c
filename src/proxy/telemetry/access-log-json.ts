/**
 * The JSON access-log line, written on the access log's worker thread straight from a record
 * (access-log-record.ts) into the log's bytes. Field order is not that of {@link AccessLogEntry}: the
 * per-request numbers come first, then everything else, which repeats from request to request:
 *
 * ```
 * line        = time-run number ',"request_id":' request-id ',"bytes_received":' number
 *               ',"bytes_sent":' number tail
 * tail        = context-run address-run [ pairs ] "}" [ ',"response":{' [ pairs ] "}" ] "}"
 * time-run    = '{"start_time":"' ISO-8601 '","duration":'        ; one per millisecond
 * context-run = ',"operation":' string ',"listener":' string ',"protocol":' string
 *               ',"route_name":' string ',"upstream_cluster":' string ',"upstream_host":' string
 *               ',"response_code":' number ',"response_flags":' string
 *               ',"response_code_details":' string
 * address-run = ',"downstream_remote_address":' string ',"downstream_local_address":' string
 *               ',"request":{'
 * pairs       = pair *( "," pair ),  pair = string ":" string
 * request-id  = number | '"' digits '"'                              ; a string beyond 2^53 - 1
 * ```
 *
 * The tail is the record's slots from the response code on: string ids and counts. A tail seen twice
 * is kept whole, found again by those slots in a direct-mapped cache, so most lines are four numbers
 * and five copies. Below it, each run (context, addresses, one pair) has a cache of its own, rendered
 * once with JSON.stringify: a tail that never repeats (an attribute unique to each request) is
 * written from them in a dozen copies, and a collision in the tail cache costs no more than that.
 */
import { isoTime, REDACTED } from './access-log-entry.js';
import {
  ATTRIBUTES_SLOT,
  NO_RESPONSE,
  RecordField,
  recordEnd,
  requestIdOfSlot,
} from './access-log-record.js';
import type { AttributeRedaction } from './attribute-redaction.js';
import type { BatchedLineWriter } from './batched-line-writer.js';
import { MAX_NUMBER_BYTES, writeJsonNumber } from './json-number.js';

const ascii = (text: string): Uint8Array => Buffer.from(text, 'latin1');

/**
 * A constant ASCII piece as little-endian 32-bit words: stored a word at a time, it costs a quarter of
 * the byte-by-byte copy that a piece this short gets otherwise (the three keys below were a quarter
 * of a line's time). The last word may carry up to three bytes past the piece, which what follows
 * overwrites.
 */
class Words {
  readonly words: Int32Array;
  readonly length: number;

  constructor(text: string) {
    const bytes = Buffer.alloc(Math.ceil(text.length / 4) * 4);
    this.length = bytes.write(text, 'latin1');
    this.words = new Int32Array(bytes.length / 4);
    for (let i = 0; i < this.words.length; i++) this.words[i] = bytes.readInt32LE(4 * i);
  }

  /** Stores the piece at `pos` in `view`; returns the position after it. */
  store(view: DataView, pos: number): number {
    const words = this.words;
    for (let i = 0; i < words.length; i++) view.setInt32(pos + 4 * i, words[i]!, true);
    return pos + this.length;
  }
}

const REQUEST_ID = new Words(',"request_id":');
const BYTES_RECEIVED = new Words(',"bytes_received":');
const BYTES_SENT = new Words(',"bytes_sent":');
/** The most bytes after the time run before the tail: three keys (word-padded), four numbers. */
const NUMBERS_BYTES = 64 + 4 * MAX_NUMBER_BYTES;
const QUOTE = 0x22;
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
/** Where a record's tail starts: the fields after it are string ids and attribute counts. */
const TAIL_SLOT = RecordField.ResponseCode;

/**
 * Whole tails, found by their slots. Slots are kept as 16-bit values: string ids are below 2^16
 * (string-table.ts), counts at most 128, the response code 0 or 1, and the no-response count (-1)
 * becomes 0xffff, which no count is. Two tails whose slots are equal up to a count have that count
 * in the same place, so comparing the 16-bit values compares the tails.
 *
 * A tail is kept the second time in a row that its entry sees it; the first time only its slots are,
 * so tails that never repeat cost a copy of their slots each and never render a run of their own.
 */
class TailCache {
  private readonly keys: Uint16Array;
  /** Per entry: the key's length, 0 for none. */
  private readonly lengths: Uint16Array;
  private readonly runs: (Uint8Array | undefined)[];
  private readonly mask: number;

  /**
   * @param size entries, a power of two
   * @param maxSlots the longest tail kept; longer ones are always written from their parts
   */
  constructor(
    size: number,
    private readonly maxSlots: number,
  ) {
    this.keys = new Uint16Array(size * maxSlots);
    this.lengths = new Uint16Array(size);
    this.runs = new Array<Uint8Array | undefined>(size).fill(undefined);
    this.mask = size - 1;
  }

  /**
   * The entry of the tail in `slots[from, to)` if it was seen there last (its run is undefined
   * until {@link keep}), else -1, after making it the one its entry saw last.
   */
  find(slots: Float64Array, from: number, to: number): number {
    const length = to - from;
    if (length > this.maxSlots) return -1;
    let hash = 0;
    // Each slot made an int32 first: int32 + float64 is a float64, whose `| 0` takes V8's slow path
    // once the sum leaves the int32 range (a third of the look-up's time, measured).
    for (let i = from; i < to; i++) hash = (Math.imul(hash, 31) + (slots[i]! | 0)) | 0;
    const index = hash & this.mask;
    const keys = this.keys;
    const base = index * this.maxSlots;
    if (this.lengths[index] === length) {
      let i = 0;
      while (i < length && keys[base + i] === (slots[from + i]! & 0xffff)) i++;
      if (i === length) return index;
    }
    for (let i = 0; i < length; i++) keys[base + i] = slots[from + i]!;
    this.lengths[index] = length;
    this.runs[index] = undefined;
    return -1;
  }

  run(index: number): Uint8Array | undefined {
    return this.runs[index];
  }

  keep(index: number, run: Uint8Array): void {
    this.runs[index] = run;
  }

  clear(): void {
    this.lengths.fill(0);
    this.runs.fill(undefined);
  }
}

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
    for (let i = 0; i < width; i++) hash = (Math.imul(hash, 31) + (slots[at + fields[i]!]! | 0)) | 0;
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
  private readonly tails = new TailCache(4096, 64);
  private timeMs = -1;
  private timeRun: Uint8Array = new Uint8Array(0);

  /**
   * @param strings the worker's string table, indexed by id
   * @param redact which attribute values are written as `[REDACTED]`
   */
  constructor(
    private readonly strings: readonly string[],
    redact: AttributeRedaction,
  ) {
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
      ([key, value]) =>
        `${str(key!)}:${redact.redacts(strings[key!]!) ? JSON.stringify(REDACTED) : str(value!)}`,
      4096,
    );
  }

  /** Forgets every run: called when the string table is reset, as ids then mean other strings. */
  reset(): void {
    this.context.clear();
    this.addresses.clear();
    this.pairs.clear();
    this.tails.clear();
  }

  /** Writes the line of the record at slot `at` (without its newline); returns the slot after it. */
  write(slots: Float64Array, at: number, out: BatchedLineWriter): number {
    const startTime = slots[at + RecordField.StartTime]!;
    if (startTime !== this.timeMs) {
      this.timeMs = startTime;
      this.timeRun = ascii(`{"start_time":"${isoTime(startTime)}","duration":`);
    }
    // The time run, the four numbers and their keys in one reserve: one room check, and positions in
    // local variables.
    const timeRun = this.timeRun;
    let pos = out.reserve(timeRun.length + NUMBERS_BYTES);
    const buffer = out.buffer;
    const view = out.view;
    buffer.set(timeRun, pos);
    pos = writeJsonNumber(buffer, pos + timeRun.length, slots[at + RecordField.Duration]!);
    pos = this.writeRequestId(buffer, REQUEST_ID.store(view, pos), slots[at + RecordField.RequestId]!);
    pos = writeJsonNumber(buffer, BYTES_RECEIVED.store(view, pos), slots[at + RecordField.BytesReceived]!);
    pos = writeJsonNumber(buffer, BYTES_SENT.store(view, pos), slots[at + RecordField.BytesSent]!);
    out.advance(pos);
    const next = recordEnd(slots, at);
    const found = this.tails.find(slots, at + TAIL_SLOT, next);
    if (found < 0) {
      this.writeTail(slots, at, out);
      return next;
    }
    const run = this.tails.run(found);
    if (run !== undefined) {
      out.raw(run);
      return next;
    }
    const from = out.lineLength;
    this.writeTail(slots, at, out);
    this.tails.keep(found, out.copyOfLine(from));
    return next;
  }

  /** The request id of a record: a number, or the digits of a bigint id as a string (20 bytes at most). */
  private writeRequestId(buffer: Uint8Array, pos: number, slot: number): number {
    if (Number.isInteger(slot)) return writeJsonNumber(buffer, pos, slot);
    const digits = requestIdOfSlot(slot, this.strings) as string;
    buffer[pos++] = QUOTE;
    for (let i = 0; i < digits.length; i++) buffer[pos++] = digits.charCodeAt(i);
    buffer[pos++] = QUOTE;
    return pos;
  }

  /** The tail of the record at `at`, from the runs of its parts. */
  private writeTail(slots: Float64Array, at: number, out: BatchedLineWriter): void {
    out.raw(this.context.get(slots, at));
    out.raw(this.addresses.get(slots, at));
    const next = this.writePairs(slots, at + ATTRIBUTES_SLOT, out);
    if (slots[next] !== NO_RESPONSE) {
      out.raw(RESPONSE);
      this.writePairs(slots, next, out);
    }
    out.raw(CLOSE);
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
