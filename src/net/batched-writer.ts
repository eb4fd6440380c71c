import type { Socket } from 'node:net';
import { CoalescingWriter } from './coalescing-writer.js';

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
 * Writes to a socket, gathering everything written during one event-loop turn into a single socket
 * write and `write` system call (a CoalescingWriter: small messages are copied into one buffer, large
 * ones passed on as they are). The turn's bytes are handed over in the check phase (`setImmediate`),
 * after every I/O callback of the turn has run. So the requests of 32 client connections read in one
 * turn leave on a shared upstream connection in one syscall, and the responses read from it leave in
 * one syscall per client. (Flushing on `process.nextTick` would write after each socket's callback,
 * i.e. once per request.) Copying, rather than corking the socket and writing each message, spares
 * Node's stream a queue entry per message and its `writev` an array of them, and lets go of the
 * socket chunks the messages were read from.
 *
 * With watermarks, what the kernel did not take is measured once per turn, right after the hand-over
 * (Node tries the write at once), so bytes only gathered for the turn's syscall never count. The low
 * watermark is Node's 'drain': the queue is empty again.
 */
export class BatchedWriter {
  private readonly gathered: CoalescingWriter;
  private above = false;

  constructor(
    private readonly socket: Socket,
    private readonly watermarks?: WatermarkSettings,
  ) {
    this.gathered = new CoalescingWriter(
      socket,
      watermarks === undefined ? undefined : () => this.checkWatermarks(watermarks),
    );
    if (watermarks !== undefined) socket.on('drain', () => this.onDrain());
  }

  /** Queues `bytes` for the socket. Small messages are copied; a large one must not be modified afterwards. */
  write(bytes: Buffer): void {
    if (this.socket.destroyed) return;
    this.gathered.write(bytes);
  }

  /** Bytes accepted but not yet handed to the kernel. */
  get pendingBytes(): number {
    return this.gathered.pendingBytes;
  }

  /** Whether more than the high watermark waited at the last hand-over and has not drained since. */
  get aboveHighWatermark(): boolean {
    return this.above;
  }

  /** Flushes now (used before closing). */
  flush(): void {
    this.gathered.flush();
  }

  private checkWatermarks(watermarks: WatermarkSettings): void {
    const socket = this.socket;
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
