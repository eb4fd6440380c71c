/**
 * The request id of the Dubbo header: a Java long, 8 bytes big endian at offset 4.
 *
 *   request-id := high:i32 low:u32          value = high * 2^32 + low   (signed 64-bit)
 *
 * Java clients count ids up from 0 and the Node client up from 1, but a client may start anywhere
 * and wrap past 2^63 − 1 into negative ids, so every 64-bit value is taken. Following the SDK's rule
 * (codec/request-id.ts), an id is a number when its magnitude is at most 2^53 − 1 and a bigint
 * otherwise. The common case costs one comparison and no BigInt work.
 */
import type { RequestId } from '../../codec/request-id.js';
import { REQUEST_ID_OFFSET } from './wire-constants.js';

const TWO_TO_32 = 0x1_0000_0000;
/**
 * High words strictly between ∓2^21 give ids from −2^53 + 2^32 to 2^53 − 1, all safe integers; only
 * the others take the slow path (which still returns a number for the few safe ids among them).
 */
const FAST_HIGH_LIMIT = 0x20_0000;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_LONG = -(1n << 63n);
const MAX_LONG = (1n << 63n) - 1n;

/** The id made of its signed high word and unsigned low word. */
export function requestIdFromWords(high: number, low: number): RequestId {
  if (high > -FAST_HIGH_LIMIT && high < FAST_HIGH_LIMIT) return high * TWO_TO_32 + low;
  const id = (BigInt(high) << 32n) + BigInt(low);
  return id >= -MAX_SAFE && id <= MAX_SAFE ? Number(id) : id;
}

/** The id in the header of `bytes`. */
export function readRequestId(bytes: Buffer): RequestId {
  return requestIdFromWords(bytes.readInt32BE(REQUEST_ID_OFFSET), bytes.readUInt32BE(REQUEST_ID_OFFSET + 4));
}

/** Writes `id` (a valid id, see {@link isValidRequestId}) into the header of `bytes`. */
export function writeRequestId(bytes: Buffer, id: RequestId): void {
  if (typeof id === 'bigint') {
    bytes.writeBigInt64BE(id, REQUEST_ID_OFFSET);
    return;
  }
  // Byte stores: a safe integer's words need none of writeInt32BE's range checks (a call a message).
  const high = Math.floor(id / TWO_TO_32);
  const low = id - high * TWO_TO_32;
  bytes[REQUEST_ID_OFFSET] = (high >>> 24) & 0xff;
  bytes[REQUEST_ID_OFFSET + 1] = (high >>> 16) & 0xff;
  bytes[REQUEST_ID_OFFSET + 2] = (high >>> 8) & 0xff;
  bytes[REQUEST_ID_OFFSET + 3] = high & 0xff;
  bytes[REQUEST_ID_OFFSET + 4] = (low >>> 24) & 0xff;
  bytes[REQUEST_ID_OFFSET + 5] = (low >>> 16) & 0xff;
  bytes[REQUEST_ID_OFFSET + 6] = (low >>> 8) & 0xff;
  bytes[REQUEST_ID_OFFSET + 7] = low & 0xff;
}

/** Whether `id` can be written as a Dubbo request id: a safe integer, or a bigint that fits a long. */
export function isValidRequestId(id: RequestId): boolean {
  return typeof id === 'number' ? Number.isSafeInteger(id) : id >= MIN_LONG && id <= MAX_LONG;
}
