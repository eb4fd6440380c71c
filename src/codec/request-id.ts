/**
 * Request ids as the codec SDK carries them: a `number`, or a `bigint` for a wide id that a number
 * cannot hold exactly (a Dubbo request id is a Java long, any 64-bit value).
 *
 * The rule every codec follows, so that the same id always has the same representation and ids can
 * be compared with `===`:
 *
 * - a codec returns a `number` whenever the id is a safe integer (`Number.isSafeInteger`, at most
 *   2^53 − 1 either side of 0), and a `bigint` only otherwise;
 * - a codec whose ids are small (Thrift's 32-bit seqid, most protocols) never produces a bigint and
 *   needs nothing from this file.
 *
 * What the proxy does with ids: it never does arithmetic on a client's id. It compares ids with `===`
 * and hands them back to a codec of the protocol that produced them (response write-back, local
 * replies, heartbeat replies). So `EncodeOptions.requestId` given to a codec is either an id that an
 * instance of the same codec decoded, or an id the proxy allocated for a multiplexed upstream
 * connection, which is always a number from 1 to 2^31 − 1. A codec that never produces bigints
 * therefore never receives one either.
 */

/** A protocol's request id; see the module comment for when it is a `bigint`. */
export type RequestId = number | bigint;

/** Largest magnitude a `number` id may have: 2^53 − 1. */
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * `id` in its normal form: a number when it is a safe integer, else a bigint. Codecs with wide ids
 * use it where they build a bigint; a number that is not a safe integer cannot be an id and throws.
 */
export function normalizeRequestId(id: RequestId): RequestId {
  if (typeof id === 'number') {
    if (!Number.isSafeInteger(id)) throw new RangeError(`request id ${id} is not a safe integer`);
    return id;
  }
  return id >= -MAX_SAFE && id <= MAX_SAFE ? Number(id) : id;
}

/** Whether `id` is a request id in normal form (the test kit checks every decoded message with it). */
export function isNormalRequestId(id: unknown): id is RequestId {
  if (typeof id === 'number') return Number.isSafeInteger(id);
  return typeof id === 'bigint' && (id < -MAX_SAFE || id > MAX_SAFE);
}
