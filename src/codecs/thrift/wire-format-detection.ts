/**
 * Tells the transport and protocol of the message at the front of a queue from its first bytes:
 *
 *   unframed binary   := 0x80 0x01 ...                       (strict binary version word)
 *   unframed compact  := 0x82 (type << 5 | 0x01) ...
 *   framed binary     := size:i32 0x80 0x01 ...              (0 < size, so the first byte is < 0x80)
 *   framed compact    := size:i32 0x82 ...
 *   THeader           := size:i32 0x0F 0xFF ...
 *
 * The cases cannot be confused: a frame size never has its top bit set, and both unframed protocols
 * start with a byte that has it set.
 */
import type { ByteQueue } from '../../codec/byte-queue.js';
import { CodecError, ErrorCodes, malformed } from '../../errors.js';
import {
  BINARY_VERSION_HIGH,
  BINARY_VERSION_LOW,
  COMPACT_PROTOCOL_ID,
  COMPACT_VERSION,
  COMPACT_VERSION_MASK,
} from './wire-constants.js';

/** Too few bytes to tell. */
export const DETECT_NEED_MORE = 0;
export const DETECT_UNFRAMED_BINARY = 1;
export const DETECT_UNFRAMED_COMPACT = 2;
export const DETECT_FRAMED_BINARY = 3;
export const DETECT_FRAMED_COMPACT = 4;
export const DETECT_THEADER = 5;

/** The smallest possible framed message (a compact envelope with an empty name and an empty struct). */
const MIN_FRAME_SIZE = 5;

/**
 * One of the `DETECT_*` codes for the message at offset 0. For framed and THeader messages it also
 * checks the frame size: larger than `maxFrameSize` raises CODEC_TOO_LARGE, too small to hold a
 * message raises CODEC_MALFORMED.
 */
export function detectWireFormat(queue: ByteQueue, maxFrameSize: number): number {
  const length = queue.length;
  if (length === 0) return DETECT_NEED_MORE;
  const first = queue.u8(0);
  if (first === BINARY_VERSION_HIGH) {
    if (length < 2) return DETECT_NEED_MORE;
    if (queue.u8(1) === BINARY_VERSION_LOW) return DETECT_UNFRAMED_BINARY;
    throw malformed('bytes are not a thrift message (bad binary version)');
  }
  if (first === COMPACT_PROTOCOL_ID) {
    if (length < 2) return DETECT_NEED_MORE;
    if ((queue.u8(1) & COMPACT_VERSION_MASK) === COMPACT_VERSION) return DETECT_UNFRAMED_COMPACT;
    throw malformed('bytes are not a thrift message (bad compact version)');
  }
  if (first & 0x80) throw malformed('bytes are not a thrift message (negative frame size)');
  if (length < 4) return DETECT_NEED_MORE;
  const size = queue.i32(0);
  if (size > maxFrameSize) {
    throw new CodecError(
      ErrorCodes.CODEC_TOO_LARGE,
      `thrift frame of ${size} bytes exceeds the limit of ${maxFrameSize}`,
    );
  }
  if (size < MIN_FRAME_SIZE) throw malformed(`thrift frame size ${size} is too small for a message`);
  if (length < 6) return DETECT_NEED_MORE;
  const fifth = queue.u8(4);
  const sixth = queue.u8(5);
  if (fifth === BINARY_VERSION_HIGH && sixth === BINARY_VERSION_LOW) return DETECT_FRAMED_BINARY;
  if (fifth === COMPACT_PROTOCOL_ID && (sixth & COMPACT_VERSION_MASK) === COMPACT_VERSION) {
    return DETECT_FRAMED_COMPACT;
  }
  if (fifth === 0x0f && sixth === 0xff) return DETECT_THEADER;
  throw malformed('thrift frame holds neither a strict binary, a compact nor a THeader message');
}
