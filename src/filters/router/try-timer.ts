import type { DeadlineEntry } from '../../net/deadline-timer.js';

/** What a {@link TryTimer} reports to. */
export interface TryTimerOwner {
  /** The per-try timeout of the current try passed. */
  onTryTimeout(): void;
}

/**
 * The per-try timeout of a request whose route retries with `perTryTimeout`: a second entry in the
 * proxy's coarse timer next to the request's own (overall) timeout, so both run at once. Allocated
 * once per such request, on its first try; requests without a per-try timeout never make one.
 */
export class TryTimer implements DeadlineEntry {
  deadline = 0;
  deadlineKey = -1;
  deadlinePrev: DeadlineEntry | null = null;
  deadlineNext: DeadlineEntry | null = null;

  constructor(private readonly owner: TryTimerOwner) {}

  onDeadline(): void {
    this.owner.onTryTimeout();
  }
}
