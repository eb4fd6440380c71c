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
 * Writes to a socket, gathering everything written during one event-loop turn into a single
 * `writev` system call. The first write of a turn corks the socket; all corked sockets are uncorked
 * together in the check phase (`setImmediate`), after every I/O callback of the turn has run. So
 * the requests of 32 client connections read in one turn leave on a shared upstream connection in
 * one syscall, and the responses read from it leave in one syscall per client. (Uncorking on
 * `process.nextTick` would flush after each socket's callback, i.e. once per request.)
 */
export class BatchedWriter {
  private isCorked = false;

  constructor(private readonly socket: Socket) {}

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

  /** Flushes now (used before closing). */
  flush(): void {
    this.uncorkNow();
  }

  /** @internal Uncorks if corked. */
  uncorkNow(): void {
    if (!this.isCorked) return;
    this.isCorked = false;
    this.socket.uncork();
  }
}
