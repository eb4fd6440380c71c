import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { ByteQueue, CodecError, type Codec, type LocalReplyKind, type Message } from '../codec/index.js';
import { BatchedWriter } from '../net/batched-writer.js';
import { ActiveRequest } from './active-request.js';
import type { DeadlineTimer } from './deadline-timer.js';
import type { ListenerStats } from './listener-stats.js';
import type { ListenerState } from './listener-state.js';
import { recordOf } from './request-record.js';
import type { Tap } from './tap.js';
import type { RequestTelemetry } from './telemetry/request-telemetry.js';

/** How long a closing connection waits for the client to close its side. */
const CLOSE_GRACE_MS = 2000;

function destroySocket(socket: Socket): void {
  socket.destroy();
}

/** What a downstream connection needs from its listener. */
export interface ConnectionHost {
  /** The listener's current state; read once per request. */
  readonly state: ListenerState;
  readonly stats: ListenerStats;
  readonly deadlines: DeadlineTimer;
  readonly logger: Logger;
  /** Request metrics and access log. */
  readonly telemetry: RequestTelemetry;
  /** Live taps on the listener; usually empty. */
  readonly taps: readonly Tap[];
  /** The connection closed. */
  onConnectionClosed(connection: DownstreamConnection): void;
}

/**
 * The connection manager of one client connection: decodes requests with its own codec instance,
 * answers heartbeats, starts an {@link ActiveRequest} per request, and writes responses (batched per
 * event-loop turn). Requests on one connection run concurrently; responses go out as they complete.
 *
 * Bad bytes: the client gets the protocol's error reply where it has one, then the connection is
 * closed. Nothing else is affected.
 */
export class DownstreamConnection {
  readonly codec: Codec;
  /** The client's `address:port`, and the listener's, computed once per connection. */
  readonly remoteAddress: string;
  readonly localAddress: string;
  private readonly input = new ByteQueue();
  private readonly writer: BatchedWriter;
  /**
   * Requests in flight, each at its {@link ActiveRequest.activeSlot}; removal moves the last one
   * into the hole. Not a Set, for the reason InFlightTable gives (src/upstream/in-flight-table.ts).
   */
  private readonly active: ActiveRequest[] = [];
  private closed = false;
  /** The client half-closed; close once the requests in flight are answered. */
  private ending = false;
  /** Stop reading requests (decode error or drain); close once idle. */
  private draining = false;

  constructor(
    private readonly socket: Socket,
    private readonly host: ConnectionHost,
  ) {
    this.codec = host.state.codecFactory.create('downstream', host.state.resource.codecConfig);
    this.writer = new BatchedWriter(socket);
    this.remoteAddress = `${socket.remoteAddress ?? ''}:${socket.remotePort ?? ''}`;
    this.localAddress = `${socket.localAddress ?? ''}:${socket.localPort ?? ''}`;
    host.stats.cxTotal++;
    host.stats.cxActive++;
    socket.setNoDelay(true);
    socket.on('data', chunk => this.onData(chunk));
    socket.on('end', () => this.onEnd());
    socket.on('error', () => {
      // 'close' follows and does the cleanup; resets by clients are normal.
    });
    socket.on('close', () => this.onClose());
    const idle = host.state.resource.idleTimeoutMs;
    if (idle > 0) {
      socket.setTimeout(idle);
      socket.on('timeout', () => this.onIdle());
    }
  }

  get stats(): ListenerStats {
    return this.host.stats;
  }

  get deadlines(): DeadlineTimer {
    return this.host.deadlines;
  }

  /** Requests in flight. */
  get activeRequests(): number {
    return this.active.length;
  }

  /** Queues bytes for the client. */
  write(bytes: Buffer): void {
    if (this.closed) {
      this.host.stats.responseDownstreamGone++;
      return;
    }
    this.writer.write(bytes);
  }

  /** Called by a request when it has ended. */
  onRequestFinished(request: ActiveRequest): void {
    if (this.removeActive(request)) this.host.stats.requestActive--;
    this.host.telemetry.onRequestFinished(request);
    const taps = this.host.taps;
    if (taps.length > 0) publishToTaps(taps, request);
    if (this.active.length === 0 && (this.ending || this.draining)) this.closeGracefully();
  }

  private removeActive(request: ActiveRequest): boolean {
    const at = request.activeSlot;
    if (at < 0 || this.active[at] !== request) return false;
    const last = this.active.pop()!;
    if (last !== request) {
      this.active[at] = last;
      last.activeSlot = at;
    }
    request.activeSlot = -1;
    return true;
  }

  /** Stops accepting requests; closes after the requests in flight are answered. */
  drain(): void {
    this.draining = true;
    if (this.active.length === 0) this.closeGracefully();
  }

  /** Closes at once; requests in flight are abandoned. */
  destroy(): void {
    this.socket.destroy();
  }

  /** @internal */
  logLocalReply(request: ActiveRequest, kind: LocalReplyKind, message: string): void {
    const logger = this.host.logger;
    if (!logger.isLevelEnabled('debug')) return;
    logger.debug(
      {
        listener: request.listenerName,
        kind,
        requestId: request.request.requestId,
        cluster: request.clusterName,
      },
      message,
    );
  }

  private onData(chunk: Buffer): void {
    if (this.draining) return;
    const input = this.input;
    input.push(chunk);
    let message: Message | undefined;
    try {
      while ((message = this.codec.decode(input)) !== undefined) {
        this.dispatch(message);
        if (this.draining || this.closed) return;
      }
    } catch (err) {
      this.onDecodeError(err);
    }
  }

  private dispatch(message: Message): void {
    switch (message.type) {
      case 'request':
      case 'oneway': {
        const stats = this.host.stats;
        if (message.type === 'request') stats.request++;
        else stats.requestOneway++;
        const request = new ActiveRequest(this, this.host.state, message);
        request.activeSlot = this.active.length;
        this.active.push(request);
        stats.requestActive++;
        this.host.telemetry.onRequestStarted(request);
        request.start();
        return;
      }
      case 'heartbeat':
        this.host.stats.heartbeat++;
        if (this.codec.encodeHeartbeatReply !== undefined)
          this.write(this.codec.encodeHeartbeatReply(message));
        return;
      default:
        // Responses and heartbeat replies from a client have no request to belong to; ignore them.
        return;
    }
  }

  private onDecodeError(err: unknown): void {
    if (!CodecError.isCodecError(err)) {
      // A codec broke its contract; still only this connection pays for it.
      this.host.logger.error(
        { err, listener: this.host.state.resource.name },
        'codec threw a non-codec error',
      );
    }
    const reason = err instanceof Error ? err.message : String(err);
    this.host.stats.requestDecodingError++;
    this.host.stats.localReply['bad-request']++;
    this.host.logger.warn(
      { listener: this.host.state.resource.name, remote: this.socket.remoteAddress, reason },
      'closing connection: request could not be decoded',
    );
    let reply: Buffer | undefined;
    try {
      reply = this.codec.encodeLocalReply(undefined, {
        kind: 'bad-request',
        message: `aeraki: bad request: ${reason}`,
      });
    } catch {
      reply = undefined;
    }
    if (reply !== undefined) this.write(reply);
    this.input.clear();
    this.draining = true;
    // Requests decoded before the bad bytes are abandoned: the stream can no longer be trusted.
    for (const request of this.active.slice()) request.abandon();
    this.closeGracefully();
  }

  private onEnd(): void {
    this.ending = true;
    if (this.active.length === 0) this.closeGracefully();
  }

  private onIdle(): void {
    if (this.active.length > 0) return;
    this.host.stats.cxIdleTimeout++;
    this.closeGracefully();
  }

  private closeGracefully(): void {
    if (this.closed) return;
    this.writer.flush();
    this.socket.end();
    // A peer that never closes its side must not keep the socket forever.
    setTimeout(destroySocket, CLOSE_GRACE_MS, this.socket).unref();
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.input.clear();
    this.host.stats.cxActive--;
    for (const request of this.active.slice()) request.abandon();
    this.host.onConnectionClosed(this);
  }
}

/** Builds the request's record once, for the taps that want it. */
function publishToTaps(taps: readonly Tap[], request: ActiveRequest): void {
  let record;
  for (const tap of taps) {
    if (!tap.wants(request.request.metadata)) continue;
    tap.publish((record ??= recordOf(request, Date.now())));
  }
}
