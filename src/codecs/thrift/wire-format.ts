/**
 * How a Thrift message travels: its transport (the framing around it) and its protocol (how the
 * message itself is serialized). Detected per message; see `detectWireFormat`.
 */

/**
 * - `framed`: i32 big-endian size, then the message (TFramedTransport).
 * - `unframed`: the message alone (TBufferedTransport); its end is found by skipping its struct.
 * - `header`: the THeader transport (length, 0x0FFF magic, header block with info headers, message).
 */
export type ThriftTransport = 'framed' | 'unframed' | 'header';

/** Strict binary (TBinaryProtocol) or compact (TCompactProtocol). */
export type ThriftProtocol = 'binary' | 'compact';
