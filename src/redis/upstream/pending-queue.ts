/**
 * The commands a connection has sent and not yet seen answered, oldest first, in parallel arrays
 * used as a ring: pushing and shifting allocate nothing once the ring has grown to the pipeline's
 * depth.
 */
import type { ReplyTarget, UpstreamCommandStats } from './reply-target.js';

/** The entry follows MOVED and ASK redirections. */
export const FLAG_REDIRECT = 1;
/** The entry is a read command (a replica may serve it). */
export const FLAG_READ = 2;
/** The entry is the proxy's own command (handshake, ASKING): not counted in stats. */
export const FLAG_INTERNAL = 4;

export class PendingQueue {
  targets: (ReplyTarget | undefined)[] = new Array<ReplyTarget | undefined>(16);
  indices = new Int32Array(16);
  /** The command's bytes, kept for a redirection. */
  raws: (Buffer | undefined)[] = new Array<Buffer | undefined>(16);
  flags = new Uint8Array(16);
  /** Redirections followed so far. */
  hops = new Uint8Array(16);
  /** When the command was sent (ms). */
  sentAt = new Float64Array(16);
  /** Its op timeout (ms); 0 = none. */
  timeouts = new Float64Array(16);
  stats: (UpstreamCommandStats | undefined)[] = new Array<UpstreamCommandStats | undefined>(16);
  private head = 0;
  private count = 0;

  get length(): number {
    return this.count;
  }

  /** Ring position of the oldest entry; valid while length > 0. */
  get first(): number {
    return this.head;
  }

  push(
    target: ReplyTarget,
    index: number,
    raw: Buffer | undefined,
    flags: number,
    hops: number,
    sentAt: number,
    timeoutMs: number,
    stats: UpstreamCommandStats | undefined,
  ): void {
    if (this.count === this.targets.length) this.grow();
    const at = (this.head + this.count) & (this.targets.length - 1);
    this.targets[at] = target;
    this.indices[at] = index;
    this.raws[at] = raw;
    this.flags[at] = flags;
    this.hops[at] = hops;
    this.sentAt[at] = sentAt;
    this.timeouts[at] = timeoutMs;
    this.stats[at] = stats;
    this.count++;
  }

  /** The op timeout of the oldest entry that has one (the proxy's own commands have none); 0 = none. */
  firstTimeout(): number {
    const mask = this.targets.length - 1;
    for (let i = 0; i < this.count; i++) {
      const timeout = this.timeouts[(this.head + i) & mask]!;
      if (timeout > 0) return timeout;
      if ((this.flags[(this.head + i) & mask]! & FLAG_INTERNAL) === 0) return 0;
    }
    return 0;
  }

  /** Drops the oldest entry (read its fields at {@link first} before). */
  shift(): void {
    const at = this.head;
    this.targets[at] = undefined;
    this.raws[at] = undefined;
    this.stats[at] = undefined;
    this.head = (at + 1) & (this.targets.length - 1);
    this.count--;
  }

  private grow(): void {
    const size = this.targets.length;
    const next = size * 2;
    const order = (i: number): number => (this.head + i) & (size - 1);
    const targets = new Array<ReplyTarget | undefined>(next);
    const raws = new Array<Buffer | undefined>(next);
    const stats = new Array<UpstreamCommandStats | undefined>(next);
    const indices = new Int32Array(next);
    const flags = new Uint8Array(next);
    const hops = new Uint8Array(next);
    const sentAt = new Float64Array(next);
    const timeouts = new Float64Array(next);
    for (let i = 0; i < this.count; i++) {
      const from = order(i);
      targets[i] = this.targets[from];
      raws[i] = this.raws[from];
      stats[i] = this.stats[from];
      indices[i] = this.indices[from]!;
      flags[i] = this.flags[from]!;
      hops[i] = this.hops[from]!;
      sentAt[i] = this.sentAt[from]!;
      timeouts[i] = this.timeouts[from]!;
    }
    this.targets = targets;
    this.raws = raws;
    this.stats = stats;
    this.indices = indices;
    this.flags = flags;
    this.hops = hops;
    this.sentAt = sentAt;
    this.timeouts = timeouts;
    this.head = 0;
  }
}
