/**
 * Appends lines to a file in large writes. Each line is copied at once into a 64 KiB chunk, so no
 * line string outlives its request (strings kept until a flush would survive young-generation GCs and
 * be copied into the old generation); full chunks are written with one writev, one write in flight at
 * a time, and a partly filled chunk is flushed every 250 ms. Hand-written because pino's SonicBoom
 * re-measures its growing string buffer on every line, which at proxy request rates cost more than the
 * request itself (bench:features, `logged`).
 *
 * If the disk cannot keep up, lines beyond 16 MiB of backlog are dropped and counted rather than let
 * memory grow without bound.
 */
import { closeSync, mkdirSync, openSync, writeSync, writev } from 'node:fs';
import { dirname } from 'node:path';

const CHUNK_BYTES = 64 * 1024;
const FLUSH_MS = 250;
const MAX_BACKLOG_BYTES = 16 * 1024 * 1024;
/** UTF-8 takes at most 3 bytes per UTF-16 code unit. */
const MAX_BYTES_PER_CHAR = 3;

export class BatchedLineWriter {
  /** Lines dropped because the backlog was full. */
  dropped = 0;
  private chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  private used = 0;
  /** Filled chunks waiting to be written. */
  private full: Buffer[] = [];
  private backlog = 0;
  private inFlight = false;
  private closed = false;
  private readonly fd: number;
  private readonly timer: NodeJS.Timeout;
  private drained: (() => void) | undefined;

  /**
   * @param path the file (created with its directory, appended to), or `-` for standard output
   * @param onError told of each failed write (the lines of that write are lost)
   */
  constructor(
    private readonly path: string,
    private readonly onError: (err: Error) => void = () => {},
  ) {
    if (path === '-') {
      this.fd = 1;
    } else {
      mkdirSync(dirname(path), { recursive: true });
      this.fd = openSync(path, 'a');
    }
    this.timer = setInterval(() => this.flush(), FLUSH_MS);
    this.timer.unref();
  }

  /** Queues `line` (its newline included). */
  write(line: string): void {
    if (this.closed) return;
    if (this.backlog >= MAX_BACKLOG_BYTES) {
      this.dropped++;
      return;
    }
    const worstCase = line.length * MAX_BYTES_PER_CHAR;
    if (worstCase > CHUNK_BYTES) {
      // A line longer than a chunk goes on its own.
      this.seal();
      this.push(Buffer.from(line, 'utf8'));
    } else {
      if (this.used + worstCase > CHUNK_BYTES) this.seal();
      this.used += this.chunk.write(line, this.used, 'utf8');
    }
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
    this.writeAll(buffers);
  }

  /** Writes everything queued, then closes the file. */
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
    if (this.fd !== 1) closeSync(this.fd);
  }

  /** Moves the current chunk's lines to the write queue and starts a new chunk. */
  private seal(): void {
    if (this.used === 0) return;
    this.push(this.chunk.subarray(0, this.used));
    this.chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    this.used = 0;
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
      if (this.drained !== undefined) {
        const drained = this.drained;
        this.drained = undefined;
        drained();
        return;
      }
      if (this.full.length > 0) this.flush();
    });
  }
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
