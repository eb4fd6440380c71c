/**
 * Writes to a socket once per event-loop turn, copying the small pieces of the turn into one buffer
 * first, so that a turn's many small replies (or pipelined commands) cost one `socket.write` and one
 * syscall, not one write call each. Large pieces are passed on as they are. The copy region of a
 * chunk is never written again while the socket may still hold it: the next pieces go after it, and
 * a full chunk is replaced by a new one. Once the socket has handed everything to the kernel, the
 * chunk is reused from its start. BatchedWriter adds write watermarks.
 */
import type { Socket } from 'node:net';

/** Pieces up to this size are copied; larger ones are written as they are. */
const COPY_LIMIT = 4096;
const CHUNK_BYTES = 64 * 1024;

const pending: CoalescingWriter[] = [];
let scheduled = false;

function flushPending(): void {
  scheduled = false;
  const writers = pending.splice(0);
  for (let i = 0; i < writers.length; i++) writers[i]!.flush();
}

export class CoalescingWriter {
  private chunk: Buffer = Buffer.allocUnsafe(0);
  /** Where the bytes of this turn start in the chunk. */
  private start = 0;
  private used = 0;
  /** Pieces of this turn in order, when a large one came between copies. */
  private parts: Buffer[] | undefined;
  private queued = false;
  /** Bytes queued this turn. */
  private bytes = 0;

  /** @param onFlushed called after each hand-over to the socket (not when the socket is destroyed) */
  constructor(
    private readonly socket: Socket,
    private readonly onFlushed?: () => void,
  ) {}

  /** Queues `buf[start, end)`; the bytes are copied or kept, so the caller may let them go. */
  writeRange(buf: Uint8Array, start: number, end: number): void {
    const length = end - start;
    if (length <= 0) return;
    if (length <= COPY_LIMIT) {
      if (this.used + length > this.chunk.length) this.newChunk(length);
      const chunk = this.chunk;
      if (length <= 32) {
        let p = this.used;
        for (let i = start; i < end; i++) chunk[p++] = buf[i]!;
      } else if (Buffer.isBuffer(buf)) {
        // Buffer#copy takes a range: no view object per piece.
        buf.copy(chunk, this.used, start, end);
      } else {
        chunk.set(buf.subarray(start, end), this.used);
      }
      this.used += length;
    } else {
      this.sealCopies();
      (this.parts ??= []).push(Buffer.from(buf.buffer, buf.byteOffset + start, length));
    }
    this.bytes += length;
    this.schedule();
  }

  /** Queues `bytes` (not modified afterwards). */
  write(bytes: Buffer): void {
    this.writeRange(bytes, 0, bytes.length);
  }

  /** Bytes queued and not yet handed to the socket, plus those the socket has not sent. */
  get pendingBytes(): number {
    return this.bytes + this.socket.writableLength;
  }

  /** Hands this turn's bytes to the socket now. */
  flush(): void {
    this.queued = false;
    const socket = this.socket;
    if (socket.destroyed) {
      this.parts = undefined;
      this.start = this.used;
      this.bytes = 0;
      return;
    }
    const parts = this.parts;
    if (parts === undefined) {
      if (this.used > this.start) socket.write(this.chunk.subarray(this.start, this.used));
    } else {
      this.sealCopies();
      this.parts = undefined;
      if (parts.length === 1) socket.write(parts[0]!);
      else {
        socket.cork();
        for (const part of parts) socket.write(part);
        socket.uncork();
      }
    }
    this.bytes = 0;
    if (socket.writableLength === 0) {
      // Node handed everything to the kernel at once (its stream counts a write until the syscall
      // took it): nothing refers to the chunk any more, so the next turn's copies reuse it. A proxy
      // then allocates a new chunk only while a peer reads slower than it is written to, instead of
      // one per turn on a busy connection (64 KiB outside V8's heap each, freed only by a GC).
      this.start = 0;
      this.used = 0;
    } else {
      this.start = this.used;
    }
    this.onFlushed?.();
  }

  private schedule(): void {
    if (this.queued) return;
    this.queued = true;
    pending.push(this);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flushPending);
    }
  }

  /** Moves the copies made so far into `parts`, to keep the order around a large piece. */
  private sealCopies(): void {
    if (this.used > this.start) {
      (this.parts ??= []).push(this.chunk.subarray(this.start, this.used));
      this.start = this.used;
    }
  }

  private newChunk(needed: number): void {
    this.sealCopies();
    this.chunk = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, needed));
    this.start = 0;
    this.used = 0;
  }
}
