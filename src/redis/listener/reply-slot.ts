/**
 * A client command's place in its connection's reply order. Redis clients match replies to commands
 * by order, so every command gets a slot when it is read, and replies leave in slot order whenever
 * the oldest slots are filled, however the commands were routed. A slot is also the reply target of
 * a command routed to one server (no other object per command).
 */
import { readTime } from '../../net/read-clock.js';
import { isErrorReply } from '../resp/reply-scanner.js';
import { errorReply } from '../resp/resp-encode.js';
import type { ReplyTarget } from '../upstream/reply-target.js';
import type { RedisCommandStats } from './redis-stats.js';

/** Where a filled slot is reported. */
export interface SlotOwner {
  onSlotFilled(slot: ReplySlot): void;
}

function release(slot: ReplySlot): void {
  slot.delayUntil = 0;
  slot.owner.onSlotFilled(slot);
}

export class ReplySlot implements ReplyTarget {
  filled = false;
  /**
   * The reply: bytes `[replyStart, replyEnd)` of `reply` (a server's reply, not copied), or the
   * proxy's own reply whole, or its parts in order (a joined reply).
   */
  reply: Buffer | Buffer[] | undefined = undefined;
  replyStart = 0;
  replyEnd = 0;
  /** Whether the reply is (or contains, for split commands) an error. */
  error = false;
  startTime: number;
  /** Lower-case command name, for stats and logs; empty for replies to no command (protocol errors). */
  command = '';
  stats: RedisCommandStats | undefined = undefined;
  /** A delay fault holds the reply until then (ms); 0 = none. */
  delayUntil = 0;
  /** The fault injected, for logs. */
  fault: 'delay' | 'error' | undefined = undefined;
  /** For logs and taps: a buffer holding the command, and where its first key lies in it (-1: none). */
  raw: Buffer | undefined = undefined;
  keyStart = -1;
  keyEnd = -1;
  cluster = '';
  /** Bytes of the command as received. */
  requestBytes = 0;

  constructor(readonly owner: SlotOwner) {
    this.startTime = readTime();
  }

  /** Makes a written slot new again, for the next command of its connection (slots are reused). */
  reset(): void {
    this.filled = false;
    this.reply = undefined;
    this.replyStart = 0;
    this.replyEnd = 0;
    this.error = false;
    this.startTime = readTime();
    this.command = '';
    this.stats = undefined;
    this.delayUntil = 0;
    this.fault = undefined;
    this.raw = undefined;
    this.keyStart = -1;
    this.keyEnd = -1;
    this.cluster = '';
    this.requestBytes = 0;
  }

  onReply(buf: Buffer, start: number, end: number): void {
    this.fillRange(buf, start, end, isErrorReply(buf, start));
  }

  onFailure(message: string): void {
    this.fill(errorReply(message), true);
  }

  /** Fills the slot with a reply the proxy made (local commands, errors, joined replies). */
  fill(reply: Buffer | Buffer[], error: boolean): void {
    if (Array.isArray(reply)) this.fillRange(reply, 0, 0, error);
    else this.fillRange(reply, 0, reply.length, error);
  }

  /** The key as text, for logs and taps (at most 256 bytes of it). */
  keyText(): string | undefined {
    if (this.raw === undefined || this.keyStart < 0) return undefined;
    return this.raw.toString('utf8', this.keyStart, Math.min(this.keyEnd, this.keyStart + 256));
  }

  private fillRange(reply: Buffer | Buffer[], start: number, end: number, error: boolean): void {
    if (this.filled) return;
    this.reply = reply;
    this.replyStart = start;
    this.replyEnd = end;
    this.error = error;
    const wait = this.delayUntil === 0 ? 0 : this.delayUntil - readTime();
    if (wait > 0) {
      this.filled = true;
      setTimeout(release, wait, this);
      return;
    }
    this.filled = true;
    this.delayUntil = 0;
    this.owner.onSlotFilled(this);
  }

  /** Whether the slot may be written: filled, and not held by a delay fault. */
  get ready(): boolean {
    return this.filled && this.delayUntil === 0;
  }
}
