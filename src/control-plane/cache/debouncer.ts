/**
 * Coalesces bursts of changes: fires once the changes have stopped for `quietPeriodMs`, and at the
 * latest `maxDelayMs` after the first change of the burst, so a steady stream of edits still gets out.
 */
export interface DebounceOptions {
  /** Quiet time after the last change before firing; 0 fires at once. */
  readonly quietPeriodMs: number;
  /** Longest a change waits, however busy; at least the quiet period. */
  readonly maxDelayMs: number;
}

export class Debouncer {
  private timer: NodeJS.Timeout | undefined;
  private firstChangeAt = 0;

  constructor(
    private readonly options: DebounceOptions,
    private readonly fire: () => void,
  ) {}

  /** Records a change. */
  poke(): void {
    if (this.options.quietPeriodMs <= 0) {
      this.fire();
      return;
    }
    const now = Date.now();
    if (this.timer === undefined) this.firstChangeAt = now;
    else clearTimeout(this.timer);
    const deadline = this.firstChangeAt + Math.max(this.options.maxDelayMs, this.options.quietPeriodMs);
    const wait = Math.max(0, Math.min(this.options.quietPeriodMs, deadline - now));
    this.timer = setTimeout(() => this.flush(), wait);
  }

  /** Whether a change is waiting. */
  get pending(): boolean {
    return this.timer !== undefined;
  }

  /** Fires now if a change is waiting. */
  flush(): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.fire();
  }

  /** Drops a waiting change. */
  cancel(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
