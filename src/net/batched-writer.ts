import type { Socket } from 'node:net';

/**
 * Writes to a socket, gathering everything written during one event-loop turn into a single
 * `writev` system call: the first write of a turn corks the socket and schedules one uncork for
 * the end of the current tick. Dozens of responses decoded from one upstream read then leave in one
 * syscall per downstream socket, which is where a proxy on two cores spends its time.
 */
export class BatchedWriter {
  private corked = false;

  constructor(private readonly socket: Socket) {}

  /** Queues `bytes` for the socket. The buffer must not be modified afterwards. */
  write(bytes: Buffer): void {
    const socket = this.socket;
    if (socket.destroyed) return;
    if (!this.corked) {
      this.corked = true;
      socket.cork();
      process.nextTick(uncork, this);
    }
    socket.write(bytes);
  }

  /** Bytes accepted but not yet handed to the kernel. */
  get pendingBytes(): number {
    return this.socket.writableLength;
  }

  /** Flushes now (used before closing). */
  flush(): void {
    if (this.corked) uncork(this);
  }

  /** @internal */
  uncorkNow(): void {
    this.corked = false;
    this.socket.uncork();
  }
}

function uncork(writer: BatchedWriter): void {
  writer.uncorkNow();
}
