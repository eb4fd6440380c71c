/**
 * Reads the envelope of a strict binary protocol message (TBinaryProtocol, strict write):
 *
 *   message := version:i32 name:string seqid:i32 struct
 *   version := 0x80 0x01 <ignored byte> <type: 1 CALL | 2 REPLY | 3 EXCEPTION | 4 ONEWAY>
 *   string  := length:i32 (big-endian, >= 0) utf8-bytes
 *
 * Only the envelope is read; the struct is left to the caller (skipped or passed through).
 */
import type { ByteQueue } from '../../codec/byte-queue.js';
import { malformed } from '../../errors.js';
import type { ThriftMessageHeader } from './message-header.js';
import { BINARY_VERSION_HIGH, BINARY_VERSION_LOW, MESSAGE_CALL, MESSAGE_ONEWAY } from './wire-constants.js';

/**
 * Reads the envelope of the binary message at `start` into `out`. Returns false if the bytes before
 * `available` do not hold the whole envelope yet. Throws a codec error if the bytes are not a strict
 * binary envelope or if the envelope would extend past `end` (the frame's end or the size limit).
 */
export function readBinaryMessageHeader(
  queue: ByteQueue,
  start: number,
  available: number,
  end: number,
  out: ThriftMessageHeader,
): boolean {
  if (start + 4 > available) return false;
  if (queue.u8(start) !== BINARY_VERSION_HIGH || queue.u8(start + 1) !== BINARY_VERSION_LOW) {
    throw malformed('thrift binary message does not start with version 0x8001');
  }
  const messageType = queue.u8(start + 3);
  if (messageType < MESSAGE_CALL || messageType > MESSAGE_ONEWAY) {
    throw malformed(`thrift message type ${messageType} is not CALL, REPLY, EXCEPTION or ONEWAY`);
  }
  if (start + 8 > available) return false;
  const nameLength = queue.i32(start + 4);
  const seqidOffset = start + 8 + nameLength;
  if (nameLength < 0 || seqidOffset + 4 > end) {
    throw malformed(`thrift message name length ${nameLength} does not fit the message`);
  }
  if (seqidOffset + 4 > available) return false;
  out.messageType = messageType;
  out.name = queue.string(start + 8, nameLength);
  out.seqid = queue.i32(seqidOffset);
  out.seqidOffset = seqidOffset;
  out.seqidLength = 4;
  out.bodyOffset = seqidOffset + 4;
  return true;
}
