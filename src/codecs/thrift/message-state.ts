import type { THeaderFields } from './theader-fields.js';
import type { ThriftProtocol, ThriftTransport } from './wire-format.js';

/**
 * The codec state of a decoded Thrift message (`Message.codecState`): where its parts lie in
 * `Message.bytes`, so that `encode` can rewrite the seqid and the THeader headers without parsing
 * again, and how it travelled, so that a local reply goes back the same way.
 */
export class ThriftMessageState {
  constructor(
    readonly transport: ThriftTransport,
    readonly protocol: ThriftProtocol,
    /** The message name exactly as on the wire (`Service:method` for TMultiplexedProtocol). */
    readonly name: string,
    /** CALL, REPLY, EXCEPTION or ONEWAY. */
    readonly messageType: number,
    /** Offset of the Thrift message (its envelope) in the bytes: 0, 4, or the end of the THeader block. */
    readonly messageOffset: number,
    /** Offset of the envelope's seqid in the bytes. */
    readonly seqidOffset: number,
    /** Bytes the seqid takes on the wire (4 in binary, 1–5 in compact). */
    readonly seqidLength: number,
    /** The THeader framing, for messages on the THeader transport. */
    readonly theader: THeaderFields | undefined,
  ) {}
}
