/**
 * Reads the envelope of a compact protocol message (TCompactProtocol):
 *
 *   message := 0x82 type-and-version seqid:varint name-length:varint name-bytes struct
 *   type-and-version := type << 5 | 1      (type: 1 CALL | 2 REPLY | 3 EXCEPTION | 4 ONEWAY)
 *   seqid   := the i32's unsigned 32-bit pattern as a varint (no zigzag), 1 to 5 bytes (up to 10 read)
 *
 * Only the envelope is read; the struct is left to the caller (skipped or passed through).
 */
import type { ByteQueue } from '../../codec/byte-queue.js';
import { malformed } from '../../errors.js';
import type { ThriftMessageHeader } from './message-header.js';
import { MAX_VARINT_BYTES, varint32Value, varintLength } from './varint.js';
import {
  COMPACT_PROTOCOL_ID,
  COMPACT_TYPE_SHIFT,
  COMPACT_VERSION,
  COMPACT_VERSION_MASK,
  MESSAGE_CALL,
  MESSAGE_ONEWAY,
} from './wire-constants.js';

/**
 * Reads the envelope of the compact message at `start` into `out`. Returns false if the bytes before
 * `available` do not hold the whole envelope yet. Throws a codec error if the bytes are not a compact
 * envelope or if the envelope would extend past `end` (the frame's end or the size limit).
 */
export function readCompactMessageHeader(
  queue: ByteQueue,
  start: number,
  available: number,
  end: number,
  out: ThriftMessageHeader,
): boolean {
  if (start + 2 > available) return false;
  if (queue.u8(start) !== COMPACT_PROTOCOL_ID) {
    throw malformed('thrift compact message does not start with 0x82');
  }
  const typeAndVersion = queue.u8(start + 1);
  if ((typeAndVersion & COMPACT_VERSION_MASK) !== COMPACT_VERSION) {
    throw malformed(`thrift compact protocol version ${typeAndVersion & COMPACT_VERSION_MASK} is not 1`);
  }
  const messageType = typeAndVersion >> COMPACT_TYPE_SHIFT;
  if (messageType < MESSAGE_CALL || messageType > MESSAGE_ONEWAY) {
    throw malformed(`thrift message type ${messageType} is not CALL, REPLY, EXCEPTION or ONEWAY`);
  }
  const seqidOffset = start + 2;
  const seqidLength = varintLength(queue, seqidOffset, Math.min(available, end), MAX_VARINT_BYTES);
  if (seqidLength === 0) return needMore(available, end, 'seqid');
  const nameLengthOffset = seqidOffset + seqidLength;
  const nameLengthSize = varintLength(queue, nameLengthOffset, Math.min(available, end), MAX_VARINT_BYTES);
  if (nameLengthSize === 0) return needMore(available, end, 'name length');
  const nameLength = varint32Value(queue, nameLengthOffset, nameLengthSize);
  const nameOffset = nameLengthOffset + nameLengthSize;
  if (nameOffset + nameLength > end) {
    throw malformed(`thrift message name length ${nameLength} does not fit the message`);
  }
  if (nameOffset + nameLength > available) return false;
  out.messageType = messageType;
  out.name = queue.string(nameOffset, nameLength);
  out.seqid = varint32Value(queue, seqidOffset, seqidLength) | 0;
  out.seqidOffset = seqidOffset;
  out.seqidLength = seqidLength;
  out.bodyOffset = nameOffset + nameLength;
  return true;
}

/** A varint cut short: more bytes may come, unless the cut is the message's hard end. */
function needMore(available: number, end: number, what: string): false {
  if (end <= available) throw malformed(`thrift compact ${what} runs past the end of the message`);
  return false;
}
