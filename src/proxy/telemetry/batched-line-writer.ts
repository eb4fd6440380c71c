/**
 * Appends lines to a file in large writes: lines are collected in an array and joined once per write,
 * one write in flight at a time, flushed when 64 KiB are waiting or every 250 ms. Hand-written because
 * pino's SonicBoom re-measures its growing buffer on every line, which at proxy request rates cost
 * more than the request itself (bench:features, `logged`).
 *
 * If the disk cannot keep up, lines beyond 16 MiB of backlog are dropped and counted rather than let
 * memory grow without bound.
 */
import { closeSync, mkdirSync, openSync, write, writeSync } from 'node:fs';
import { dirname } from 'node:path';

const FLUSH_BYTES = 64 * 1024;
const FLUSH_MS = 250;
const MAX_BACKLOG_BYTES = 16 * 1024 * 1024;

export class BatchedLineWriter {
  /** Lines dropped because the backlog was full. */
  dropped = 0;
  private lines: string[] = [];
  private bytes = 0;
  private inFlight = false;
  private closed = false;
  private readonly fd: number;
  private readonly timer: NodeJS.Timeout;
  private drained: (() => void) | undefined;

  /**
   * @param path the file (created with its directory, appended to), or `-` for standard output
   * @param onError told once per failed write (the lines of that write are lost)
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
    if (this.bytes >= MAX_BACKLOG_BYTES) {
      this.dropped++;
      return;
    }
    this.lines.push(line);
    this.bytes += line.length;
    if (this.bytes >= FLUSH_BYTES) this.flush();
  }

  /** Starts writing what is queued, unless a write is already in flight. */
  flush(): void {
    if (this.inFlight || this.lines.length === 0) return;
    const data = Buffer.from(this.lines.join(''), 'utf8');
    this.lines = [];
    this.bytes = 0;
    this.inFlight = true;
    this.writeFrom(data, 0);
  }

  /** Writes everything queued, then closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    if (this.inFlight) await new Promise<void>(resolve => (this.drained = resolve));
    if (this.lines.length > 0) {
      try {
        writeSync(this.fd, this.lines.join(''));
      } catch (err) {
        this.onError(err as Error);
      }
      this.lines = [];
    }
    if (this.fd !== 1) closeSync(this.fd);
  }

  private writeFrom(data: Buffer, offset: number): void {
    write(this.fd, data, offset, data.length - offset, null, (err, written) => {
      if (err !== null) {
        this.onError(new Error(`access log ${this.path}: ${err.message}`, { cause: err }));
      } else if (offset + written < data.length) {
        this.writeFrom(data, offset + written);
        return;
      }
      this.inFlight = false;
      if (this.drained !== undefined) {
        const drained = this.drained;
        this.drained = undefined;
        drained();
        return;
      }
      if (this.bytes >= FLUSH_BYTES) this.flush();
    });
  }
}
