import { connect, type Socket } from 'node:net';
import { ByteQueue, CodecError, type Codec, type Message, type RequestId } from '../codec/index.js';
import { BatchedWriter, type WriteWatermarks } from '../net/batched-writer.js';
import { beginRead, endRead } from '../net/read-clock.js';
import { ScratchReads } from '../net/scratch-reads.js';
import type { ClusterStats } from './cluster-stats.js';
import type { Host } from './host.js';
import { InFlightTable } from './in-flight-table.js';
import type { RequestHolder, UpstreamRequest } from './upstream-request.js';

/** What a connection tells the pool that owns it. */
export interface ConnectionOwner {
  /**
   * The connection has no request waiting for a response: exclusive pools reuse it; a multiplexed
   * connection reports this only once it has carried its last request (see `exhausted`).
   */
  onConnectionIdle(connection: UpstreamConnection): void;
  /** The connection closed; the pool forgets it. */
  onConnectionClosed(connection: UpstreamConnection): void;
  /**
   * The peer announced it is going away (`goaway`): the pool sends nothing more on the connection,
   * which closes itself once its requests in flight are answered (at once when it has none).
   */
  onConnectionRetired(connection: UpstreamConnection): void;
  /** The connection had its buffer limit of unsent bytes and has sent them all (see `saturated`). */
  onConnectionWritable?(connection: UpstreamConnection): void;
}

/** Settings for one upstream connection. */
export interface UpstreamConnectionOptions {
  readonly connectTimeoutMs: number;
  /** Close the connection after this long with no request in flight; 0 = never. */
  readonly idleTimeoutMs: number;
  /**
   * Several requests at once, matched to responses by request id: the connection gives each
   * request its own id and rewrites it back on the response. Otherwise one request at a time and
   * ids are left alone.
   */
  readonly multiplexed: boolean;
  /**
   * Send a heartbeat when nothing was received for this long, and close the connection when two
   * heartbeats in a row go unanswered; 0 = never. Only for codecs that can encode heartbeats.
   */
  readonly heartbeatIntervalMs: number;
  /** Requests the connection carries before it is retired and closed once idle; 0 = no limit. */
  readonly maxRequests: number;
  /**
   * Unsent bytes (the upstream not reading) above which the connection is `saturated` until they are
   * all sent; 0 = no limit.
   */
  readonly bufferLimitBytes: number;
}

/** Unanswered heartbeats after which the peer is considered gone. */
const MAX_MISSED_HEARTBEATS = 2;

/** Largest id handed out on a multiplexed connection; ids fit a signed 32-bit field (Thrift seqid). */
const MAX_ID = 0x7fffffff;

/**
 * Where an exclusive connection keeps its one request in flight when the client's id is a bigint (see
 * codec/request-id.ts): number ids are safe integers, so none is ever this key.
 */
const WIDE_ID_KEY = Number.MAX_VALUE;

/**
 * One TCP connection to an upstream host, with its own codec instance. Requests written before the
 * connection is up wait in order; responses are matched to requests by request id. How each request
 * ends (reply, error reply, failure) is reported to the host's outlier detection.
 *
 * Flow control: when the host stops reading, the connection becomes `saturated` once its buffer limit
 * of bytes waits unsent, and its pool holds further requests back; an exclusive connection stops
 * reading replies while the client of its request does not take them (`readDisable`).
 */
export class UpstreamConnection implements RequestHolder, WriteWatermarks {
  readonly host: Host;
  private readonly socket: Socket;
  private readonly writer: BatchedWriter;
  private readonly input = new ByteQueue();
  /** Requests written and not yet answered, by the id on the wire (not a Map: see InFlightTable). */
  private readonly pending = new InFlightTable<UpstreamRequest>();
  private waiting: UpstreamRequest[] = [];
  private connected = false;
  private closed = false;
  private nextId = 0;
  private connectTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  /** Reads since the last heartbeat tick: any read proves the peer alive, so no per-read clock. */
  private readsSinceTick = 0;
  private missedHeartbeats = 0;
  private requestCount = 0;
  /** The peer said it is going away: no new request goes on this connection. */
  private goingAway = false;
  private readPaused = false;

  constructor(
    host: Host,
    private readonly codec: Codec,
    private readonly options: UpstreamConnectionOptions,
    private readonly owner: ConnectionOwner,
    private readonly stats: ClusterStats,
  ) {
    this.host = host;
    stats.cxTotal++;
    stats.cxActive++;
    const reads = new ScratchReads();
    reads.onChunk = chunk => this.onData(chunk);
    this.socket = connect({ host: host.address, port: host.port, noDelay: true, onread: reads.onread });
    this.writer = new BatchedWriter(
      this.socket,
      options.bufferLimitBytes > 0
        ? { high: options.bufferLimitBytes, overflow: 0, listener: this }
        : undefined,
    );
    this.socket.on('connect', () => this.onConnect());
    this.socket.on('error', err => this.onSocketError(err));
    this.socket.on('close', () => this.onClose());
    this.socket.on('timeout', () => this.onIdle());
    if (options.connectTimeoutMs > 0) {
      this.connectTimer = setTimeout(onConnectTimeout, options.connectTimeoutMs, this);
    }
  }

  /** Requests waiting for a response or for the connection to open. */
  get load(): number {
    return this.pending.size + this.waiting.length;
  }

  /**
   * Whether part of a reply has arrived and waits for the rest. On an exclusive connection it belongs
   * to the request in flight; on a multiplexed one it may belong to any of them.
   */
  get responseInProgress(): boolean {
    return this.input.length > 0;
  }

  /**
   * Whether the connection takes no more requests: it has carried as many as it may
   * (`max_requests_per_connection`), or the peer said it is going away. It closes once idle.
   */
  get exhausted(): boolean {
    return this.goingAway || (this.options.maxRequests > 0 && this.requestCount >= this.options.maxRequests);
  }

  /** Whether the connection can take more requests. */
  get usable(): boolean {
    return !this.closed;
  }

  /**
   * Whether the host is behind: more than the buffer limit waited unsent at the last write, and not
   * all of it has been sent since. Requests should wait rather than be written.
   */
  get saturated(): boolean {
    return this.writer.aboveHighWatermark;
  }

  /** Bytes written and not yet taken by the kernel (also those gathered for this turn's write). */
  get unsentBytes(): number {
    return this.writer.pendingBytes;
  }

  /** @internal See {@link saturated}; the pool finds out when it sends. */
  onAboveHighWatermark(): void {
    this.stats.flowControlBackedUp++;
  }

  /** @internal */
  onBelowLowWatermark(): void {
    this.stats.flowControlDrained++;
    this.owner.onConnectionWritable?.(this);
  }

  /**
   * Stops (true) or resumes (false) reading replies while the client of the request does not take
   * them. Only an exclusive connection with its request in flight does so; a shared one carries on.
   */
  readDisable(disable: boolean): void {
    if (this.options.multiplexed || this.closed || disable === this.readPaused) return;
    if (disable && this.pending.size === 0) return;
    this.readPaused = disable;
    if (disable) {
      this.stats.flowControlPausedReading++;
      this.socket.pause();
    } else {
      this.stats.flowControlResumedReading++;
      this.socket.resume();
    }
  }

  /** Sends `request`, or queues it until the connection is up. */
  send(request: UpstreamRequest): void {
    this.requestCount++;
    if (!this.connected) {
      // Known to its owner already, so that a timeout can take it back out of the queue (cancel).
      request.upstream = this;
      this.waiting.push(request);
      return;
    }
    this.write(request);
  }

  /**
   * Forgets `request` (its owner gave up, e.g. on timeout). A late response is then dropped. An
   * exclusive connection is closed instead, since its next response would belong to this request.
   */
  cancel(request: UpstreamRequest): void {
    request.upstream = undefined;
    const waitingIndex = this.waiting.indexOf(request);
    if (waitingIndex >= 0) {
      this.waiting.splice(waitingIndex, 1);
      return;
    }
    if (this.pending.get(request.upstreamId) !== request) return;
    this.pending.delete(request.upstreamId);
    if (!this.options.multiplexed) this.close();
    // A draining pool closes a shared connection once nothing waits on it, cancelled requests included.
    else if (this.load === 0) this.owner.onConnectionIdle(this);
  }

  /** Gives up on `request` at its deadline; one already sent counts as a gateway error of the host. */
  timeOut(request: UpstreamRequest): void {
    if (this.pending.get(request.upstreamId) === request) this.host.recordOutcome('gateway-error');
    this.cancel(request);
  }

  /** Closes the connection; waiting requests fail as upstream resets. */
  close(): void {
    if (this.closed) return;
    this.writer.flush();
    this.socket.destroy();
  }

  private write(request: UpstreamRequest): void {
    const message = request.message;
    let bytes: Buffer;
    let id: number;
    try {
      if (this.options.multiplexed) {
        id = this.allocateId();
        bytes = this.codec.encode(message, { mutation: request.mutation, requestId: id });
      } else {
        const own = message.requestId;
        id = typeof own === 'number' ? own : WIDE_ID_KEY;
        bytes =
          request.mutation === undefined
            ? message.bytes
            : this.codec.encode(message, { mutation: request.mutation });
      }
    } catch (err) {
      this.onEncodeError(request, err);
      return;
    }
    this.stats.rqTotal++;
    if (message.type !== 'oneway') {
      request.upstream = this;
      request.upstreamId = id;
      this.pending.set(id, request);
    } else {
      request.upstream = undefined;
    }
    this.writer.write(bytes);
    if (message.type === 'oneway' && !this.options.multiplexed && this.pending.size === 0) {
      this.owner.onConnectionIdle(this);
    }
  }

  /**
   * The codec threw encoding `request` (a bug of the codec): that request fails `internal`, nothing
   * was written, and the connection serves the others as before.
   */
  private onEncodeError(request: UpstreamRequest, err: unknown): void {
    request.upstream = undefined;
    const reason = err instanceof Error ? err.message : String(err);
    request.onUpstreamFailure(
      'internal',
      `the codec could not encode the request for ${this.host.key}: ${reason}`,
      false,
    );
    if (!this.options.multiplexed && this.pending.size === 0 && !this.closed)
      this.owner.onConnectionIdle(this);
  }

  private allocateId(): number {
    // Skip ids still in flight after a wrap-around; with < 2^31 requests outstanding one is free.
    do {
      this.nextId = this.nextId >= MAX_ID ? 1 : this.nextId + 1;
    } while (this.pending.has(this.nextId));
    return this.nextId;
  }

  private onConnect(): void {
    this.connected = true;
    this.clearConnectTimer();
    if (this.options.heartbeatIntervalMs > 0 && this.codec.encodeHeartbeat !== undefined) {
      this.heartbeatTimer = setInterval(onHeartbeatTick, this.options.heartbeatIntervalMs, this);
      this.heartbeatTimer.unref();
    }
    if (this.options.idleTimeoutMs > 0) this.socket.setTimeout(this.options.idleTimeoutMs);
    const waiting = this.waiting;
    this.waiting = [];
    for (let i = 0; i < waiting.length; i++) this.write(waiting[i]!);
    if (waiting.length === 0 && !this.options.multiplexed) this.owner.onConnectionIdle(this);
  }

  private onData(chunk: Buffer): void {
    this.readsSinceTick++;
    const input = this.input;
    input.push(chunk);
    let message: Message | undefined;
    // The requests its responses complete are timed with one clock reading.
    beginRead();
    try {
      while ((message = this.codec.decode(input)) !== undefined) this.dispatch(message);
    } catch (err) {
      this.stats.rsDecodeError++;
      const detail = CodecError.isCodecError(err) ? err.message : String(err);
      this.failAll(
        'bad-response',
        `upstream ${this.host.key} sent bytes that could not be decoded: ${detail}`,
      );
      this.close();
    } finally {
      endRead();
    }
  }

  private dispatch(message: Message): void {
    switch (message.type) {
      case 'response':
      case 'error': {
        const id = message.requestId;
        let request = typeof id === 'number' ? this.pending.get(id) : this.wideRequest(id);
        if (request === undefined && !this.options.multiplexed && this.pending.size === 1) {
          // One request in flight and a reply with another id: the upstream broke the protocol.
          request = this.pending.values()[0]!;
          this.pending.delete(request.upstreamId);
          request.upstream = undefined;
          this.host.recordOutcome('error');
          request.onUpstreamFailure(
            'bad-response',
            `upstream ${this.host.key} answered with an unexpected request id`,
            true,
          );
          this.close();
          return;
        }
        if (request === undefined) {
          this.stats.rsUnknownId++;
          return;
        }
        this.pending.delete(request.upstreamId);
        request.upstream = undefined;
        // A reply read before the pause took effect completes the request; the next one must be read.
        if (this.readPaused) this.readDisable(false);
        this.stats.rqCompleted++;
        this.host.recordOutcome(message.status === 'error' || message.type === 'error' ? 'error' : 'success');
        request.onUpstreamResponse(message);
        if (this.pending.size === 0 && !this.closed && (!this.options.multiplexed || this.exhausted))
          this.owner.onConnectionIdle(this);
        return;
      }
      case 'heartbeat':
        if (this.codec.encodeHeartbeatReply !== undefined)
          this.writer.write(this.codec.encodeHeartbeatReply(message));
        return;
      case 'goaway':
        this.onGoAway();
        return;
      default:
        // Heartbeat replies need no action; requests from a server are not part of the protocol.
        return;
    }
  }

  /** The peer is going away: finish what is in flight here, take nothing new, then close. */
  private onGoAway(): void {
    if (this.goingAway || this.closed) return;
    this.goingAway = true;
    this.stats.cxCloseNotify++;
    // The pool lets go of it first: its close event comes later, and nothing may be sent meanwhile.
    this.owner.onConnectionRetired(this);
    if (this.pending.size === 0) this.close();
  }

  /** The request in flight whose client id is `id`, a bigint (exclusive connections only). */
  private wideRequest(id: RequestId): UpstreamRequest | undefined {
    const request = this.pending.get(WIDE_ID_KEY);
    return request !== undefined && request.message.requestId === id ? request : undefined;
  }

  /** @internal Probes a silent peer; closes the connection when it stopped answering. */
  onHeartbeatTick(): void {
    // Not reading on purpose: silence proves nothing about the peer.
    if (this.readsSinceTick > 0 || this.readPaused) {
      this.readsSinceTick = 0;
      this.missedHeartbeats = 0;
      return;
    }
    if (this.missedHeartbeats >= MAX_MISSED_HEARTBEATS) {
      this.stats.cxHeartbeatFailure++;
      this.failAll('upstream-reset', `${this.host.key} stopped answering heartbeats`);
      this.close();
      return;
    }
    this.missedHeartbeats++;
    this.stats.heartbeatSent++;
    let probe: Buffer;
    try {
      probe = this.codec.encodeHeartbeat!(this.allocateId());
    } catch (err) {
      // Called from a timer, where a throw would end the process: the codec fails this connection only.
      this.failAll(
        'upstream-reset',
        `the codec could not encode a heartbeat: ${err instanceof Error ? err.message : String(err)}`,
      );
      this.close();
      return;
    }
    this.writer.write(probe);
  }

  private onIdle(): void {
    if (this.load > 0) return;
    this.stats.cxIdleTimeout++;
    this.close();
  }

  private onSocketError(err: NodeJS.ErrnoException): void {
    if (!this.connected) {
      this.stats.cxConnectFail++;
      this.failAll('connect-failure', `connection to ${this.host.key} failed: ${err.code ?? err.message}`);
    } else {
      this.failAll('upstream-reset', `connection to ${this.host.key} failed: ${err.code ?? err.message}`);
    }
  }

  /** @internal */
  onConnectTimeout(): void {
    this.connectTimer = undefined;
    if (this.connected || this.closed) return;
    this.stats.cxConnectTimeout++;
    this.failAll(
      'connect-failure',
      `connection to ${this.host.key} timed out after ${this.options.connectTimeoutMs} ms`,
    );
    this.socket.destroy();
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.clearConnectTimer();
    if (this.heartbeatTimer !== undefined) clearInterval(this.heartbeatTimer);
    this.stats.cxActive--;
    this.failAll(
      this.connected ? 'upstream-reset' : 'connect-failure',
      `connection to ${this.host.key} closed before the response`,
    );
    this.input.clear();
    this.owner.onConnectionClosed(this);
  }

  private failAll(kind: 'connect-failure' | 'upstream-reset' | 'bad-response', detail: string): void {
    const waiting = this.waiting;
    this.waiting = [];
    const pending = this.pending.values();
    this.pending.clear();
    if (waiting.length + pending.length > 0) this.stats.rqReset += waiting.length + pending.length;
    const outcome = kind === 'bad-response' ? 'error' : 'gateway-error';
    const host = this.host;
    for (const request of waiting) {
      request.upstream = undefined;
      host.recordOutcome(outcome);
      request.onUpstreamFailure(kind, detail, false);
    }
    // Requests already written may have reached the server; a reset then is not a connect failure.
    const writtenKind = kind === 'connect-failure' ? 'upstream-reset' : kind;
    const responseStarted = kind === 'bad-response' || this.input.length > 0;
    for (const request of pending) {
      request.upstream = undefined;
      host.recordOutcome(outcome);
      request.onUpstreamFailure(writtenKind, detail, responseStarted);
    }
  }

  private clearConnectTimer(): void {
    if (this.connectTimer !== undefined) {
      clearTimeout(this.connectTimer);
      this.connectTimer = undefined;
    }
  }
}

function onConnectTimeout(connection: UpstreamConnection): void {
  connection.onConnectTimeout();
}

function onHeartbeatTick(connection: UpstreamConnection): void {
  connection.onHeartbeatTick();
}
