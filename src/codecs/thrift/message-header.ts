/**
 * The envelope facts of one Thrift message, filled in by the binary and compact header readers. One
 * instance per codec is reused for every message, so reading a header allocates only the name.
 */
export class ThriftMessageHeader {
  /** CALL, REPLY, EXCEPTION or ONEWAY (see wire-constants). */
  messageType = 0;
  /** The message name, e.g. `sayHello` or, with TMultiplexedProtocol, `Greeter:sayHello`. */
  name = '';
  /** The sequence id, as the i32 the wire carries. */
  seqid = 0;
  /** Offset of the seqid's first byte, relative to the queue or frame the header was read from. */
  seqidOffset = 0;
  /** Bytes the seqid takes: 4 in binary, 1 to 5 (varint) in compact. */
  seqidLength = 0;
  /** Offset of the first byte after the envelope: the arguments or result struct. */
  bodyOffset = 0;
}
