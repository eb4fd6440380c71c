import { readTime } from './read-clock.js';

/**
 * An entry that can wait for a deadline. The links are intrusive (kept on the entry itself) so that
 * arming and disarming a request timeout allocates nothing.
 */
export interface DeadlineEntry {
  /** Milliseconds (Date.now()) at which {@link onDeadline} runs. */
  deadline: number;
  /** The timeout the entry was armed with (the list it is in), or -1 when not armed. */
  deadlineKey: number;
  deadlinePrev: DeadlineEntry | null;
  deadlineNext: DeadlineEntry | null;
  /** Called once when the deadline passes while the entry is still armed. */
  onDeadline(): void;
}

interface DeadlineList {
  head: DeadlineEntry | null;
  tail: DeadlineEntry | null;
}

/** How often expired entries are looked for; timeouts fire up to this much late. */
const RESOLUTION_MS = 25;

/**
 * The proxy's one coarse timer for request timeouts. Entries with the same timeout value are kept in
 * one list in arrival order, which is also deadline order, so each tick only looks at list heads:
 * arming is an append, disarming an unlink, and a tick costs O(expired + distinct timeouts).
 */
export class DeadlineTimer {
  private readonly lists = new Map<number, DeadlineList>();
  /**
   * The list used last and its timeout: the requests of a listener mostly share one timeout, and a
   * comparison costs less than the two map look-ups (arm, disarm) each would make.
   */
  private lastKey = -1;
  private lastList: DeadlineList | undefined = undefined;
  private timer: NodeJS.Timeout | undefined;
  private armed = 0;

  /**
   * Arms `entry` to fire `timeoutMs` from now (the time of the socket read being handled, see
   * read-clock.ts). Re-arming an armed entry moves it.
   */
  arm(entry: DeadlineEntry, timeoutMs: number): void {
    if (entry.deadlineKey >= 0) this.disarm(entry);
    const list = this.list(timeoutMs);
    entry.deadline = readTime() + timeoutMs;
    entry.deadlineKey = timeoutMs;
    entry.deadlineNext = null;
    entry.deadlinePrev = list.tail;
    if (list.tail === null) list.head = entry;
    else list.tail.deadlineNext = entry;
    list.tail = entry;
    this.armed++;
    if (this.timer === undefined) {
      this.timer = setInterval(tick, RESOLUTION_MS, this);
      this.timer.unref();
    }
  }

  /** Disarms `entry` if armed. */
  disarm(entry: DeadlineEntry): void {
    const key = entry.deadlineKey;
    if (key < 0) return;
    const list = key === this.lastKey ? this.lastList : this.lists.get(key);
    entry.deadlineKey = -1;
    if (list === undefined) return;
    if (entry.deadlinePrev === null) list.head = entry.deadlineNext;
    else entry.deadlinePrev.deadlineNext = entry.deadlineNext;
    if (entry.deadlineNext === null) list.tail = entry.deadlinePrev;
    else entry.deadlineNext.deadlinePrev = entry.deadlinePrev;
    entry.deadlinePrev = null;
    entry.deadlineNext = null;
    this.armed--;
  }

  /** Entries armed now. */
  get size(): number {
    return this.armed;
  }

  /** Stops the timer (shutdown); armed entries never fire. */
  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.lists.clear();
    this.lastKey = -1;
    this.lastList = undefined;
    this.armed = 0;
  }

  /** The list of the entries armed with `timeoutMs`, made when first needed. */
  private list(timeoutMs: number): DeadlineList {
    if (timeoutMs === this.lastKey) return this.lastList!;
    let list = this.lists.get(timeoutMs);
    if (list === undefined) {
      list = { head: null, tail: null };
      this.lists.set(timeoutMs, list);
    }
    this.lastKey = timeoutMs;
    this.lastList = list;
    return list;
  }

  /** Fires every entry whose deadline has passed. Called by the interval; public for tests. */
  expire(now = Date.now()): void {
    for (const list of this.lists.values()) {
      let entry: DeadlineEntry | null;
      while ((entry = list.head) !== null && entry.deadline <= now) {
        this.disarm(entry);
        entry.onDeadline();
      }
    }
    if (this.armed === 0 && this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}

function tick(timer: DeadlineTimer): void {
  timer.expire();
}
