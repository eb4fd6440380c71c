/**
 * A limit on response bytes written to gRPC but not yet flushed to the sockets, across every stream
 * of a server. grpc-js copies each response into a frame when it is written and holds that copy until
 * HTTP/2 flow control lets it out: pushing a 30 MB snapshot to a thousand proxies at once would hold
 * 30 GB. Past the limit, responses wait here, uncopied (many streams share one response buffer), in
 * the order they were written; a stream's responses always go out in order.
 */

/** Where a response goes; `done` is called once it has been flushed (or the stream has failed). */
export type FlushingWrite = (response: Buffer, done: () => void) => void;

interface Waiting {
  readonly write: FlushingWrite;
  readonly response: Buffer;
}

/** Default limit: one full state of a 10,000-service mesh in flight at a time. */
export const DEFAULT_WRITE_BUDGET_BYTES = 32 * 1024 * 1024;

export class WriteBudget {
  private inFlight = 0;
  private waiting: Waiting[] = [];
  /** Per stream: responses waiting, and the releases of those in flight (a closed stream never flushes). */
  private readonly writers = new Map<FlushingWrite, { queued: number; releases: Set<() => void> }>();

  constructor(private readonly limitBytes = DEFAULT_WRITE_BUDGET_BYTES) {}

  /** Bytes written and not yet flushed. */
  get bytesInFlight(): number {
    return this.inFlight;
  }

  /** Responses waiting for room. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Writes `response` now if there is room (or nothing is in flight), else when there is. */
  write(write: FlushingWrite, response: Buffer): void {
    const writer = this.writer(write);
    if (writer.queued === 0 && this.fits(response)) {
      this.start(write, response);
      return;
    }
    this.waiting.push({ write, response });
    writer.queued++;
  }

  /** The stream is gone: its waiting responses are dropped and its unflushed ones no longer count. */
  close(write: FlushingWrite): void {
    const writer = this.writers.get(write);
    if (writer === undefined) return;
    this.writers.delete(write);
    if (writer.queued > 0) this.waiting = this.waiting.filter(w => w.write !== write);
    for (const release of [...writer.releases]) release();
    this.pump();
  }

  private writer(write: FlushingWrite): { queued: number; releases: Set<() => void> } {
    let writer = this.writers.get(write);
    if (writer === undefined) {
      writer = { queued: 0, releases: new Set() };
      this.writers.set(write, writer);
    }
    return writer;
  }

  private fits(response: Buffer): boolean {
    return this.inFlight === 0 || this.inFlight + response.length <= this.limitBytes;
  }

  private start(write: FlushingWrite, response: Buffer): void {
    const releases = this.writer(write).releases;
    this.inFlight += response.length;
    const release = (): void => {
      if (!releases.delete(release)) return;
      this.inFlight -= response.length;
    };
    releases.add(release);
    write(response, () => {
      release();
      this.pump();
    });
  }

  private pump(): void {
    let taken = 0;
    while (taken < this.waiting.length) {
      const next = this.waiting[taken];
      if (next === undefined || !this.fits(next.response)) break;
      taken++;
      const writer = this.writer(next.write);
      writer.queued--;
      this.start(next.write, next.response);
    }
    if (taken > 0) this.waiting = this.waiting.slice(taken);
  }
}
