import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { AerakiError, ErrorCodes } from '../errors.js';
import type { DeadlineTimer } from '../net/deadline-timer.js';
import { adoptAccepted, ScratchReads } from '../net/scratch-reads.js';
import { DownstreamConnection, type ConnectionHost } from './downstream-connection.js';
import { ListenerStats } from './listener-stats.js';
import type { ListenerState } from './listener-state.js';
import type { OverloadManager } from './overload/overload-manager.js';
import type { Tap } from './tap.js';
import type { RequestTelemetry } from './telemetry/request-telemetry.js';

/**
 * A bound address and port accepting client connections. Its {@link ListenerState} can be replaced
 * at any time (new routes, filters): connections stay open and new requests use the new state.
 */
export class Listener implements ConnectionHost {
  readonly stats = new ListenerStats();
  private readonly server: Server;
  private readonly connections = new Set<DownstreamConnection>();
  private current: ListenerState;
  private draining = false;
  /** Replaced, never mutated, so a request finishing while a tap closes sees a stable array. */
  private tapList: readonly Tap[] = [];

  constructor(
    state: ListenerState,
    readonly deadlines: DeadlineTimer,
    readonly logger: Logger,
    readonly telemetry: RequestTelemetry,
    readonly overload: OverloadManager,
  ) {
    this.current = state;
    // Paused: each connection is moved into a socket that reads into the scratch buffer (adoptAccepted).
    const options = { allowHalfOpen: true, noDelay: true, pauseOnConnect: true };
    this.server = createServer(options, socket => this.onConnection(socket));
  }

  get state(): ListenerState {
    return this.current;
  }

  get name(): string {
    return this.current.resource.name;
  }

  /** The port actually bound (differs from the resource's when that is 0). */
  get boundPort(): number {
    const address = this.server.address();
    return typeof address === 'object' && address !== null ? address.port : this.current.resource.port;
  }

  /** Connections open now. */
  get connectionCount(): number {
    return this.connections.size;
  }

  /** Bytes of replies waiting for this listener's clients to read them. */
  get queuedBytes(): number {
    let bytes = 0;
    for (const c of this.connections) bytes += c.queuedBytes;
    return bytes;
  }

  /** Closes connections idle or stalled mid-frame for their timeouts (called periodically by the proxy). */
  sweepConnections(now: number): void {
    for (const c of this.connections) c.sweep(now);
  }

  /** Binds the address; rejects with a catalogued error naming the address and the cause. */
  listen(): Promise<void> {
    const { address, port, name } = this.current.resource;
    return new Promise((resolve, reject) => {
      const onListening = (): void => {
        this.server.off('error', onError);
        this.server.on('error', err => this.logger.error({ err, listener: name }, 'listener error'));
        resolve();
      };
      const onError = (err: NodeJS.ErrnoException): void => {
        // A failed bind is retried on the same server: leave no listener behind for the next one.
        this.server.off('listening', onListening);
        reject(
          new AerakiError(
            ErrorCodes.LISTEN_FAILED,
            `listener ${name} cannot listen on ${address}:${port}: ${err.code ?? err.message}`,
            { cause: err },
          ),
        );
      };
      this.server.once('error', onError);
      this.server.once('listening', onListening);
      this.server.listen({ host: address, port, backlog: 1024 });
    });
  }

  get taps(): readonly Tap[] {
    return this.tapList;
  }

  /** Starts delivering finished requests to `tap`. */
  addTap(tap: Tap): void {
    this.tapList = [...this.tapList, tap];
  }

  /** Stops delivering to `tap`. */
  removeTap(tap: Tap): void {
    this.tapList = this.tapList.filter(t => t !== tap);
  }

  /** Swaps in a new state; requests already decoded keep the old one. */
  update(state: ListenerState): void {
    this.current = state;
  }

  onConnectionClosed(connection: DownstreamConnection): void {
    this.connections.delete(connection);
  }

  /**
   * Stops accepting, lets each connection finish its requests in flight, then closes it. Resolves
   * when every connection is closed or `graceMs` has passed (remaining ones are closed then).
   */
  async drain(graceMs: number): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    // close() stops accepting; its callback would wait for every connection, so do not await it.
    this.server.close();
    for (const c of this.connections) c.drain();
    const deadline = Date.now() + graceMs;
    while (this.connections.size > 0 && Date.now() < deadline) {
      await new Promise(resolve => setTimeout(resolve, 20));
    }
    for (const c of this.connections) c.destroy();
    // Their 'close' handlers (which let go of upstream requests) run before the caller goes on.
    if (this.connections.size > 0) await new Promise(resolve => setImmediate(resolve));
    for (const tap of this.tapList) tap.close();
  }

  private onConnection(socket: Socket): void {
    if (this.draining) {
      socket.destroy();
      return;
    }
    if (!this.overload.acceptingConnections) {
      this.stats.cxOverloaded++;
      socket.destroy();
      return;
    }
    const reads = new ScratchReads();
    this.connections.add(new DownstreamConnection(adoptAccepted(socket, reads), reads, this));
  }
}
