/**
 * Appends lines to a file in large writes, for a thread that does nothing else (the access log's
 * worker). A line is built in place, straight into a 1 MiB chunk: as bytes, field by field
 * ({@link raw}, {@link number}), or from a whole string ({@link text}). When the next bytes do not
 * fit, the whole lines before them are written and the line so far moves to the chunk's start; a
 * partly filled chunk is written every 250 ms and on {@link flush}. No line outlives its request as
 * a string or object, and only whole lines are ever written.
 *
 * Writes are synchronous, so one chunk serves for the writer's life and is never new memory to the
 * kernel. (Writing asynchronously, the lines built while a write was in flight needed chunks of their
 * own: about twenty 64 KiB chunks per batch of records, mostly freshly allocated, and the page faults
 * on them cost more than building the lines.) A write call costs the file system about 7 µs besides
 * its bytes (ext4, measured): 60 ns a line in writes of 64 KiB, 4 ns in writes of 1 MiB. A disk that
 * cannot keep up holds up the writer's thread only; the access log then drops what its worker cannot
 * take (access-log.ts), so memory stays bounded without a queue here.
 *
 * Hand-written because pino's SonicBoom re-measures its growing string buffer on every line, which at
 * proxy request rates cost more than the request itself (bench:features, `logged`).
 *
 * Building a line: `writer.raw(…); writer.number(…); …; writer.endLine();`, with nothing else run in
 * between (a flush would write part of it).
 */
import { mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { MAX_NUMBER_BYTES, writeJsonNumber } from './json-number.js';

const CHUNK_BYTES = 1024 * 1024;
const FLUSH_MS = 250;
/** UTF-8 takes at most 3 bytes per UTF-16 code unit. */
const MAX_BYTES_PER_CHAR = 3;
const NEWLINE = 0x0a;
/** Up to this many bytes, a loop copies faster than TypedArray#set's builtin call (about 25 ns). */
const SHORT_COPY_BYTES = 16;
/**
 * A pipe (`-`, standard output) may be non-blocking: when it is full, wait this long and retry, for
 * at most {@link MAX_WAIT_MS} per write before giving its lines up as failed.
 */
const FULL_PIPE_WAIT_MS = 1;
const MAX_WAIT_MS = 1000;

export class BatchedLineWriter {
  private chunk: Buffer;
  /** The chunk, for {@link reserve}'s callers' multi-byte stores. */
  private chunkView: DataView;
  /** Where the next byte of the current line goes. */
  private pos = 0;
  /** Where the current line starts: bytes before it are whole lines. */
  private lineStart = 0;
  /** Bytes at the chunk's start that are written already. */
  private written = 0;
  private closed = false;
  private readonly timer: NodeJS.Timeout;
  /** For Atomics.wait, the only way to sleep synchronously. */
  private sleeper: Int32Array | undefined;

  /**
   * @param fd the file, open to append to (see {@link openLogFile}); the caller closes it
   * @param path its name, for error messages
   * @param onError told of each failed write (the lines of that write are lost)
   * @param chunkBytes the size of the usual write; tests make it small
   */
  constructor(
    private readonly fd: number,
    private readonly path: string,
    private readonly onError: (err: Error) => void = () => {},
    private readonly chunkBytes = CHUNK_BYTES,
  ) {
    this.chunk = Buffer.allocUnsafe(chunkBytes);
    this.chunkView = viewOf(this.chunk);
    this.timer = setInterval(() => this.flush(), FLUSH_MS);
    this.timer.unref();
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

  /**
   * Makes room for `bytes` more in the current line, and returns where they go in {@link buffer}
   * (and {@link view}); the caller writes them and calls {@link advance} with where it stopped. For a
   * run of small pieces written with local variables: one room check for them all. Bytes stored
   * past that point (within the room asked for) are not part of the line.
   */
  reserve(bytes: number): number {
    if (this.pos + bytes > this.chunk.length) this.makeRoom(bytes);
    return this.pos;
  }

  /** Where {@link reserve}d bytes go; valid until the next call that writes. */
  get buffer(): Buffer {
    return this.chunk;
  }

  /** {@link buffer} as a DataView, for stores of several bytes at once. */
  get view(): DataView {
    return this.chunkView;
  }

  /** Ends a {@link reserve}: the line goes on at `pos`. */
  advance(pos: number): void {
    this.pos = pos;
  }

  /** Bytes in the current line so far. */
  get lineLength(): number {
    return this.pos - this.lineStart;
  }

  /** A copy of the current line's bytes from `from` (a {@link lineLength} taken earlier) on. */
  copyOfLine(from: number): Uint8Array {
    return new Uint8Array(this.chunk.subarray(this.lineStart + from, this.pos));
  }

  /** Ends the current line with its newline. */
  endLine(): void {
    if (this.pos + 1 > this.chunk.length) this.makeRoom(1);
    this.chunk[this.pos++] = NEWLINE;
    this.lineStart = this.pos;
  }

  /** Writes the whole lines not written yet. Not while a line is being built. */
  flush(): void {
    this.writeLines();
    if (this.pos === this.lineStart) {
      this.pos = 0;
      this.lineStart = 0;
      this.written = 0;
    }
  }

  /** Writes every whole line, and stops the flush timer; the file stays open (its opener closes it). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.flush();
  }

  /**
   * Gives the current line room for `bytes` more: the whole lines before it are written, and the line
   * so far moves to the chunk's start (to a larger chunk if the line needs one, and back to one of
   * the usual size after such a line).
   */
  private makeRoom(bytes: number): void {
    this.writeLines();
    const partial = this.pos - this.lineStart;
    const size = Math.max(this.chunkBytes, partial + bytes);
    if (size === this.chunk.length) {
      this.chunk.copyWithin(0, this.lineStart, this.pos);
    } else {
      const next = Buffer.allocUnsafe(size);
      this.chunk.copy(next, 0, this.lineStart, this.pos);
      this.chunk = next;
      this.chunkView = viewOf(next);
    }
    this.pos = partial;
    this.lineStart = 0;
    this.written = 0;
  }

  /** Writes the chunk's whole lines not written yet; on a failure, reports it and skips them. */
  private writeLines(): void {
    let at = this.written;
    const end = this.lineStart;
    let waitedMs = 0;
    while (at < end) {
      try {
        at += writeSync(this.fd, this.chunk, at, end - at);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN' && waitedMs < MAX_WAIT_MS) {
          this.sleep(FULL_PIPE_WAIT_MS);
          waitedMs += FULL_PIPE_WAIT_MS;
          continue;
        }
        this.onError(new Error(`access log ${this.path}: ${(err as Error).message}`, { cause: err }));
        break;
      }
    }
    this.written = end;
  }

  private sleep(ms: number): void {
    this.sleeper ??= new Int32Array(new SharedArrayBuffer(4));
    Atomics.wait(this.sleeper, 0, 0, ms);
  }
}

function viewOf(chunk: Buffer): DataView {
  return new DataView(chunk.buffer, chunk.byteOffset, chunk.length);
}

/** Opens `path` to append to, creating it and its directory; `-` is standard output. */
export function openLogFile(path: string): number {
  if (path === '-') return 1;
  mkdirSync(dirname(path), { recursive: true });
  return openSync(path, 'a');
}
