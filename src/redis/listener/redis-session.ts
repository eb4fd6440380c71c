/**
 * One client connection to a Redis listener: reads commands (pipelined, RESP2 or RESP3), answers the
 * ones the proxy owns (PING, ECHO, TIME, QUIT, AUTH, HELLO, INFO, CLIENT SETNAME/GETNAME/SETINFO/ID,
 * SELECT 0, READONLY), refuses the ones it cannot route with an error naming them, routes the rest,
 * and writes the replies back in command order.
 *
 * HELLO switches the connection to RESP3 when asked (its commands then use RESP3 upstream
 * connections, so replies need no translation); clients that probe with HELLO are never
 * disconnected for it. Bytes that are not RESP get Redis's protocol error, then the connection
 * closes after the replies before it, as Redis does. Memory is bounded: reading pauses while too many
 * replies are outstanding or too many bytes wait to be written.
 */
import type { Socket } from 'node:net';
import { CoalescingWriter } from '../../net/coalescing-writer.js';
import { beginRead, endRead, readTime } from '../../net/read-clock.js';
import type { ScratchReads } from '../../net/scratch-reads.js';
import { CommandKind, lookupCommandBytes, type CommandSpec } from '../commands.js';
import { ParseStatus, RespCommand, RespRequestParser } from '../resp/request-parser.js';
import {
  bulkReply,
  errorReply,
  integerReply,
  mapReply,
  nullReply,
  OK_REPLY,
  PONG_REPLY,
} from '../resp/resp-encode.js';
import type { RedisUpstreams } from '../upstream/redis-upstreams.js';
import { routeCommand, wrongArguments, type CommandContext } from './command-router.js';
import type { RedisListenerState } from './listener-state.js';
import type { RedisListenerStats } from './redis-stats.js';
import { ReplySlot, type SlotOwner } from './reply-slot.js';

/** What a session needs from its listener. */
export interface SessionHost {
  readonly state: RedisListenerState;
  readonly stats: RedisListenerStats;
  readonly upstreams: RedisUpstreams;
  /** Whether finished commands are wanted (taps, access log). */
  readonly observed: boolean;
  onCommandFinished(session: RedisSession, slot: ReplySlot): void;
  onSessionClosed(session: RedisSession): void;
}

/** Replies outstanding before reading pauses. */
const MAX_OUTSTANDING = 4096;
/** Written slots kept for reuse per connection. */
const MAX_SPARE_SLOTS = 64;
/** A reply queue that held more slots than this is not kept once empty. */
const KEPT_QUEUE_LENGTH = 256;
/**
 * Bytes the socket holds for the client (not taken by the kernel) before reading pauses: a client that
 * sends and does not read makes the proxy hold at most this much of its replies, plus the replies to
 * the commands already read (at most MAX_OUTSTANDING).
 */
export const MAX_PENDING_WRITE = 8 * 1024 * 1024;

/** The version HELLO and INFO report: the command set the proxy speaks. */
export const REDIS_VERSION = '7.0.0';

const NOAUTH = 'NOAUTH Authentication required.';
const HELLO_NOAUTH =
  'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time';
const WRONGPASS = 'WRONGPASS invalid username-password pair or user is disabled.';

let nextClientId = 1;

export class RedisSession implements CommandContext, SlotOwner {
  readonly id = nextClientId++;
  protocol: 2 | 3 = 2;
  /** `address:port` of the client. */
  readonly peer: string;
  private authenticated = false;
  private clientName: string | undefined;
  private readonly writer: CoalescingWriter;
  private readonly parser: RespRequestParser;
  private readonly command = new RespCommand();
  /**
   * Slots in command order, `queue[head, tail)` not yet written: the array is kept and refilled from
   * its start whenever it empties (no array per burst of commands).
   */
  private readonly queue: (ReplySlot | undefined)[] = [];
  private head = 0;
  private tail = 0;
  /** Written slots, reused for the next commands (no object per command at a steady pipeline depth). */
  private readonly spare: ReplySlot[] = [];
  private paused = false;
  /** Set once a reply that closes the connection is queued (QUIT, protocol error). */
  private closing = false;
  private closed = false;

  constructor(
    private readonly socket: Socket,
    reads: ScratchReads,
    private readonly host: SessionHost,
  ) {
    this.peer = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
    this.writer = new CoalescingWriter(socket, () => this.afterHandOver());
    this.parser = new RespRequestParser();
    this.authenticated = !host.state.authRequired;
    const stats = host.stats;
    stats.downstreamCxTotal++;
    stats.downstreamCxActive++;
    reads.onChunk = chunk => this.onData(chunk);
    socket.on('drain', () => this.maybeResume());
    socket.on('error', () => this.destroy());
    socket.on('close', () => this.onClose());
    socket.on('end', () => {
      // The client sent everything: answer what was asked, then close.
      this.closing = true;
      this.endIfDone();
    });
  }

  get upstreams(): RedisUpstreams {
    return this.host.upstreams;
  }

  /** Commands read and not yet answered. */
  get outstanding(): number {
    return this.tail - this.head;
  }

  /** Closes the connection at once (listener drain). */
  destroy(): void {
    this.socket.destroy();
  }

  /** Finishes the replies owed, then closes. */
  drain(): void {
    this.closing = true;
    this.socket.pause();
    this.endIfDone();
  }

  private onData(chunk: Buffer): void {
    if (this.closing) return;
    const stats = this.host.stats;
    stats.downstreamCxRxBytesTotal += chunk.length;
    beginRead();
    try {
      this.parser.push(chunk);
      const command = this.command;
      for (;;) {
        const status = this.parser.next(command);
        if (status === ParseStatus.NeedMore) break;
        if (status === ParseStatus.Error) {
          stats.downstreamCxProtocolError++;
          const slot = this.newSlot();
          this.queue[this.tail++] = slot;
          this.closing = true;
          slot.fill(errorReply(`ERR ${this.parser.error}`), true);
          break;
        }
        this.handle(command);
        if (this.closing) break;
      }
    } finally {
      endRead();
    }
    if (!this.paused && this.outstanding >= MAX_OUTSTANDING) this.pause();
  }

  private pause(): void {
    this.paused = true;
    this.socket.pause();
  }

  /**
   * Replies were handed to the socket: when the client does not read them, stop reading its commands.
   * The socket then owes a 'drain' (a write found its buffer over Node's watermark), which resumes.
   */
  private afterHandOver(): void {
    if (this.paused) this.maybeResume();
    else if (this.socket.writableLength >= MAX_PENDING_WRITE) this.pause();
  }

  private handle(command: RespCommand): void {
    const host = this.host;
    const stats = host.stats;
    stats.downstreamRqTotal++;
    stats.downstreamRqActive++;
    const slot = this.newSlot();
    slot.requestBytes = command.length;
    this.queue[this.tail++] = slot;
    const spec = lookupCommandBytes(command.buf, command.starts[0]!, command.ends[0]!);
    const state = host.state;
    if (spec === undefined) {
      const name = command.argLatin1(0);
      slot.command = name.toLowerCase();
      stats.splitterUnsupportedCommand++;
      slot.fill(errorReply(`ERR unsupported command '${truncate(name)}': the proxy does not know it`), true);
      return;
    }
    slot.command = spec.name;
    if (!this.authenticated && spec.name !== 'auth' && spec.name !== 'hello' && spec.name !== 'quit') {
      slot.fill(errorReply(NOAUTH), true);
      return;
    }
    switch (spec.kind) {
      case CommandKind.Local:
        this.local(slot, command, spec, state);
        return;
      case CommandKind.Unsupported:
        stats.splitterUnsupportedCommand++;
        slot.fill(
          errorReply(`ERR unsupported command '${spec.name.toUpperCase()}': ${spec.unsupported}`),
          true,
        );
        return;
      default: {
        const commandStats = stats.command(spec.name);
        commandStats.total++;
        slot.stats = commandStats;
        if (!routeCommand(this, slot, command, spec, state)) stats.splitterInvalidRequest++;
      }
    }
  }

  /** Commands the proxy answers itself. */
  private local(slot: ReplySlot, command: RespCommand, spec: CommandSpec, state: RedisListenerState): void {
    const argc = command.argc;
    switch (spec.name) {
      case 'ping':
        if (argc > 2) return this.invalid(slot, spec);
        return slot.fill(argc === 2 ? bulkReply(command.arg(1)) : PONG_REPLY, false);
      case 'echo':
        if (argc !== 2) return this.invalid(slot, spec);
        return slot.fill(bulkReply(command.arg(1)), false);
      case 'time': {
        const micros = BigInt(Date.now()) * 1000n;
        return slot.fill(
          Buffer.concat([
            Buffer.from('*2\r\n'),
            bulkReply(String(micros / 1_000_000n)),
            bulkReply(String(micros % 1_000_000n)),
          ]),
          false,
        );
      }
      case 'quit':
        this.closing = true;
        return slot.fill(OK_REPLY, false);
      case 'select':
        if (argc !== 2) return this.invalid(slot, spec);
        return command.argIs(1, '0')
          ? slot.fill(OK_REPLY, false)
          : slot.fill(errorReply("ERR unsupported command 'SELECT': the proxy serves database 0 only"), true);
      case 'readonly':
      case 'readwrite':
        return slot.fill(OK_REPLY, false);
      case 'auth':
        return this.auth(slot, command, state);
      case 'hello':
        return this.hello(slot, command, state);
      case 'info':
        return slot.fill(bulkReply(this.info()), false);
      case 'client':
        return this.client(slot, command);
      default:
        return slot.fill(errorReply(`ERR unsupported command '${spec.name.toUpperCase()}'`), true);
    }
  }

  private invalid(slot: ReplySlot, spec: CommandSpec): void {
    this.host.stats.splitterInvalidRequest++;
    slot.fill(errorReply(wrongArguments(spec.name)), true);
  }

  /** `AUTH [username] password`, checked against the listener's downstream auth (Envoy's rules). */
  private auth(slot: ReplySlot, command: RespCommand, state: RedisListenerState): void {
    const argc = command.argc;
    if (argc !== 2 && argc !== 3)
      return this.invalid(slot, { name: 'auth', kind: CommandKind.Local, write: false });
    const error = checkAuth(state, argc === 3 ? command.argUtf8(1) : undefined, command.argUtf8(argc - 1));
    if (error !== undefined) {
      slot.fill(errorReply(error), true);
      return;
    }
    this.authenticated = true;
    slot.fill(OK_REPLY, false);
  }

  /** `HELLO [protover [AUTH username password] [SETNAME name]]`. */
  private hello(slot: ReplySlot, command: RespCommand, state: RedisListenerState): void {
    const argc = command.argc;
    let protocol = this.protocol;
    if (argc >= 2) {
      const version = command.argInteger(1);
      if (version === undefined) {
        slot.fill(errorReply('ERR Protocol version is not an integer or out of range'), true);
        return;
      }
      if (version !== 2 && version !== 3) {
        slot.fill(errorReply('NOPROTO unsupported protocol version'), true);
        return;
      }
      protocol = version;
    }
    let name = this.clientName;
    let authenticated = this.authenticated;
    for (let i = 2; i < argc; i++) {
      if (command.argIs(i, 'auth') && i + 2 < argc) {
        // Without downstream auth, HELLO's AUTH passes, as Redis's default user without a password
        // takes any (clients configured with a password send it in HELLO on their own).
        const error = state.authRequired
          ? checkAuth(state, command.argUtf8(i + 1), command.argUtf8(i + 2))
          : undefined;
        if (error !== undefined) {
          slot.fill(errorReply(error.startsWith('ERR Client sent AUTH') ? error : WRONGPASS), true);
          return;
        }
        authenticated = true;
        i += 2;
      } else if (command.argIs(i, 'setname') && i + 1 < argc) {
        name = command.argUtf8(i + 1);
        i += 1;
      } else {
        slot.fill(errorReply(`ERR Syntax error in HELLO option '${truncate(command.argUtf8(i))}'`), true);
        return;
      }
    }
    if (!authenticated) {
      slot.fill(errorReply(HELLO_NOAUTH), true);
      return;
    }
    this.authenticated = true;
    this.clientName = name;
    this.protocol = protocol;
    slot.fill(
      mapReply(protocol, [
        ['server', bulkReply('redis')],
        ['version', bulkReply(REDIS_VERSION)],
        ['proto', integerReply(protocol)],
        ['id', integerReply(this.id)],
        ['mode', bulkReply('standalone')],
        ['role', bulkReply('master')],
        ['modules', Buffer.from('*0\r\n')],
      ]),
      false,
    );
  }

  private client(slot: ReplySlot, command: RespCommand): void {
    const argc = command.argc;
    if (argc >= 2) {
      if (command.argIs(1, 'setname') && argc === 3) {
        this.clientName = command.argUtf8(2);
        return slot.fill(OK_REPLY, false);
      }
      if (command.argIs(1, 'getname') && argc === 2) {
        return slot.fill(
          this.clientName === undefined ? nullReply(this.protocol) : bulkReply(this.clientName),
          false,
        );
      }
      if (command.argIs(1, 'setinfo') && argc === 4) return slot.fill(OK_REPLY, false);
      if (command.argIs(1, 'id') && argc === 2) return slot.fill(integerReply(this.id), false);
    }
    this.host.stats.splitterUnsupportedCommand++;
    const sub = argc >= 2 ? ` ${truncate(command.argLatin1(1)).toUpperCase()}` : '';
    slot.fill(errorReply(`ERR unsupported command 'CLIENT${sub}': the proxy cannot route it`), true);
  }

  private info(): string {
    return [
      '# Server',
      `redis_version:${REDIS_VERSION}`,
      'redis_mode:standalone',
      'proxy:aeraki',
      '',
      '# Clients',
      `connected_clients:${this.host.stats.downstreamCxActive}`,
      '',
      '# Persistence',
      'loading:0',
      '',
    ].join('\r\n');
  }

  /** A slot got its reply: write every ready reply at the head, in order. */
  onSlotFilled(slot: ReplySlot): void {
    if (this.closed) {
      this.finished(slot);
      return;
    }
    if (this.queue[this.head] !== slot) return;
    const queue = this.queue;
    const tail = this.tail;
    let head = this.head;
    const writer = this.writer;
    let bytes = 0;
    while (head < tail) {
      const next = queue[head]!;
      if (!next.ready) break;
      const reply = next.reply!;
      if (Array.isArray(reply)) {
        for (const part of reply) {
          writer.write(part);
          bytes += part.length;
        }
      } else {
        writer.writeRange(reply, next.replyStart, next.replyEnd);
        bytes += next.replyEnd - next.replyStart;
      }
      queue[head++] = undefined;
      this.finished(next);
      // The reply's bytes are copied or queued: the slot (and the server's read buffer) can go.
      if (this.spare.length < MAX_SPARE_SLOTS) {
        next.reset();
        this.spare.push(next);
      } else next.reply = undefined;
    }
    this.host.stats.downstreamCxTxBytesTotal += bytes;
    if (head === tail) {
      // A deep pipeline's array is given back once answered (kept, it would hold up to twice
      // MAX_OUTSTANDING entries for the connection's life); a shallow one is kept for reuse.
      if (tail > KEPT_QUEUE_LENGTH) queue.length = 0;
      this.head = 0;
      this.tail = 0;
    } else if (head > 1024 && head * 2 > tail) {
      queue.copyWithin(0, head, tail);
      queue.fill(undefined, tail - head, tail);
      this.head = 0;
      this.tail = tail - head;
    } else {
      this.head = head;
    }
    this.maybeResume();
    this.endIfDone();
  }

  private newSlot(): ReplySlot {
    const slot = this.spare.pop();
    if (slot === undefined) return new ReplySlot(this);
    slot.reset();
    return slot;
  }

  private finished(slot: ReplySlot): void {
    const host = this.host;
    if (slot.command === '') return;
    host.stats.downstreamRqActive--;
    const stats = slot.stats;
    if (stats !== undefined) {
      if (slot.error) stats.error++;
      else stats.success++;
      stats.latency.observe(readTime() - slot.startTime);
    }
    if (host.observed) host.onCommandFinished(this, slot);
  }

  private maybeResume(): void {
    if (!this.paused || this.closing) return;
    if (this.outstanding < MAX_OUTSTANDING / 2 && this.writer.pendingBytes < MAX_PENDING_WRITE / 2) {
      this.paused = false;
      this.socket.resume();
    }
  }

  private endIfDone(): void {
    if (!this.closing || this.closed || this.outstanding > 0) return;
    this.writer.flush();
    this.socket.end();
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    const stats = this.host.stats;
    stats.downstreamCxActive--;
    // Commands still in flight finish upstream; their replies have nowhere to go.
    this.host.onSessionClosed(this);
  }
}

/** Checks credentials as Envoy's redis_proxy does; the error reply, or undefined when accepted. */
function checkAuth(
  state: RedisListenerState,
  username: string | undefined,
  password: string,
): string | undefined {
  const auth = state.resource.downstreamAuth;
  if (auth === undefined) return 'ERR Client sent AUTH, but no password is set';
  if (auth.username === undefined) {
    // Redis's default user: `AUTH default <password>` is the same as `AUTH <password>`.
    if (username !== undefined && username !== 'default') return WRONGPASS;
    return auth.passwords.includes(password) ? undefined : 'ERR invalid password';
  }
  return username === auth.username && auth.passwords.includes(password) ? undefined : WRONGPASS;
}

function truncate(text: string): string {
  return text.length > 64 ? `${text.slice(0, 61)}...` : text;
}
