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
  private timer: NodeJS.Timeout | undefined;
  private armed = 0;

  /** Arms `entry` to fire `timeoutMs` from now. Re-arming an armed entry moves it. */
  arm(entry: DeadlineEntry, timeoutMs: number): void {
    if (entry.deadlineKey >= 0) this.disarm(entry);
    let list = this.lists.get(timeoutMs);
    if (list === undefined) {
      list = { head: null, tail: null };
      this.lists.set(timeoutMs, list);
    }
    entry.deadline = Date.now() + timeoutMs;
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
    if (entry.deadlineKey < 0) return;
    const list = this.lists.get(entry.deadlineKey);
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
    this.armed = 0;
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
