/**
 * Whether a REPLY carries its declared result or a declared exception, from the first field header of
 * the result struct (`struct { 0: success; 1..n: declared exceptions }`):
 *
 *   binary:  type:i8 id:i16            (type 0 = STOP: a void success)
 *   compact: (id-delta << 4 | type) [ id:zigzag-varint when id-delta = 0 ]   (byte 0 = STOP)
 *
 * Only these few bytes are read; the result itself is passed through.
 */
import type { ByteQueue } from '../../codec/byte-queue.js';
import type { ResponseStatus } from '../../codec/message.js';
import { MAX_VARINT_BYTES, unzigzag32, varint32Value, varintLength } from './varint.js';
import type { ThriftProtocol } from './wire-format.js';

/** `error` if the result struct starting at `offset` (and ending by `end`) opens with a field id other than 0. */
export function replyStatus(
  queue: ByteQueue,
  protocol: ThriftProtocol,
  offset: number,
  end: number,
): ResponseStatus {
  if (offset >= end) return 'ok';
  const first = queue.u8(offset);
  if (first === 0 || (protocol === 'compact' && (first & 0x0f) === 0)) return 'ok';
  if (protocol === 'binary') {
    if (offset + 3 > end) return 'ok';
    return queue.i16(offset + 1) === 0 ? 'ok' : 'error';
  }
  if (first >> 4 !== 0) return 'error';
  const length = varintLength(queue, offset + 1, end, MAX_VARINT_BYTES);
  if (length === 0) return 'ok';
  return unzigzag32(varint32Value(queue, offset + 1, length)) === 0 ? 'ok' : 'error';
}
