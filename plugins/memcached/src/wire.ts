/**
 * The memcached binary protocol (memcached's protocol-binary.txt and its protocol_binary.h).
 *
 * Wire grammar: packet = header extras key value
 *
 *   header (24 bytes, big-endian):
 *     0  magic          u8   0x80 request, 0x81 response
 *     1  opcode         u8
 *     2  key length     u16
 *     4  extras length  u8
 *     5  data type      u8   0 (raw bytes)
 *     6  vbucket id     u16  (requests) / status u16 (responses)
 *     8  total body     u32  extras + key + value
 *    12  opaque         u32  copied back unchanged into the response
 *    16  CAS            u64
 *   extras: `extras length` bytes; key: `key length` bytes; value: the rest of the body.
 *
 * Quiet commands (…Q) answer only on failure (the gets: only on a hit). NOOP answers always.
 */

export const HEADER_SIZE = 24;
export const REQUEST_MAGIC = 0x80;
export const RESPONSE_MAGIC = 0x81;

export const OFFSET_OPCODE = 1;
export const OFFSET_KEY_LENGTH = 2;
export const OFFSET_EXTRAS_LENGTH = 4;
export const OFFSET_STATUS = 6;
export const OFFSET_BODY_LENGTH = 8;
export const OFFSET_OPAQUE = 12;

/** Opcodes by name, as memcached's protocol_binary.h lists them. */
export const Opcode = {
  GET: 0x00,
  SET: 0x01,
  ADD: 0x02,
  REPLACE: 0x03,
  DELETE: 0x04,
  INCREMENT: 0x05,
  DECREMENT: 0x06,
  QUIT: 0x07,
  FLUSH: 0x08,
  GETQ: 0x09,
  NOOP: 0x0a,
  VERSION: 0x0b,
  GETK: 0x0c,
  GETKQ: 0x0d,
  APPEND: 0x0e,
  PREPEND: 0x0f,
  STAT: 0x10,
  SETQ: 0x11,
  ADDQ: 0x12,
  REPLACEQ: 0x13,
  DELETEQ: 0x14,
  INCREMENTQ: 0x15,
  DECREMENTQ: 0x16,
  QUITQ: 0x17,
  FLUSHQ: 0x18,
  APPENDQ: 0x19,
  PREPENDQ: 0x1a,
  VERBOSITY: 0x1b,
  TOUCH: 0x1c,
  GAT: 0x1d,
  GATQ: 0x1e,
  SASL_LIST_MECHS: 0x20,
  SASL_AUTH: 0x21,
  SASL_STEP: 0x22,
  GATK: 0x23,
  GATKQ: 0x24,
} as const;

/** Response statuses (two bytes at offset 6 of a response). */
export const Status = {
  NO_ERROR: 0x0000,
  KEY_NOT_FOUND: 0x0001,
  KEY_EXISTS: 0x0002,
  VALUE_TOO_LARGE: 0x0003,
  INVALID_ARGUMENTS: 0x0004,
  ITEM_NOT_STORED: 0x0005,
  UNKNOWN_COMMAND: 0x0081,
  OUT_OF_MEMORY: 0x0082,
  NOT_SUPPORTED: 0x0083,
  INTERNAL_ERROR: 0x0084,
  BUSY: 0x0085,
  TEMPORARY_FAILURE: 0x0086,
} as const;

/** The command name of each opcode (lower-case, as the `command` metadata attribute carries it). */
export const COMMAND_NAMES: readonly (string | undefined)[] = (() => {
  const names: (string | undefined)[] = new Array(256).fill(undefined);
  for (const [name, code] of Object.entries(Opcode)) names[code] = name.toLowerCase();
  return names;
})();

/** The answering twin of each quiet opcode (GETQ → GET, SETQ → SET, …); 0xff for the others. */
export const LOUD_TWIN: Uint8Array = (() => {
  const twins = new Uint8Array(256).fill(0xff);
  const pairs: [number, number][] = [
    [Opcode.GETQ, Opcode.GET],
    [Opcode.GETKQ, Opcode.GETK],
    [Opcode.GATQ, Opcode.GAT],
    [Opcode.GATKQ, Opcode.GATK],
    [Opcode.SETQ, Opcode.SET],
    [Opcode.ADDQ, Opcode.ADD],
    [Opcode.REPLACEQ, Opcode.REPLACE],
    [Opcode.DELETEQ, Opcode.DELETE],
    [Opcode.INCREMENTQ, Opcode.INCREMENT],
    [Opcode.DECREMENTQ, Opcode.DECREMENT],
    [Opcode.FLUSHQ, Opcode.FLUSH],
    [Opcode.APPENDQ, Opcode.APPEND],
    [Opcode.PREPENDQ, Opcode.PREPEND],
  ];
  for (const [quiet, loud] of pairs) twins[quiet] = loud;
  return twins;
})();

/** Whether a quiet get (answers only on a hit, so a miss is silent) rather than a quiet update. */
export function isQuietGet(opcode: number): boolean {
  return (
    opcode === Opcode.GETQ || opcode === Opcode.GETKQ || opcode === Opcode.GATQ || opcode === Opcode.GATKQ
  );
}

/**
 * Commands the proxy answers itself instead of forwarding: QUIT (the client's connection ends, not
 * the shared upstream one), and those that make no sense through a proxy shared by many clients and
 * servers (STAT, which answers with many packets; VERBOSITY; SASL authentication).
 */
export function isAnsweredLocally(opcode: number): boolean {
  return (
    opcode === Opcode.QUIT ||
    opcode === Opcode.QUITQ ||
    opcode === Opcode.STAT ||
    opcode === Opcode.VERBOSITY ||
    opcode === Opcode.SASL_LIST_MECHS ||
    opcode === Opcode.SASL_AUTH ||
    opcode === Opcode.SASL_STEP
  );
}

/** Statuses that report a normal outcome (a miss, an existing key, a refused add) rather than a failure. */
export function isOutcomeStatus(status: number): boolean {
  return (
    status === Status.NO_ERROR ||
    status === Status.KEY_NOT_FOUND ||
    status === Status.KEY_EXISTS ||
    status === Status.ITEM_NOT_STORED
  );
}
