/**
 * Live taps on a listener: each tap receives a {@link RequestRecord} for every finished request that
 * passes its attribute filter, until it has seen its limit or is closed. Traffic is not stopped or
 * slowed for untapped listeners: the listener checks one array's length per request.
 */
import type { RequestRecord } from './request-record.js';
import { AttributeRedaction } from './telemetry/attribute-redaction.js';

/** A filter on request attributes: every key must be present with exactly this value. */
export type TapMatch = ReadonlyMap<string, string>;

export class Tap {
  private seen = 0;
  private closed = false;

  /**
   * @param match exact matches on request attributes (keys lower-case); empty = every request
   * @param limit records to deliver before the tap closes itself; 0 = no limit
   * @param deliver receives each record
   * @param onClose called once when the tap closes (limit reached or {@link close})
   * @param redaction which attribute values the records show as `[REDACTED]`
   */
  constructor(
    private readonly match: TapMatch,
    private readonly limit: number,
    private readonly deliver: (record: RequestRecord) => void,
    private readonly onClose: () => void,
    private readonly redaction: AttributeRedaction = new AttributeRedaction(),
  ) {}

  get isClosed(): boolean {
    return this.closed;
  }

  /** Whether a request with these attributes is wanted. */
  wants(attributes: { get(key: string): string | undefined }): boolean {
    if (this.closed) return false;
    for (const [key, value] of this.match) if (attributes.get(key) !== value) return false;
    return true;
  }

  /** Hands over one record, hidden values redacted; closes the tap when its limit is reached. */
  publish(record: RequestRecord): void {
    if (this.closed) return;
    const redaction = this.redaction;
    const response = record.response;
    this.deliver({
      ...record,
      request: redaction.applyTo(record.request),
      ...(response === undefined ? {} : { response: redaction.applyTo(response) }),
    });
    if (this.limit > 0 && ++this.seen >= this.limit) this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose();
  }
}
