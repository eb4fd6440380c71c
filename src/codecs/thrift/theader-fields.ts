/**
 * What a THeader frame carries besides its message: kept in the message's codec state so that
 * `encode` can rewrite the header block and local replies can answer in THeader.
 */
export class THeaderFields {
  constructor(
    /** The frame's flags (e.g. 0x0001 = out-of-order responses supported); echoed in replies. */
    readonly flags: number,
    /** The frame-level sequence id (i32), normally equal to the message's seqid. */
    readonly seqid: number,
    /** 0 = binary, 2 = compact. */
    readonly protocolId: number,
    /** Info headers of type 1 (key/value), flattened as [key0, value0, key1, value1, …], wire case. */
    readonly headers: readonly string[],
    /** Info headers of type 2 (persistent key/value), flattened likewise. */
    readonly persistentHeaders: readonly string[],
    /** Offset of the message (the end of the header block and its padding) within the frame. */
    readonly payloadOffset: number,
  ) {}
}
