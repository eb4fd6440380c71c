/**
 * Numbers fixed by the Apache Thrift wire formats (binary and compact protocols, framed and THeader
 * transports, TApplicationException), shared by the readers and writers of this codec.
 */

/** The message envelope's type field. */
export const MESSAGE_CALL = 1;
export const MESSAGE_REPLY = 2;
export const MESSAGE_EXCEPTION = 3;
export const MESSAGE_ONEWAY = 4;

/** Strict binary protocol: the first two bytes of the i32 version word `0x80010000 | type`. */
export const BINARY_VERSION_HIGH = 0x80;
export const BINARY_VERSION_LOW = 0x01;

/** Binary protocol type ids (TType). */
export const BINARY_STOP = 0;
export const BINARY_BOOL = 2;
export const BINARY_BYTE = 3;
export const BINARY_DOUBLE = 4;
export const BINARY_I16 = 6;
export const BINARY_I32 = 8;
export const BINARY_I64 = 10;
export const BINARY_STRING = 11;
export const BINARY_STRUCT = 12;
export const BINARY_MAP = 13;
export const BINARY_SET = 14;
export const BINARY_LIST = 15;
export const BINARY_UUID = 16;

/** Compact protocol: first byte of a message, and the version in the low 5 bits of the second. */
export const COMPACT_PROTOCOL_ID = 0x82;
export const COMPACT_VERSION = 1;
export const COMPACT_VERSION_MASK = 0x1f;
export const COMPACT_TYPE_SHIFT = 5;

/** Compact protocol type ids (the low nibble of a field header, or a collection's element type). */
export const COMPACT_STOP = 0;
export const COMPACT_BOOLEAN_TRUE = 1;
export const COMPACT_BOOLEAN_FALSE = 2;
export const COMPACT_BYTE = 3;
export const COMPACT_I16 = 4;
export const COMPACT_I32 = 5;
export const COMPACT_I64 = 6;
export const COMPACT_DOUBLE = 7;
export const COMPACT_BINARY = 8;
export const COMPACT_LIST = 9;
export const COMPACT_SET = 10;
export const COMPACT_MAP = 11;
export const COMPACT_STRUCT = 12;
export const COMPACT_UUID = 13;

/** THeader transport: magic after the frame length, fixed prefix size, and ids in the header block. */
export const THEADER_MAGIC = 0x0fff;
/** Length (4) + magic (2) + flags (2) + seqid (4) + header size in words (2). */
export const THEADER_FIXED_SIZE = 14;
export const THEADER_PROTOCOL_BINARY = 0;
export const THEADER_PROTOCOL_JSON = 1;
export const THEADER_PROTOCOL_COMPACT = 2;
/** Info block of string key/value pairs, valid for one message. */
export const THEADER_INFO_KEYVALUE = 1;
/** Info block of string key/value pairs that the sender means to persist for the connection. */
export const THEADER_INFO_PERSISTENT_KEYVALUE = 2;

/** TApplicationException.type values used by local replies. */
export const APP_EXCEPTION_UNKNOWN_METHOD = 1;
export const APP_EXCEPTION_INTERNAL_ERROR = 6;
export const APP_EXCEPTION_PROTOCOL_ERROR = 7;

/** Thrift nesting limit used by the Apache libraries (DEFAULT_RECURSION_DEPTH). */
export const DEFAULT_MAX_DEPTH = 64;

/** Default maximum frame (or unframed message) size: 16 MiB. */
export const DEFAULT_MAX_FRAME_SIZE = 16 * 1024 * 1024;

/**
 * Default limits on THeader info headers: pairs (Envoy's HTTP default is 100 headers) and bytes of the
 * header block (Envoy's Thrift proxy refuses header blocks above 64 KiB).
 */
export const DEFAULT_MAX_HEADERS = 128;
export const DEFAULT_MAX_HEADER_BYTES = 64 * 1024;
