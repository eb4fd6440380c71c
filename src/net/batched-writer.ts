import type { Socket } from 'node:net';

/** Writers corked during this event-loop turn, uncorked together once I/O callbacks are done. */
const corked: BatchedWriter[] = [];
let flushScheduled = false;

function flushCorked(): void {
  flushScheduled = false;
  // Uncorking may run write callbacks that cork other writers; those are picked up by a new turn.
  const writers = corked.splice(0);
  for (let i = 0; i < writers.length; i++) writers[i]!.uncorkNow();
}

/**
 * Told when the bytes a socket could not hand to the kernel cross its watermarks (Envoy's
 * `onAboveWriteBufferHighWatermark` / `onBelowWriteBufferLowWatermark`).
 */
export interface WriteWatermarks {
  /** More than the high watermark is waiting: stop producing bytes for this socket. */
  onAboveHighWatermark(): void;
  /** Everything waiting has been handed to the kernel: produce again. */
  onBelowLowWatermark(): void;
  /**
   * Still above the high watermark one turn later, more than the overflow watermark is waiting:
   * the peer does not read and what is held for it must not grow further.
   */
  onOverflow?(): void;
}

/** Watermarks of a writer: in bytes not yet taken by the kernel. */
export interface WatermarkSettings {
  readonly high: number;
  /** 0: no overflow. */
  readonly overflow: number;
  readonly listener: WriteWatermarks;
}

/**
 * Writes to a socket, gathering everything written during one event-loop turn into a single
 * `writev` system call. The first write of a turn corks the socket; all corked sockets are uncorked
 * together in the check phase (`setImmediate`), after every I/O callback of the turn has run. So
 * the requests of 32 client connections read in one turn leave on a shared upstream connection in
 * one syscall, and the responses read from it leave in one syscall per client. (Uncorking on
 * `process.nextTick` would flush after each socket's callback, i.e. once per request.)
 *
 * With watermarks, what the kernel did not take is measured once per turn, right after the uncork
 * (Node tries the write at once), so bytes only gathered for the turn's syscall never count. The low
 * watermark is Node's 'drain': the queue is empty again.
 */
export class BatchedWriter {
  private isCorked = false;
  private above = false;

  constructor(
    private readonly socket: Socket,
    private readonly watermarks?: WatermarkSettings,
  ) {
    if (watermarks !== undefined) socket.on('drain', () => this.onDrain());
  }

  /** Queues `bytes` for the socket. The buffer must not be modified afterwards. */
  write(bytes: Buffer): void {
    const socket = this.socket;
    if (socket.destroyed) return;
    if (!this.isCorked) {
      this.isCorked = true;
      socket.cork();
      corked.push(this);
      if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(flushCorked);
      }
    }
    socket.write(bytes);
  }

  /** Bytes accepted but not yet handed to the kernel. */
  get pendingBytes(): number {
    return this.socket.writableLength;
  }

  /** Whether more than the high watermark waited at the last uncork and has not drained since. */
  get aboveHighWatermark(): boolean {
    return this.above;
  }

  /** Flushes now (used before closing). */
  flush(): void {
    this.uncorkNow();
  }

  /** @internal Uncorks if corked. */
  uncorkNow(): void {
    if (!this.isCorked) return;
    this.isCorked = false;
    const socket = this.socket;
    socket.uncork();
    const watermarks = this.watermarks;
    if (watermarks === undefined || socket.destroyed) return;
    const pending = socket.writableLength;
    // 'drain' only comes after a write found Node's own watermark (16 KiB) reached, so a lower
    // high watermark acts at that one.
    if (pending <= watermarks.high || !socket.writableNeedDrain) return;
    if (!this.above) {
      this.above = true;
      watermarks.listener.onAboveHighWatermark();
    } else if (watermarks.overflow > 0 && pending > watermarks.overflow) {
      watermarks.listener.onOverflow?.();
    }
  }

  private onDrain(): void {
    if (!this.above) return;
    this.above = false;
    this.watermarks!.listener.onBelowLowWatermark();
  }
}
