/**
 * Appends lines to a file in large writes. A line is built in place, straight into a 64 KiB chunk:
 * as bytes, field by field ({@link raw}, {@link number}), or from a whole string ({@link text}). No line outlives its request as a string or object (anything kept until a flush
 * would survive young-generation GCs and be copied into the old generation). Full chunks are written
 * with one writev, one write in flight at a time, and a partly filled chunk is flushed every 250 ms.
 * Hand-written because pino's SonicBoom re-measures its growing string buffer on every line, which at
 * proxy request rates cost more than the request itself (bench:features, `logged`).
 *
 * If the disk cannot keep up, lines beyond 16 MiB of backlog are dropped and counted rather than let
 * memory grow without bound.
 *
 * Building a line: `if (writer.beginLine()) { writer.raw(…); writer.number(…); …; writer.endLine(); }`.
 * Only whole lines are ever written out: a line that does not fit moves, as far as it got, to a new
 * chunk.
 */
import { mkdirSync, openSync, writeSync, writev } from 'node:fs';
import { dirname } from 'node:path';
import { MAX_NUMBER_BYTES, writeJsonNumber } from './json-number.js';

const CHUNK_BYTES = 64 * 1024;
const FLUSH_MS = 250;
const MAX_BACKLOG_BYTES = 16 * 1024 * 1024;
/** UTF-8 takes at most 3 bytes per UTF-16 code unit. */
const MAX_BYTES_PER_CHAR = 3;
const NEWLINE = 0x0a;
/** Up to this many bytes, a loop copies faster than TypedArray#set's builtin call (about 25 ns). */
const SHORT_COPY_BYTES = 16;
/**
 * Written chunks kept for reuse. A fresh 64 KiB allocation is fresh memory: the kernel faults its
 * pages in again as the lines are built, which cost more than building them.
 */
const MAX_SPARE_CHUNKS = 8;

export class BatchedLineWriter {
  /** Lines dropped because the backlog was full. */
  dropped = 0;
  private chunk: Buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  /** Where the next byte of the current line goes. */
  private pos = 0;
  /** Where the current line starts: bytes before it are whole lines. */
  private lineStart = 0;
  /** Filled chunks waiting to be written. */
  private full: Buffer[] = [];
  private readonly spare: Buffer[] = [];
  /** The chunks of the write in flight, reusable once it is done. */
  private writing: Buffer[] = [];
  private backlog = 0;
  private inFlight = false;
  private closed = false;
  private readonly timer: NodeJS.Timeout;
  private drained: (() => void) | undefined;

  /**
   * @param fd the file, open to append to (see {@link openLogFile}); the caller closes it
   * @param path its name, for error messages
   * @param onError told of each failed write (the lines of that write are lost)
   */
  constructor(
    private readonly fd: number,
    private readonly path: string,
    private readonly onError: (err: Error) => void = () => {},
  ) {
    this.timer = setInterval(() => this.flush(), FLUSH_MS);
    this.timer.unref();
  }

  /**
   * Starts a line; false when it must not be written (the backlog is full, or the writer closed).
   * A line once begun is ended with {@link endLine} before anything else runs.
   */
  beginLine(): boolean {
    if (this.closed) return false;
    if (this.backlog >= MAX_BACKLOG_BYTES) {
      this.dropped++;
      return false;
    }
    return true;
  }

  /** Appends bytes that need no escaping (pre-encoded parts of a line). */
  raw(bytes: Uint8Array): void {
    const length = bytes.length;
    if (this.pos + length > this.chunk.length) this.makeRoom(length);
    if (length > SHORT_COPY_BYTES) {
      this.chunk.set(bytes, this.pos);
      this.pos += length;
      return;
    }
    const chunk = this.chunk;
    let pos = this.pos;
    for (let i = 0; i < length; i++) chunk[pos++] = bytes[i]!;
    this.pos = pos;
  }

  /** Appends `value` as a JSON number. */
  number(value: number): void {
    if (this.pos + MAX_NUMBER_BYTES > this.chunk.length) this.makeRoom(MAX_NUMBER_BYTES);
    this.pos = writeJsonNumber(this.chunk, this.pos, value);
  }

  /** Appends `text` as UTF-8, unescaped. */
  text(text: string): void {
    const most = text.length * MAX_BYTES_PER_CHAR;
    if (this.pos + most > this.chunk.length) this.makeRoom(most);
    this.pos += this.chunk.write(text, this.pos, 'utf8');
  }

  /** Bytes in the current line so far. */
  get lineLength(): number {
    return this.pos - this.lineStart;
  }

  /** A copy of the current line's bytes from `from` (a {@link lineLength} taken earlier) on. */
  copyOfLine(from: number): Uint8Array {
    return new Uint8Array(this.chunk.subarray(this.lineStart + from, this.pos));
  }

  /** Ends the current line with its newline, and starts a write when a chunk is full. */
  endLine(): void {
    if (this.pos + 1 > this.chunk.length) this.makeRoom(1);
    this.chunk[this.pos++] = NEWLINE;
    this.lineStart = this.pos;
    if (this.full.length > 0) this.flush();
  }

  /** Starts writing what is queued, unless a write is already in flight. */
  flush(): void {
    if (this.inFlight) return;
    if (this.full.length === 0) this.seal();
    if (this.full.length === 0) return;
    const buffers = this.full;
    this.full = [];
    this.backlog = 0;
    this.inFlight = true;
    this.writing = buffers;
    this.writeAll(buffers);
  }

  /** Writes everything queued; the file stays open (its opener closes it). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    if (this.inFlight) await new Promise<void>(resolve => (this.drained = resolve));
    this.seal();
    try {
      for (const buffer of this.full) writeSync(this.fd, buffer);
    } catch (err) {
      this.onError(err as Error);
    }
    this.full = [];
  }

  /** Moves the current chunk's whole lines to the write queue and starts a new chunk. */
  private seal(): void {
    if (this.lineStart === 0) return;
    this.push(this.chunk.subarray(0, this.lineStart));
    this.chunk = this.spare.pop() ?? Buffer.allocUnsafe(CHUNK_BYTES);
    this.pos = 0;
    this.lineStart = 0;
  }

  /**
   * Gives the current line room for `bytes` more: the whole lines before it are queued, and the line
   * so far moves to a new chunk (larger than usual if the line is).
   */
  private makeRoom(bytes: number): void {
    const partial = this.chunk.subarray(this.lineStart, this.pos);
    if (this.lineStart > 0) this.push(this.chunk.subarray(0, this.lineStart));
    const size = partial.length + bytes;
    const next =
      (size <= CHUNK_BYTES ? this.spare.pop() : undefined) ?? Buffer.allocUnsafe(Math.max(CHUNK_BYTES, size));
    partial.copy(next, 0);
    this.chunk = next;
    this.pos = partial.length;
    this.lineStart = 0;
  }

  private push(buffer: Buffer): void {
    this.full.push(buffer);
    this.backlog += buffer.length;
  }

  private writeAll(buffers: Buffer[]): void {
    writev(this.fd, buffers, (err, written) => {
      if (err !== null) {
        this.onError(new Error(`access log ${this.path}: ${err.message}`, { cause: err }));
      } else {
        const rest = remainder(buffers, written);
        if (rest.length > 0) {
          this.writeAll(rest);
          return;
        }
      }
      this.inFlight = false;
      this.recycle(this.writing);
      this.writing = [];
      if (this.drained !== undefined) {
        const drained = this.drained;
        this.drained = undefined;
        drained();
        return;
      }
      if (this.full.length > 0) this.flush();
    });
  }

  /** Keeps written chunks of the usual size for the lines to come. */
  private recycle(written: readonly Buffer[]): void {
    for (const buffer of written) {
      if (this.spare.length >= MAX_SPARE_CHUNKS) return;
      // Each queued buffer is the start of its own chunk, which allocUnsafe gave its own ArrayBuffer.
      if (buffer.byteOffset === 0 && buffer.buffer.byteLength === CHUNK_BYTES) {
        this.spare.push(Buffer.from(buffer.buffer, 0, CHUNK_BYTES));
      }
    }
  }
}

/** Opens `path` to append to, creating it and its directory; `-` is standard output. */
export function openLogFile(path: string): number {
  if (path === '-') return 1;
  mkdirSync(dirname(path), { recursive: true });
  return openSync(path, 'a');
}

/** What is left of `buffers` after the first `written` bytes. */
function remainder(buffers: readonly Buffer[], written: number): Buffer[] {
  let skip = written;
  const rest: Buffer[] = [];
  for (const buffer of buffers) {
    if (skip >= buffer.length) {
      skip -= buffer.length;
      continue;
    }
    rest.push(skip > 0 ? buffer.subarray(skip) : buffer);
    skip = 0;
  }
  return rest;
}
