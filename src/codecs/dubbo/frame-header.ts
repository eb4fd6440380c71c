/**
 * Reads and writes the 16-byte Dubbo frame header:
 *
 *   header := magic:u16(0xdabb) flags:u8 status:u8 request-id:i64 body-length:i32     (big endian)
 *   flags  := request(0x80) | two-way(0x40) | event(0x20) | serialization-id (low 5 bits)
 *
 * The magic is checked as soon as its bytes arrive, so a connection that does not speak Dubbo fails
 * at its first bytes rather than after 16.
 */
import type { ByteQueue } from '../../codec/byte-queue.js';
import type { RequestId } from '../../codec/request-id.js';
import { CodecError, ErrorCodes, malformed } from '../../errors.js';
import { requestIdFromWords, writeRequestId } from './request-id.js';
import {
  BODY_LENGTH_OFFSET,
  FLAGS_OFFSET,
  HEADER_SIZE,
  MAGIC_HIGH,
  MAGIC_LOW,
  REQUEST_ID_OFFSET,
  SERIALIZATION_HESSIAN2,
  SERIALIZATION_MASK,
  STATUS_OFFSET,
} from './wire-constants.js';

/** The fields of one header; one instance per codec, overwritten by each read. */
export class DubboFrameHeader {
  flags = 0;
  status = 0;
  /** The request id (a number, or a bigint beyond 2^53 − 1 either side of 0). */
  requestId: RequestId = 0;
  bodyLength = 0;
}

/**
 * Reads the header at the front of `input` into `header`. Returns false when fewer than 16 bytes
 * have arrived; throws CODEC_MALFORMED when the magic is wrong.
 */
export function readFrameHeader(input: ByteQueue, header: DubboFrameHeader): boolean {
  const available = input.length;
  if (available > 0 && input.u8(0) !== MAGIC_HIGH) throw badMagic(input);
  if (available > 1 && input.u8(1) !== MAGIC_LOW) throw badMagic(input);
  if (available < HEADER_SIZE) return false;
  header.flags = input.u8(FLAGS_OFFSET);
  header.status = input.u8(STATUS_OFFSET);
  header.requestId = requestIdFromWords(input.i32(REQUEST_ID_OFFSET), input.u32(REQUEST_ID_OFFSET + 4));
  header.bodyLength = input.i32(BODY_LENGTH_OFFSET);
  return true;
}

/**
 * Rejects a header this codec cannot take: a negative or too large body (CODEC_MALFORMED,
 * CODEC_TOO_LARGE), a serialization other than Hessian2 (CODEC_UNSUPPORTED).
 */
export function checkFrameHeader(header: DubboFrameHeader, maxBodySize: number): void {
  if (header.bodyLength < 0) throw malformed(`dubbo body length ${header.bodyLength} is negative`);
  if (header.bodyLength > maxBodySize) {
    throw new CodecError(
      ErrorCodes.CODEC_TOO_LARGE,
      `dubbo body of ${header.bodyLength} bytes exceeds the limit of ${maxBodySize} bytes`,
    );
  }
  const serialization = header.flags & SERIALIZATION_MASK;
  if (serialization !== SERIALIZATION_HESSIAN2) {
    throw new CodecError(
      ErrorCodes.CODEC_UNSUPPORTED,
      `dubbo serialization id ${serialization} is not supported (only hessian2, id ${SERIALIZATION_HESSIAN2})`,
    );
  }
}

/** Writes a header for a body of `bodyLength` bytes at the start of `out`. */
export function writeFrameHeader(
  out: Buffer,
  flags: number,
  status: number,
  requestId: RequestId,
  bodyLength: number,
): void {
  out[0] = MAGIC_HIGH;
  out[1] = MAGIC_LOW;
  out[FLAGS_OFFSET] = flags;
  out[STATUS_OFFSET] = status;
  writeRequestId(out, requestId);
  out.writeInt32BE(bodyLength, BODY_LENGTH_OFFSET);
}

function badMagic(input: ByteQueue): CodecError {
  const shown = input.peek(0, Math.min(2, input.length)).toString('hex');
  return malformed(`not a dubbo frame: magic 0x${shown}, expected 0xdabb`);
}
