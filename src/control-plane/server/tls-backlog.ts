/**
 * Writes to a TLS connection count as flushed only once the connection has sent what TLS made of
 * them. HTTP/2 hands a stream's data to TLS as far as the client's flow-control window allows, and
 * TLS encrypts it at once into buffers of its own, which wait until the socket takes them: the write
 * is reported done when encrypted, not when sent. In plaintext the same data waits as references to
 * the responses (shared by every stream); encrypted, it is a copy per connection, as large as the
 * peer's window (64 MiB for the benchmark's proxies, 256 MiB for Envoy's by default). The server's
 * write budget (write-budget.ts) bounds only what it believes unflushed, so a proxy that reads slowly
 * made the control plane hold hundreds of MB of ciphertext. Waiting here for the connection's unsent
 * bytes to fall below a limit keeps the write budget's bound true over TLS.
 *
 * The unsent bytes are those queued on the connection's TCP socket (libuv's write queue, which Node
 * shows as the handle's `writeQueueSize`, under the TLS socket's `_parent`): internals, checked for
 * their shape; where they differ, writes are flushed when TLS reports them (as before).
 */
import type { TLSSocket } from 'node:tls';

/** Unsent ciphertext a connection may hold before the writes to it wait (per connection). */
export const DEFAULT_TLS_BACKLOG_BYTES = 1024 * 1024;

/** How often a connection over the limit is looked at again. */
const POLL_MS = 2;

interface Waiting {
  readonly unsent: () => number | undefined;
  readonly done: Array<() => void>;
  timer: NodeJS.Timeout | undefined;
}

/** The bytes queued on `socket`'s TCP connection and not yet taken by the kernel; undefined if unknown. */
export function unsentBytes(socket: TLSSocket): number | undefined {
  const parent = (socket as unknown as { _parent?: { _handle?: { writeQueueSize?: unknown } } })._parent;
  const queued = parent?._handle?.writeQueueSize;
  return typeof queued === 'number' ? queued : undefined;
}

export class TlsBacklog {
  private readonly waiting = new Map<object, Waiting>();

  constructor(private readonly limitBytes = DEFAULT_TLS_BACKLOG_BYTES) {}

  /**
   * Calls `done` once `connection` (looked at through `unsent`) holds at most the limit of unsent
   * bytes: now if it does, else when it does or is closed (see closed).
   */
  whenSent(connection: object, unsent: () => number | undefined, done: () => void): void {
    const waiting = this.waiting.get(connection);
    if (waiting !== undefined) {
      waiting.done.push(done);
      return;
    }
    if ((unsent() ?? 0) <= this.limitBytes) {
      done();
      return;
    }
    const entry: Waiting = { unsent, done: [done], timer: undefined };
    this.waiting.set(connection, entry);
    this.poll(connection, entry);
  }

  /** The connection is gone: whatever waits on it is flushed (it never will be). */
  closed(connection: object): void {
    const entry = this.waiting.get(connection);
    if (entry === undefined) return;
    clearTimeout(entry.timer);
    this.release(connection, entry);
  }

  /** Connections with writes waiting. */
  get connectionsWaiting(): number {
    return this.waiting.size;
  }

  private poll(connection: object, entry: Waiting): void {
    entry.timer = setTimeout(() => {
      if ((entry.unsent() ?? 0) <= this.limitBytes) this.release(connection, entry);
      else this.poll(connection, entry);
    }, POLL_MS);
  }

  private release(connection: object, entry: Waiting): void {
    this.waiting.delete(connection);
    for (const done of entry.done) done();
  }
}
