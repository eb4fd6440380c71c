/**
 * Counts of one service's calls: answers per version (in all, and since the last look) and errors.
 */
export class Tally {
  total = new Map<string, number>();
  private window = new Map<string, number>();
  errors = 0;
  /** The latest error's message, '' before the first. */
  lastError = '';
  private saved: { total: Map<string, number>; errors: number; lastError: string } | undefined;

  /** Counts an answer from `version`. */
  add(version: string): void {
    this.total.set(version, (this.total.get(version) ?? 0) + 1);
    this.window.set(version, (this.window.get(version) ?? 0) + 1);
  }

  addError(err: unknown): void {
    this.errors++;
    this.lastError = err instanceof Error ? err.message : String(err);
  }

  /** The per-version counts since the last call. */
  takeWindow(): Map<string, number> {
    const window = this.window;
    this.window = new Map();
    return window;
  }

  /** Remembers the counts as they are now, for {@link rollback}. */
  checkpoint(): void {
    this.saved = { total: new Map(this.total), errors: this.errors, lastError: this.lastError };
  }

  /** Goes back to the counts of the last checkpoint (to nothing if there was none). */
  rollback(): void {
    this.total = new Map(this.saved?.total);
    this.errors = this.saved?.errors ?? 0;
    this.lastError = this.saved?.lastError ?? '';
    this.window = new Map();
  }

  /** Answers in all. */
  get sum(): number {
    let sum = 0;
    for (const n of this.total.values()) sum += n;
    return sum;
  }
}
