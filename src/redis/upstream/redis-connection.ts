/**
 * One TCP connection to a Redis server, shared by every client whose commands go there: commands are
 * pipelined and replies matched to them in order (Redis answers in order). It authenticates first
 * when the cluster has credentials, speaks RESP3 when its clients do (HELLO 3), and marks itself
 * READONLY for reads from replicas. Writes leave once per event-loop turn, or in batches of
 * `flushBytes` (Envoy's `max_buffer_size_before_flush`) at most `flushTimeoutMs` apart.
 *
 * Failures never leave a command waiting: a connection that cannot connect, closes, sends bytes that
 * are not RESP, or does not answer within a command's op timeout (counted, as Envoy does, from the
 * first command written or the last reply received) is closed, and every command on it gets an
 * `ERR upstream failure: …` error naming the server and the cause.
 */
import { connect, type Socket } from 'node:net';
import { CoalescingWriter } from '../../net/coalescing-writer.js';
import { beginRead, endRead, readTime } from '../../net/read-clock.js';
import { ScratchReads } from '../../net/scratch-reads.js';
import type { ClusterStats } from '../../upstream/cluster-stats.js';
import type { RedisUpstreamAuth } from '../../xds/redis-resources.js';
import { encodeCommand } from '../resp/resp-encode.js';
import {
  isErrorReply,
  replyErrorText,
  ReplyScanner,
  ReplyType,
  REPLY_INCOMPLETE,
  REPLY_MALFORMED,
} from '../resp/reply-scanner.js';
import { FLAG_INTERNAL, FLAG_REDIRECT, PendingQueue } from './pending-queue.js';
import type { ReplyTarget, UpstreamCommandStats } from './reply-target.js';

/** How a connection is set up. */
export interface ConnectionSettings {
  readonly connectTimeoutMs: number;
  readonly auth: RedisUpstreamAuth | undefined;
  /** Send READONLY first (Redis Cluster replicas serve reads only to READONLY connections). */
  readonly readOnly: boolean;
  /** Batch writes up to this many bytes; 0 = write once per event-loop turn. */
  readonly flushBytes: number;
  /** With batching: write at the latest this long after the first batched command. */
  readonly flushTimeoutMs: number;
}

/** What a connection tells the node that owns it. */
export interface ConnectionOwner {
  readonly stats: ClusterStats | undefined;
  onConnected(connection: RedisConnection): void;
  /** The connection is gone (`connected`: whether it ever was up); called before its commands fail. */
  onConnectionClosed(connection: RedisConnection, reason: string, connected: boolean): void;
  /** A handshake command (AUTH, HELLO, READONLY) failed. */
  onHandshakeError(connection: RedisConnection, command: string, message: string): void;
  /**
   * A command that may be redirected got MOVED or ASK; true when the owner sent it on (its reply
   * then reaches the target from there), false to pass the error to the client.
   */
  redirect(
    kind: 'moved' | 'ask',
    slot: number,
    address: string,
    raw: Buffer,
    target: ReplyTarget,
    index: number,
    flags: number,
    hops: number,
    timeoutMs: number,
    stats: UpstreamCommandStats | undefined,
    protocol: 2 | 3,
  ): boolean;
}

/** Connections with commands in flight are checked for op timeouts this often. */
const TIMEOUT_TICK_MS = 25;
const live = new Set<RedisConnection>();
let ticker: NodeJS.Timeout | undefined;

function tick(): void {
  const now = Date.now();
  for (const connection of live) connection.checkTimeout(now);
}

function track(connection: RedisConnection): void {
  live.add(connection);
  if (ticker === undefined) {
    ticker = setInterval(tick, TIMEOUT_TICK_MS);
    ticker.unref();
  }
}

function untrack(connection: RedisConnection): void {
  live.delete(connection);
  if (live.size === 0 && ticker !== undefined) {
    clearInterval(ticker);
    ticker = undefined;
  }
}

/** Replies to the proxy's own handshake commands. */
const HANDSHAKE = ['AUTH', 'HELLO', 'READONLY'] as const;

class HandshakeTarget implements ReplyTarget {
  constructor(private readonly connection: RedisConnection) {}

  onReply(buf: Buffer, start: number, end: number, index: number): void {
    if (isErrorReply(buf, start)) this.connection.handshakeFailed(index, replyErrorText(buf, start, end));
  }

  onFailure(): void {}
}

function flushLater(connection: RedisConnection): void {
  connection.flushBatch();
}

export class RedisConnection {
  /** `address:port`. */
  readonly key: string;
  /** RESP version of the replies: 3 once HELLO 3 was sent, back to 2 if the server refused it. */
  protocol: 2 | 3;
  /** The RESP version its clients speak (the connection kind, whatever the server accepted). */
  readonly requested: 2 | 3;
  private readonly socket: Socket;
  private readonly writer: CoalescingWriter;
  private readonly scanner = new ReplyScanner();
  private readonly pending = new PendingQueue();
  private connected = false;
  private closedFlag = false;
  private draining = false;
  private connectTimer: NodeJS.Timeout | undefined;
  /** The partial reply and room for what follows it; views already handed out are never in it. */
  private acc: Buffer | undefined;
  private accLength = 0;
  /** Last reply received, or when the queue last became non-empty (op timeout clock). */
  private lastActivity = 0;
  private batch: Buffer[] = [];
  private batchBytes = 0;
  private flushTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly address: string,
    readonly port: number,
    protocol: 2 | 3,
    private readonly settings: ConnectionSettings,
    private readonly owner: ConnectionOwner,
  ) {
    this.key = `${address}:${port}`;
    this.protocol = protocol;
    this.requested = protocol;
    const stats = owner.stats;
    if (stats !== undefined) {
      stats.cxTotal++;
      stats.cxActive++;
    }
    const reads = new ScratchReads();
    reads.onChunk = chunk => this.onData(chunk);
    this.socket = connect({ host: address, port, noDelay: true, onread: reads.onread });
    this.writer = new CoalescingWriter(this.socket);
    this.socket.on('connect', () => this.onConnect());
    this.socket.on('error', (err: NodeJS.ErrnoException) => this.fail(describeSocketError(err, this.key)));
    this.socket.on('close', () => this.fail(`${this.key} closed the connection`));
    this.connectTimer = setTimeout(() => {
      if (stats !== undefined) stats.cxConnectTimeout++;
      this.fail(`no connection to ${this.key} within ${settings.connectTimeoutMs} ms`);
    }, settings.connectTimeoutMs);
    this.connectTimer.unref();
    track(this);
    // The handshake goes first; the server answers it before any client command.
    const handshake = new HandshakeTarget(this);
    const auth = settings.auth;
    if (auth !== undefined) {
      const args =
        auth.username === undefined ? ['AUTH', auth.password] : ['AUTH', auth.username, auth.password];
      this.sendInternal(encodeCommand(args), handshake, 0);
    }
    if (protocol === 3) this.sendInternal(HELLO3, handshake, 1);
    if (settings.readOnly) this.sendInternal(READONLY, handshake, 2);
  }

  /** Whether the connection can take no more commands. */
  get closed(): boolean {
    return this.closedFlag || this.draining;
  }

  /** Commands sent and not answered. */
  get inFlight(): number {
    return this.pending.length;
  }

  get isConnected(): boolean {
    return this.connected;
  }

  /**
   * Sends the command `raw[rawStart, rawEnd)` (bytes never written to again); its reply (or failure)
   * goes to `target` with `index`.
   */
  send(
    raw: Buffer,
    rawStart: number,
    rawEnd: number,
    target: ReplyTarget,
    index: number,
    flags: number,
    hops: number,
    timeoutMs: number,
    stats: UpstreamCommandStats | undefined,
  ): void {
    const now = readTime();
    if (this.pending.length === 0) this.lastActivity = now;
    this.pending.push(
      target,
      index,
      (flags & FLAG_REDIRECT) !== 0 ? raw.subarray(rawStart, rawEnd) : undefined,
      flags,
      hops,
      now,
      timeoutMs,
      stats,
    );
    const clusterStats = this.owner.stats;
    if (clusterStats !== undefined) clusterStats.rqTotal++;
    if (stats !== undefined) stats.total++;
    this.write(raw, rawStart, rawEnd);
  }

  /** Sends `ASKING` then the command, as one redirection by ASK requires. */
  sendAsking(
    raw: Buffer,
    rawStart: number,
    rawEnd: number,
    target: ReplyTarget,
    index: number,
    flags: number,
    hops: number,
    timeoutMs: number,
    stats: UpstreamCommandStats | undefined,
  ): void {
    this.sendInternal(ASKING, DISCARD_TARGET, 0);
    this.send(raw, rawStart, rawEnd, target, index, flags, hops, timeoutMs, stats);
  }

  private sendInternal(raw: Buffer, target: ReplyTarget, index: number): void {
    if (this.pending.length === 0) this.lastActivity = readTime();
    this.pending.push(target, index, undefined, FLAG_INTERNAL, 0, 0, 0, undefined);
    this.write(raw, 0, raw.length);
  }

  private write(raw: Buffer, start: number, end: number): void {
    const flushBytes = this.settings.flushBytes;
    if (flushBytes <= 0) {
      this.writer.writeRange(raw, start, end);
      return;
    }
    this.batch.push(start === 0 && end === raw.length ? raw : raw.subarray(start, end));
    this.batchBytes += end - start;
    if (this.batchBytes >= flushBytes) this.flushBatch();
    else if (this.flushTimer === undefined) {
      this.flushTimer = setTimeout(flushLater, this.settings.flushTimeoutMs, this);
    }
  }

  /** @internal Writes the batched commands now. */
  flushBatch(): void {
    if (this.flushTimer !== undefined) {
      clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
    }
    if (this.batch.length === 0) return;
    const batch = this.batch;
    this.batch = [];
    this.batchBytes = 0;
    if (this.socket.destroyed) return;
    this.socket.cork();
    for (const raw of batch) this.socket.write(raw);
    this.socket.uncork();
  }

  /** @internal A handshake command failed. */
  handshakeFailed(which: number, message: string): void {
    const command = HANDSHAKE[which] ?? 'handshake';
    // A server without RESP3 answers in RESP2; clients that asked for RESP3 read it all the same.
    if (command === 'HELLO') this.protocol = 2;
    this.owner.onHandshakeError(this, command, message);
  }

  /** Takes no more commands; closes once the ones in flight are answered. */
  drain(): void {
    if (this.closed) return;
    this.draining = true;
    this.flushBatch();
    if (this.pending.length === 0) this.close();
  }

  /** Closes now; commands in flight fail. */
  close(): void {
    this.fail(`connection to ${this.key} closed by the proxy`);
  }

  /** @internal Fails the connection when its oldest command waited longer than its op timeout. */
  checkTimeout(now: number): void {
    const pending = this.pending;
    if (pending.length === 0) return;
    // The proxy's own commands (handshake, ASKING) have no timeout: the first client command's applies.
    const timeout = pending.firstTimeout();
    if (timeout > 0 && now - this.lastActivity > timeout) {
      this.fail(`no reply from ${this.key} within ${timeout} ms (op timeout)`);
    }
  }

  private onConnect(): void {
    this.connected = true;
    if (this.connectTimer !== undefined) clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
    this.owner.onConnected(this);
  }

  private onData(chunk: Buffer): void {
    beginRead();
    try {
      let buf: Buffer;
      let end: number;
      if (this.accLength > 0) {
        this.append(chunk);
        buf = this.acc!;
        end = this.accLength;
      } else {
        buf = chunk;
        end = chunk.length;
      }
      let p = 0;
      while (p < end) {
        const replyEnd = this.scanner.scan(buf, p, end);
        if (replyEnd === REPLY_INCOMPLETE) break;
        if (replyEnd === REPLY_MALFORMED) {
          this.fail(`${this.key} sent bytes that are not RESP (${this.scanner.error})`);
          return;
        }
        this.dispatch(buf, p, replyEnd);
        if (this.closedFlag) return;
        p = replyEnd;
      }
      if (p >= end) {
        this.acc = undefined;
        this.accLength = 0;
      } else if (p > 0 || buf !== this.acc) {
        // Views of the replies before p may be held: the rest moves to a buffer of its own.
        const rest = end - p;
        const next = Buffer.allocUnsafe(Math.max(rest * 2, 16 * 1024));
        buf.copy(next, 0, p, end);
        this.acc = next;
        this.accLength = rest;
      }
      if (this.draining && this.pending.length === 0) this.close();
    } finally {
      endRead();
    }
  }

  private append(chunk: Buffer): void {
    const acc = this.acc!;
    const needed = this.accLength + chunk.length;
    if (needed <= acc.length) {
      chunk.copy(acc, this.accLength);
    } else {
      const next = Buffer.allocUnsafe(Math.max(needed, acc.length * 2));
      acc.copy(next, 0, 0, this.accLength);
      chunk.copy(next, this.accLength);
      this.acc = next;
    }
    this.accLength = needed;
  }

  private dispatch(buf: Buffer, start: number, end: number): void {
    const pending = this.pending;
    if (pending.length === 0) {
      // RESP3 pushes are not answers; anything else means the reply order is lost.
      if (buf[start] === ReplyType.push) return;
      this.fail(`${this.key} sent a reply to no command`);
      return;
    }
    const at = pending.first;
    const target = pending.targets[at]!;
    const index = pending.indices[at]!;
    const flags = pending.flags[at]!;
    const stats = pending.stats[at];
    const sentAt = pending.sentAt[at]!;
    const now = readTime();
    this.lastActivity = now;
    if ((flags & FLAG_REDIRECT) !== 0 && buf[start] === ReplyType.error) {
      const redirect = parseRedirect(buf, start, end);
      if (redirect !== undefined) {
        const raw = pending.raws[at]!;
        const hops = pending.hops[at]!;
        const timeout = pending.timeouts[at]!;
        pending.shift();
        const { kind, slot, address } = redirect;
        if (
          this.owner.redirect(
            kind,
            slot,
            address,
            raw,
            target,
            index,
            flags,
            hops,
            timeout,
            stats,
            this.requested,
          )
        ) {
          return;
        }
        this.deliver(target, index, stats, now - sentAt, buf, start, end);
        return;
      }
    }
    pending.shift();
    this.deliver(target, index, stats, now - sentAt, buf, start, end);
  }

  private deliver(
    target: ReplyTarget,
    index: number,
    stats: UpstreamCommandStats | undefined,
    latencyMs: number,
    buf: Buffer,
    start: number,
    end: number,
  ): void {
    const clusterStats = this.owner.stats;
    if (clusterStats !== undefined) clusterStats.rqCompleted++;
    if (stats !== undefined) {
      if (isErrorReply(buf, start)) stats.failure++;
      else stats.success++;
      stats.latencyMsSum += latencyMs;
    }
    target.onReply(buf, start, end, index);
  }

  private fail(reason: string): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    untrack(this);
    if (this.connectTimer !== undefined) clearTimeout(this.connectTimer);
    if (this.flushTimer !== undefined) clearTimeout(this.flushTimer);
    this.socket.destroy();
    const stats = this.owner.stats;
    if (stats !== undefined) {
      stats.cxActive--;
      if (!this.connected) stats.cxConnectFail++;
    }
    this.owner.onConnectionClosed(this, reason, this.connected);
    const message = `ERR upstream failure: ${reason}`;
    const pending = this.pending;
    while (pending.length > 0) {
      const at = pending.first;
      const target = pending.targets[at]!;
      const index = pending.indices[at]!;
      const commandStats = pending.stats[at];
      const internal = (pending.flags[at]! & FLAG_INTERNAL) !== 0;
      pending.shift();
      if (!internal) {
        if (stats !== undefined) stats.rqReset++;
        if (commandStats !== undefined) commandStats.failure++;
      }
      target.onFailure(message, index);
    }
  }
}

const HELLO3 = encodeCommand(['HELLO', '3']);
const READONLY = encodeCommand(['READONLY']);
const ASKING = encodeCommand(['ASKING']);
const DISCARD_TARGET: ReplyTarget = { onReply(): void {}, onFailure(): void {} };

/** `MOVED 3999 127.0.0.1:6381` / `ASK 3999 127.0.0.1:6381`, or `undefined`. */
export function parseRedirect(
  buf: Buffer,
  start: number,
  end: number,
): { kind: 'moved' | 'ask'; slot: number; address: string } | undefined {
  // "-MOVED " or "-ASK "
  const isMoved = buf[start + 1] === 77 && buf.toString('latin1', start + 1, start + 7) === 'MOVED ';
  const isAsk = !isMoved && buf[start + 1] === 65 && buf.toString('latin1', start + 1, start + 5) === 'ASK ';
  if (!isMoved && !isAsk) return undefined;
  const text = buf.toString('latin1', start + (isMoved ? 7 : 5), end - 2);
  const space = text.indexOf(' ');
  if (space <= 0) return undefined;
  const slot = Number(text.slice(0, space));
  const address = text.slice(space + 1).trim();
  if (!Number.isInteger(slot) || address === '') return undefined;
  return { kind: isMoved ? 'moved' : 'ask', slot, address };
}

function describeSocketError(err: NodeJS.ErrnoException, key: string): string {
  switch (err.code) {
    case 'ECONNREFUSED':
      return `connection refused by ${key}`;
    case 'ECONNRESET':
      return `${key} reset the connection`;
    case 'EPIPE':
      return `${key} closed the connection`;
    default:
      return `${err.code ?? err.message} (${key})`;
  }
}
