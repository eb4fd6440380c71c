import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import {
  ByteQueue,
  CodecError,
  createMessage,
  type Codec,
  type LocalReplyKind,
  type Message,
} from '../codec/index.js';
import { BatchedWriter, type WriteWatermarks } from '../net/batched-writer.js';
import { compactView, isSmallChunk } from '../net/compact-view.js';
import { eventLoopTurn } from '../net/event-loop-turn.js';
import { beginRead, endRead } from '../net/read-clock.js';
import type { ScratchReads } from '../net/scratch-reads.js';
import { ActiveRequest } from './active-request.js';
import type { DeadlineTimer } from '../net/deadline-timer.js';
import type { ListenerStats } from './listener-stats.js';
import type { ListenerState } from './listener-state.js';
import type { OverloadManager } from './overload/overload-manager.js';
import { recordOf } from './request-record.js';
import type { Tap } from './tap.js';
import type { RequestTelemetry } from './telemetry/request-telemetry.js';

/** How long a closing connection waits for the client to close its side. */
const CLOSE_GRACE_MS = 2000;

/**
 * What one chunk of a partial frame costs beside its bytes (a Buffer and its ArrayBuffer: about 440
 * bytes of RSS each, measured with a million 1-byte chunks), so a peer trickling a frame one byte per
 * packet is charged for what it really makes the proxy hold.
 */
const CHUNK_OVERHEAD_BYTES = 512;

/**
 * Why reading is paused (bits): requests in flight, replies the client does not take, or this turn's
 * share of the event loop used up.
 */
const PAUSED_FOR_REQUESTS = 1;
const PAUSED_FOR_WRITES = 2;
const PAUSED_FOR_TURN = 4;

/**
 * What one connection may make the proxy do in one event-loop turn: decode this many messages, or
 * read this many bytes. The rest waits for the next turn, so that a client that sends as fast as it
 * can (libuv reads up to 32 × 64 KiB per socket per turn) does not delay every other connection's
 * requests by that much work (Envoy's `max_requests_per_io_cycle` for HTTP/1).
 */
const TURN_MESSAGES = 128;
const TURN_BYTES = 256 * 1024;

/**
 * Replies held for a client above its buffer limit may grow to this many times the limit before the
 * client counts as not reading and is closed (Envoy's overflow watermark is such a multiple).
 */
const OVERFLOW_MULTIPLIER = 2;

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
  /** The proxy's limits, its overload state and its count of bytes held for incomplete frames. */
  readonly overload: OverloadManager;
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
 *
 * Bounded whatever the client does (Envoy's flow control, see ProxyLimits): reading stops while too
 * many of its requests, or too many of their bytes, are in flight, and while more than the buffer
 * limit of replies waits for it (exclusive upstream connections carrying its requests stop being
 * read too); a client that lets replies pile up past twice the limit is closed. Bytes of an incomplete
 * frame count against a proxy-wide cap, and a frame that gets no byte for the incomplete-frame
 * timeout, like a connection idle for the idle timeout, closes the connection (checked by the
 * listener's sweep, not per read). And fair: a connection gets at most its share of each event-loop
 * turn ({@link TURN_MESSAGES}, {@link TURN_BYTES}); the rest of its input waits for the next turn.
 */
export class DownstreamConnection implements WriteWatermarks {
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
  /** Our side is closed; the socket goes once the client closes its side too, or after a grace. */
  private closing = false;
  /** Why reading is paused (PAUSED_FOR_… bits); 0 = reading. */
  private pausedFor = 0;
  /** Inside the decode loop (a request finishing synchronously must not start another loop). */
  private decoding = false;
  /** Bytes of the requests in {@link active}. */
  private inFlightBytes = 0;
  /** A chunk too large to keep whole for a frame may be in the input (see compact-view.ts). */
  private largeChunkQueued = false;
  /** What this connection has reserved of the proxy-wide incomplete-frame budget. */
  private heldBytes = 0;
  private readonly bufferLimit: number;
  private readonly maxConcurrentRequests: number;
  private readonly idleTimeoutMs: number;
  /** The event-loop turn {@link turnMessages} and {@link turnBytes} were counted in. */
  private turn = -1;
  private turnMessages = 0;
  private turnBytes = 0;
  /** Reads and finished requests; the sweep compares it with what it saw last time. */
  private activity = 0;
  private sweptActivity = 0;
  /** When the sweep last saw {@link activity} change (or the connection open). */
  private quietSince: number;

  constructor(
    private readonly socket: Socket,
    reads: ScratchReads,
    private readonly host: ConnectionHost,
  ) {
    const resource = host.state.resource;
    const limits = host.overload.limits;
    this.codec = host.state.codecFactory.create('downstream', resource.codecConfig);
    this.bufferLimit = resource.perConnectionBufferLimitBytes ?? limits.connectionBufferBytes;
    this.maxConcurrentRequests = limits.maxConcurrentRequests;
    this.idleTimeoutMs = resource.idleTimeoutMs ?? limits.idleTimeoutMs;
    this.writer = new BatchedWriter(socket, {
      high: this.bufferLimit,
      overflow: this.bufferLimit * OVERFLOW_MULTIPLIER,
      listener: this,
    });
    this.remoteAddress = `${socket.remoteAddress ?? ''}:${socket.remotePort ?? ''}`;
    this.localAddress = `${socket.localAddress ?? ''}:${socket.localPort ?? ''}`;
    this.quietSince = Date.now();
    host.stats.cxTotal++;
    host.stats.cxActive++;
    socket.setNoDelay(true);
    reads.onChunk = chunk => this.onData(chunk);
    socket.on('end', () => this.onEnd());
    socket.on('error', () => {
      // 'close' follows and does the cleanup; resets by clients are normal.
    });
    socket.on('close', () => this.onClose());
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

  /** Bytes of replies waiting for the client to read them. */
  get queuedBytes(): number {
    return this.writer.pendingBytes;
  }

  /** Whether the proxy has stopped reading this connection for backpressure. */
  get readPaused(): boolean {
    return this.pausedFor !== 0;
  }

  /** Queues bytes for the client. */
  write(bytes: Buffer): void {
    if (this.closed) {
      this.host.stats.responseDownstreamGone++;
      return;
    }
    const writer = this.writer;
    // Held until a client that does not read takes them: not as views of whole upstream chunks.
    writer.write(writer.aboveHighWatermark ? compactView(bytes) : bytes);
  }

  /** Called by a request when it has ended. */
  onRequestFinished(request: ActiveRequest): void {
    if (this.removeActive(request)) {
      this.host.stats.requestActive--;
      const bytes = request.request.bytes.length;
      this.inFlightBytes -= bytes;
      this.host.overload.inFlightRequestBytes -= bytes;
    }
    this.activity++;
    this.host.telemetry.onRequestFinished(request);
    const taps = this.host.taps;
    if (taps.length > 0) publishToTaps(taps, request);
    if ((this.pausedFor & PAUSED_FOR_REQUESTS) !== 0 && this.requestsBelowLowWatermark())
      this.resume(PAUSED_FOR_REQUESTS);
    this.closeIfDone();
  }

  /**
   * Closes once nothing is left to answer: draining, or the client has half-closed and every request
   * it sent is answered (requests read before a pause are still to be decoded while paused).
   */
  private closeIfDone(): void {
    if (this.active.length === 0 && (this.draining || (this.ending && this.pausedFor === 0)))
      this.closeGracefully();
  }

  /** @internal More than the buffer limit of replies waits for the client: stop feeding it. */
  onAboveHighWatermark(): void {
    this.pause(PAUSED_FOR_WRITES);
    // Exclusive upstream connections carrying its requests stop being read; shared ones ignore it.
    const active = this.active;
    for (let i = 0; i < active.length; i++) active[i]!.upstreamHandle?.readDisable(true);
  }

  /** @internal The client has taken every reply queued for it. */
  onBelowLowWatermark(): void {
    const active = this.active;
    for (let i = 0; i < active.length; i++) active[i]!.upstreamHandle?.readDisable(false);
    this.resume(PAUSED_FOR_WRITES);
  }

  /** @internal Replies kept arriving (from shared upstream connections) for a client that does not read. */
  onOverflow(): void {
    if (this.closed) return;
    this.host.stats.cxBufferOverflow++;
    // Debug, as every per-connection event under attack: thousands of lines would be a cost of their own.
    this.host.logger.debug(
      {
        listener: this.host.state.resource.name,
        remote: this.remoteAddress,
        queuedBytes: this.writer.pendingBytes,
        limit: this.bufferLimit,
      },
      'closing connection: the client does not read its replies',
    );
    this.socket.destroy();
  }

  /**
   * @internal The listener's periodic check: closes the connection if its incomplete frame got no
   * byte for the incomplete-frame timeout, or if it has been idle for the idle timeout.
   */
  sweep(now: number): void {
    if (this.activity !== this.sweptActivity) {
      this.sweptActivity = this.activity;
      this.quietSince = now;
      return;
    }
    if (this.closed || this.closing) return;
    const quietMs = now - this.quietSince;
    if (this.input.length > 0 && this.pausedFor === 0 && !this.draining) {
      // Reading is not paused, so the silence is the client's.
      const frameTimeout = this.host.overload.limits.incompleteFrameTimeoutMs;
      if (frameTimeout > 0 && quietMs >= frameTimeout) {
        this.host.stats.cxIncompleteFrameTimeout++;
        this.rejectInput('bad-request', `incomplete frame: no bytes of it for ${frameTimeout} ms`);
      }
      return;
    }
    if (this.active.length === 0 && this.idleTimeoutMs > 0 && quietMs >= this.idleTimeoutMs) {
      this.host.stats.cxIdleTimeout++;
      this.closeGracefully();
    }
  }

  private requestsBelowLowWatermark(): boolean {
    return (
      this.active.length <= this.maxConcurrentRequests >>> 1 && this.inFlightBytes <= this.bufferLimit / 2
    );
  }

  private pause(reason: number): void {
    const before = this.pausedFor;
    this.pausedFor = before | reason;
    if (before === 0) this.socket.pause();
    // Backpressure (not a turn's share used up) starts: Envoy's paused_reading counter.
    if ((before & ~PAUSED_FOR_TURN) === 0 && (this.pausedFor & ~PAUSED_FOR_TURN) !== 0)
      this.host.stats.cxReadPaused++;
  }

  private resume(reason: number): void {
    const before = this.pausedFor;
    if ((before & reason) === 0) return;
    this.pausedFor = before & ~reason;
    if ((before & ~PAUSED_FOR_TURN) !== 0 && (this.pausedFor & ~PAUSED_FOR_TURN) === 0)
      this.host.stats.cxReadResumed++;
    if (this.pausedFor !== 0 || this.closed) return;
    // Requests read before the pause may wait in the queue; decode them first. Inside the decode
    // loop (a request finished synchronously) the loop itself goes on.
    if (!this.decoding && !this.draining && this.input.length > 0) {
      this.decodeInput();
      this.holdIncompleteFrame();
    }
    if (this.pausedFor === 0 && !this.closed) this.socket.resume();
    this.closeIfDone();
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
    this.closeIfDone();
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

  /**
   * @internal Code called for `request` (a filter, a codec, a timer of the router) threw; the request
   * is answered `internal`. Logged at error level: it is a bug of that code, and the log names it.
   */
  logInternalError(request: ActiveRequest, source: string, err: unknown): void {
    this.host.logger.error(
      { err, listener: request.listenerName, source, requestId: String(request.request.requestId) },
      'request failed: code called for it threw; answered internal',
    );
  }

  private onData(chunk: Buffer): void {
    this.activity++;
    if (this.draining) return;
    // Chunks enter the queue only here: once it is empty, none of the earlier ones is held.
    if (this.input.length === 0) this.largeChunkQueued = false;
    if (!isSmallChunk(chunk)) this.largeChunkQueued = true;
    this.input.push(chunk);
    this.countTurn();
    this.turnBytes += chunk.length;
    // Bytes read just before a pause took effect wait in the queue for the resume.
    if (this.pausedFor === 0) {
      // The requests of one read start (and arm their timeouts) with one clock reading.
      beginRead();
      try {
        this.decodeInput();
      } finally {
        endRead();
      }
    }
    if (this.turnBytes > TURN_BYTES && this.pausedFor === 0) this.yieldTurn();
    this.holdIncompleteFrame();
  }

  /** Starts counting afresh in a new event-loop turn. */
  private countTurn(): void {
    const turn = eventLoopTurn();
    if (turn === this.turn) return;
    this.turn = turn;
    this.turnMessages = 0;
    this.turnBytes = 0;
  }

  /**
   * Decodes and dispatches what the input holds. Only a throw from decode is this connection's codec
   * error; every call a request makes into filters and codecs has its own boundary (ActiveRequest),
   * so one request's failure never reaches here.
   */
  private decodeInput(): void {
    const input = this.input;
    const codec = this.codec;
    this.decoding = true;
    try {
      while (this.pausedFor === 0) {
        let message: Message | undefined;
        try {
          message = codec.decode(input);
        } catch (err) {
          this.onDecodeError(err);
          return;
        }
        if (message === undefined) return;
        this.dispatch(message);
        if (this.draining || this.closed) return;
        if (++this.turnMessages >= TURN_MESSAGES && this.pausedFor === 0 && input.length > 0)
          this.yieldTurn();
      }
    } catch (err) {
      // Not a codec's or a filter's (those are caught where they are called): a bug of the proxy
      // itself. Still, only this connection pays for it.
      this.host.logger.error(
        { err, listener: this.host.state.resource.name, remote: this.remoteAddress },
        'closing connection: dispatching a request failed',
      );
      this.rejectInput('bad-request', `internal error: ${err instanceof Error ? err.message : String(err)}`);
      for (const request of this.active.slice()) request.abandon();
    } finally {
      this.decoding = false;
    }
  }

  /** Leaves the rest of this connection's input to a later turn (other connections go first). */
  private yieldTurn(): void {
    this.pause(PAUSED_FOR_TURN);
    // A timer runs in the next turn's first phase, after this turn's reads of every other socket.
    setTimeout(resumeTurn, 0, this);
  }

  /** @internal The next turn has come. */
  resumeAfterTurn(): void {
    this.countTurn();
    this.resume(PAUSED_FOR_TURN);
  }

  /**
   * Accounts what stays in the input queue (part of a frame, or frames read before a pause) against
   * the proxy-wide cap; a connection that would pass it is answered over-limit and closed.
   */
  private holdIncompleteFrame(): void {
    const input = this.input;
    const held = input.length === 0 ? 0 : input.length + input.chunkCount * CHUNK_OVERHEAD_BYTES;
    const delta = held - this.heldBytes;
    if (delta === 0) return;
    const overload = this.host.overload;
    if (delta < 0) overload.releaseIncomplete(-delta);
    else if (!overload.holdIncomplete(delta)) {
      this.host.stats.cxIncompleteFrameOverflow++;
      this.rejectInput(
        'over-limit',
        `incomplete frames across all connections would pass ${overload.limits.maxIncompleteFrameBytes} bytes`,
      );
      return;
    }
    this.heldBytes = held;
  }

  private releaseIncompleteFrame(): void {
    if (this.heldBytes === 0) return;
    this.host.overload.releaseIncomplete(this.heldBytes);
    this.heldBytes = 0;
  }

  private dispatch(decoded: Message): void {
    let message = decoded;
    switch (message.type) {
      case 'request':
      case 'oneway': {
        // A frame is a view of a queued chunk or a buffer of its own: only a large chunk needs the check.
        const bytes = this.largeChunkQueued ? compactView(message.bytes) : message.bytes;
        if (bytes !== message.bytes) {
          // It may wait long (for an upstream): not as a view keeping its whole read chunk alive.
          // Attributes a codec deferred (Metadata.defer) may read that view: counting them decodes
          // them now, so that nothing holds on to it.
          void message.metadata.size;
          message = createMessage(
            message.type,
            message.requestId,
            bytes,
            message.metadata,
            message.codecState,
            message.status,
            message.operation,
          );
        }
        const host = this.host;
        const stats = host.stats;
        if (message.type === 'request') stats.request++;
        else stats.requestOneway++;
        const request = new ActiveRequest(this, host.state, message);
        const active = this.active;
        request.activeSlot = active.length;
        active.push(request);
        stats.requestActive++;
        this.inFlightBytes += bytes.length;
        const overload = host.overload;
        overload.inFlightRequestBytes += bytes.length;
        host.telemetry.onRequestStarted(request);
        if (active.length >= this.maxConcurrentRequests || this.inFlightBytes > this.bufferLimit)
          this.pause(PAUSED_FOR_REQUESTS);
        if (overload.acceptingRequests) request.start();
        else {
          stats.requestOverloaded++;
          request.sendLocalReply('over-limit', 'aeraki: overloaded: the proxy is not taking new requests');
        }
        return;
      }
      case 'heartbeat': {
        this.host.stats.heartbeat++;
        if (this.codec.encodeHeartbeatReply === undefined) return;
        let reply: Buffer;
        try {
          reply = this.codec.encodeHeartbeatReply(message);
        } catch (err) {
          // No request to answer: the connection's codec failed, as with a decode error.
          this.onDecodeError(err);
          return;
        }
        this.write(reply);
        return;
      }
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
    this.host.logger.warn(
      { listener: this.host.state.resource.name, remote: this.socket.remoteAddress, reason },
      'closing connection: request could not be decoded',
    );
    this.rejectInput('bad-request', `bad request: ${reason}`);
    // Requests decoded before the bad bytes are abandoned: the stream can no longer be trusted.
    for (const request of this.active.slice()) request.abandon();
  }

  /**
   * Stops reading for good: answers the unread input with the protocol's error reply of `kind`,
   * drops it, and closes once the requests in flight are answered.
   */
  private rejectInput(kind: 'bad-request' | 'over-limit', reason: string): void {
    const stats = this.host.stats;
    stats.localReply[kind]++;
    this.host.logger.debug(
      { listener: this.host.state.resource.name, remote: this.remoteAddress, reason },
      'closing connection',
    );
    let reply: Buffer | undefined;
    try {
      reply = this.codec.encodeLocalReply(undefined, { kind, message: `aeraki: ${reason}` });
    } catch {
      reply = undefined;
    }
    if (reply !== undefined) this.write(reply);
    this.input.clear();
    this.releaseIncompleteFrame();
    this.draining = true;
    // Nothing more is read: a client still sending is not worth the reads until the close.
    this.pausedFor = 0;
    this.socket.pause();
    if (this.active.length === 0) this.closeGracefully();
  }

  private onEnd(): void {
    this.ending = true;
    this.closeIfDone();
  }

  private closeGracefully(): void {
    if (this.closed || this.closing) return;
    this.closing = true;
    this.writer.flush();
    this.socket.end();
    // A peer that never closes its side must not keep the socket forever.
    setTimeout(destroySocket, CLOSE_GRACE_MS, this.socket).unref();
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.input.clear();
    this.releaseIncompleteFrame();
    this.host.stats.cxActive--;
    for (const request of this.active.slice()) request.abandon();
    this.host.onConnectionClosed(this);
  }
}

function resumeTurn(connection: DownstreamConnection): void {
  connection.resumeAfterTurn();
}

/** Builds the request's record once, for the taps that want it. */
function publishToTaps(taps: readonly Tap[], request: ActiveRequest): void {
  let record;
  for (const tap of taps) {
    if (!tap.wants(request.request.metadata)) continue;
    tap.publish((record ??= recordOf(request, Date.now())));
  }
}
