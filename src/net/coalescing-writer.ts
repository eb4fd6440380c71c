/**
 * Writes to a socket once per event-loop turn, copying the small pieces of the turn into one buffer
 * first, so that a turn's many small replies (or pipelined commands) cost one `socket.write` and one
 * syscall, not one write call each. Large pieces are passed on as they are. A piece that continues
 * the previous one in the same buffer (pipelined commands read in one chunk, replies to one client
 * read in one chunk) joins it, so a run of them costs one copy (Node's `Buffer#copy` makes a view
 * object per call), or none when the run is large. The copy region of a chunk is not written again
 * while the socket may still hold it: the next pieces go after it; once the socket has handed
 * everything to the kernel, the chunk is reused from its start. A turn that fills the chunk hands what
 * it gathered to the socket there and then (once the chunk has grown to its largest size), and goes
 * on in the same chunk when the kernel took it all (a new chunk only while the peer reads slower than
 * it is written to), so a busy connection whose turns exceed a chunk (a shared upstream connection
 * carrying 32 clients' pipelines) makes no garbage. BatchedWriter adds write watermarks.
 */
// Imported, not the global: Node's global `Buffer` is a getter, a call on each use on the request path.
import { Buffer } from 'node:buffer';
import type { Socket } from 'node:net';
import { DirectWrites } from './direct-writes.js';

/** Pieces up to this size are copied; larger ones are written as they are. */
const COPY_LIMIT = 4096;
/**
 * A connection's first chunk; each new one is twice the last, up to MAX_CHUNK_BYTES: a connection
 * that writes little (most clients) holds 16 KiB, a busy one soon gets chunks a turn fits in.
 */
const FIRST_CHUNK_BYTES = 16 * 1024;
const MAX_CHUNK_BYTES = 64 * 1024;

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
  /** The last pieces, not yet copied: `held[heldStart, heldEnd)`. */
  private held: Uint8Array | undefined;
  private heldStart = 0;
  private heldEnd = 0;
  /** Bytes queued this turn. */
  private bytes = 0;
  /** A turn's one piece goes to the socket's handle directly when it can (see DirectWrites). */
  private readonly direct: DirectWrites;

  /** @param onFlushed called after each hand-over to the socket (not when the socket is destroyed) */
  constructor(
    private readonly socket: Socket,
    private readonly onFlushed?: () => void,
  ) {
    this.direct = new DirectWrites(socket);
  }

  /**
   * Queues `buf[start, end)`. The bytes are copied before the turn ends or kept as they are, so they
   * must not change afterwards; the caller may let the buffer go.
   */
  writeRange(buf: Uint8Array, start: number, end: number): void {
    if (end <= start) return;
    if (buf === this.held && start === this.heldEnd) {
      this.heldEnd = end;
    } else {
      if (this.held !== undefined) this.release();
      this.held = buf;
      this.heldStart = start;
      this.heldEnd = end;
    }
    this.bytes += end - start;
    this.schedule();
  }

  /** Copies the held run into the chunk, or passes it on as it is when large. */
  private release(): void {
    const buf = this.held!;
    const start = this.heldStart;
    const end = this.heldEnd;
    this.held = undefined;
    const length = end - start;
    if (length <= COPY_LIMIT) {
      if (this.used + length > this.chunk.length) this.newChunk(length);
      const chunk = this.chunk;
      if (start === 0 && end === buf.length) {
        // A whole piece (a proxied message): TypedArray#set copies it without Buffer#copy's argument
        // checks, and costs less than a byte loop even for a few bytes.
        chunk.set(buf, this.used);
      } else if (length <= 32) {
        // Part of a buffer: a loop spares the view object a copy of a range makes.
        let p = this.used;
        for (let i = start; i < end; i++) chunk[p++] = buf[i]!;
      } else if (Buffer.isBuffer(buf)) {
        buf.copy(chunk, this.used, start, end);
      } else {
        chunk.set(buf.subarray(start, end), this.used);
      }
      this.used += length;
    } else {
      this.sealCopies();
      (this.parts ??= []).push(Buffer.from(buf.buffer, buf.byteOffset + start, length));
    }
  }

  /** Queues `bytes` (not modified afterwards). */
  write(bytes: Buffer): void {
    this.writeRange(bytes, 0, bytes.length);
  }

  /** Bytes queued and not yet handed to the socket, plus those the socket has not sent. */
  get pendingBytes(): number {
    return this.bytes + this.socket.writableLength + this.direct.queuedBytes;
  }

  /** Hands this turn's bytes to the socket now. */
  flush(): void {
    this.queued = false;
    const socket = this.socket;
    if (this.held !== undefined) {
      if (socket.destroyed) this.held = undefined;
      else this.release();
    }
    if (this.handOver()) this.onFlushed?.();
  }

  /** Writes what is gathered (copies and large pieces, in order); false when the socket is gone. */
  private handOver(): boolean {
    const socket = this.socket;
    if (socket.destroyed) {
      this.parts = undefined;
      this.start = this.used;
      this.bytes = 0;
      return false;
    }
    const parts = this.parts;
    if (parts === undefined) {
      if (this.used > this.start) {
        const view = this.chunk.subarray(this.start, this.used);
        if (!this.direct.write(view)) socket.write(view);
      }
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
    if (socket.writableLength === 0 && this.direct.queuedBytes === 0) {
      // Node handed everything to the kernel at once (its stream counts a write until the syscall
      // took it): nothing refers to the chunk any more, so the next turn's copies reuse it. A proxy
      // then allocates a new chunk only while a peer reads slower than it is written to, instead of
      // one per turn on a busy connection (64 KiB outside V8's heap each, freed only by a GC).
      this.start = 0;
      this.used = 0;
    } else {
      this.start = this.used;
    }
    return true;
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

  /** Makes room for `needed` more bytes of copies. */
  private newChunk(needed: number): void {
    if (this.chunk.length >= MAX_CHUNK_BYTES && (this.used > this.start || this.parts !== undefined)) {
      // The turn's bytes so far go now (in order, before the copy that did not fit): when the kernel
      // takes them all, the chunk is free again and the copies go on from its start.
      this.handOver();
      // Left for this turn: the piece being copied.
      this.bytes = needed;
      if (this.used + needed <= this.chunk.length) return;
    }
    this.sealCopies();
    const size = Math.min(MAX_CHUNK_BYTES, Math.max(FIRST_CHUNK_BYTES, this.chunk.length * 2));
    this.chunk = Buffer.allocUnsafe(Math.max(size, needed));
    this.start = 0;
    this.used = 0;
  }
}
