/**
 * The 8-byte request id of the Dubbo header (a Java long, big endian, at offset 4). The codec exposes
 * it as a JavaScript number, so ids up to 2^53 − 1 are supported; a frame with a larger (or negative)
 * id is rejected as CODEC_UNSUPPORTED. Java clients count ids up from 0 and the Node client up from
 * 1, so real ids never get there.
 */
import { MAX_REQUEST_ID, REQUEST_ID_OFFSET } from './wire-constants.js';

const TWO_TO_32 = 0x1_0000_0000;
/** Largest high word of an id that fits {@link MAX_REQUEST_ID}. */
const MAX_HIGH_WORD = Math.floor(MAX_REQUEST_ID / TWO_TO_32);

/** The id made of the two 32-bit halves, or -1 if it is above {@link MAX_REQUEST_ID}. */
export function requestIdFromWords(high: number, low: number): number {
  return high > MAX_HIGH_WORD ? -1 : high * TWO_TO_32 + low;
}

/** The id in the header of `bytes` (already checked to fit). */
export function readRequestId(bytes: Buffer): number {
  return bytes.readUInt32BE(REQUEST_ID_OFFSET) * TWO_TO_32 + bytes.readUInt32BE(REQUEST_ID_OFFSET + 4);
}

/** Writes `id` (0..2^53 − 1) into the header of `bytes`. */
export function writeRequestId(bytes: Buffer, id: number): void {
  bytes.writeUInt32BE(Math.floor(id / TWO_TO_32), REQUEST_ID_OFFSET);
  bytes.writeUInt32BE(id % TWO_TO_32, REQUEST_ID_OFFSET + 4);
}

/** Whether `id` can be written as a request id. */
export function isValidRequestId(id: number): boolean {
  return Number.isInteger(id) && id >= 0 && id <= MAX_REQUEST_ID;
}
