/**
 * A bound address and port for Redis clients. Its state (routes, faults, auth, settings) can be
 * replaced at any time: connections stay open and each command uses the state in force when it is
 * read. Finished commands go to taps and the access log when there are any.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { AerakiError, ErrorCodes } from '../../errors.js';
import { adoptAccepted, ScratchReads } from '../../net/scratch-reads.js';
import type { RedisUpstreams } from '../upstream/redis-upstreams.js';
import type { RedisListenerState } from './listener-state.js';
import { RedisListenerStats } from './redis-stats.js';
import { RedisSession, type SessionHost } from './redis-session.js';
import type { ReplySlot } from './reply-slot.js';

/** A finished command as taps and the access log see it. */
export interface RedisCommandRecord {
  /** ISO 8601 time the command was read. */
  readonly startTime: string;
  readonly listener: string;
  readonly client: string;
  readonly command: string;
  /** The first key (UTF-8, at most 256 characters), when the command has one. */
  readonly key?: string;
  readonly cluster?: string;
  readonly durationMs: number;
  /** `ok` or `error`. */
  readonly status: 'ok' | 'error';
  /** The error text, when the reply is an error. */
  readonly error?: string;
  readonly fault?: 'delay' | 'error';
  readonly requestBytes: number;
  readonly responseBytes: number;
}

/** Receives finished commands (a tap, the access log). */
export interface RedisCommandObserver {
  /** Whether it wants this command (a tap's filter); called before the record is built. */
  wants(command: string, key: () => string | undefined): boolean;
  publish(record: RedisCommandRecord): void;
}

export class RedisListener implements SessionHost {
  readonly stats = new RedisListenerStats();
  private readonly server: Server;
  private readonly sessions = new Set<RedisSession>();
  private current: RedisListenerState;
  private draining = false;
  private observers: readonly RedisCommandObserver[] = [];

  constructor(
    state: RedisListenerState,
    readonly upstreams: RedisUpstreams,
    private readonly logger: Logger,
    private accessLog: RedisCommandObserver | undefined,
  ) {
    this.current = state;
    // Paused: each connection is moved into a socket that reads into the scratch buffer (adoptAccepted).
    const options = { allowHalfOpen: true, noDelay: true, pauseOnConnect: true };
    this.server = createServer(options, socket => this.onConnection(socket));
  }

  get state(): RedisListenerState {
    return this.current;
  }

  get name(): string {
    return this.current.resource.name;
  }

  get connectionCount(): number {
    return this.sessions.size;
  }

  get observed(): boolean {
    return this.observers.length > 0 || this.accessLog !== undefined;
  }

  get taps(): number {
    return this.observers.length;
  }

  /** Binds the address; rejects with a catalogued error naming the address and the cause. */
  listen(): Promise<void> {
    const { address, port, name } = this.current.resource;
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        reject(
          new AerakiError(
            ErrorCodes.LISTEN_FAILED,
            `listener ${name} cannot listen on ${address}:${port}: ${err.code ?? err.message}`,
            { cause: err },
          ),
        );
      };
      this.server.once('error', onError);
      this.server.listen({ host: address, port, backlog: 1024 }, () => {
        this.server.off('error', onError);
        this.server.on('error', err => this.logger.error({ err, listener: name }, 'listener error'));
        resolve();
      });
    });
  }

  /** Swaps in a new state; commands already read keep the old one. */
  update(state: RedisListenerState, accessLog: RedisCommandObserver | undefined): void {
    this.current = state;
    this.accessLog = accessLog;
  }

  addObserver(observer: RedisCommandObserver): void {
    this.observers = [...this.observers, observer];
  }

  removeObserver(observer: RedisCommandObserver): void {
    this.observers = this.observers.filter(o => o !== observer);
  }

  onCommandFinished(session: RedisSession, slot: ReplySlot): void {
    let record: RedisCommandRecord | undefined;
    const make = (): RedisCommandRecord => (record ??= this.record(session, slot));
    const key = (): string | undefined => slot.keyText();
    for (const observer of this.observers) if (observer.wants(slot.command, key)) observer.publish(make());
    const log = this.accessLog;
    if (log !== undefined && log.wants(slot.command, key)) log.publish(make());
  }

  onSessionClosed(session: RedisSession): void {
    this.sessions.delete(session);
  }

  /**
   * Stops accepting, lets each connection get the replies it is owed, then closes it. Resolves when
   * every connection is closed or `graceMs` has passed (remaining ones are closed then).
   */
  async drain(graceMs: number): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    this.server.close();
    for (const s of this.sessions) s.drain();
    const deadline = Date.now() + graceMs;
    while (this.sessions.size > 0 && Date.now() < deadline) {
      await new Promise(resolve => setTimeout(resolve, 20));
    }
    for (const s of this.sessions) s.destroy();
  }

  private onConnection(socket: Socket): void {
    if (this.draining) {
      socket.destroy();
      return;
    }
    const reads = new ScratchReads();
    this.sessions.add(new RedisSession(adoptAccepted(socket, reads), reads, this));
  }

  private record(session: RedisSession, slot: ReplySlot): RedisCommandRecord {
    const reply = slot.reply;
    let bytes = slot.replyEnd - slot.replyStart;
    let error: string | undefined;
    if (Array.isArray(reply)) {
      bytes = reply.reduce((n, b) => n + b.length, 0);
      const first = reply.find(b => b[0] === 45);
      if (slot.error && first !== undefined)
        error = first.toString('utf8', 1, Math.min(first.length - 2, 257));
    } else if (slot.error && reply !== undefined && reply[slot.replyStart] === 45) {
      error = reply.toString('utf8', slot.replyStart + 1, Math.min(slot.replyEnd - 2, slot.replyStart + 257));
    }
    const key = slot.keyText();
    return {
      startTime: new Date(slot.startTime).toISOString(),
      listener: this.name,
      client: session.peer,
      command: slot.command,
      ...(key === undefined ? {} : { key }),
      ...(slot.cluster === '' ? {} : { cluster: slot.cluster }),
      durationMs: Date.now() - slot.startTime,
      status: slot.error ? 'error' : 'ok',
      ...(error === undefined ? {} : { error }),
      ...(slot.fault === undefined ? {} : { fault: slot.fault }),
      requestBytes: slot.requestBytes,
      responseBytes: bytes,
    };
  }
}
