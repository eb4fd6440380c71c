/**
 * Numbers of the Dubbo2 wire protocol (the exchange layer of Apache Dubbo's `dubbo://` protocol):
 *
 *   frame  := header body
 *   header := magic:u16(0xdabb) flags:u8 status:u8 request-id:i64 body-length:i32      (16 bytes, big endian)
 *   flags  := request(0x80) | two-way(0x40) | event(0x20) | serialization-id (low 5 bits)
 */

/** Length of the fixed frame header. */
export const HEADER_SIZE = 16;
export const MAGIC_HIGH = 0xda;
export const MAGIC_LOW = 0xbb;

export const FLAG_REQUEST = 0x80;
export const FLAG_TWO_WAY = 0x40;
export const FLAG_EVENT = 0x20;
export const SERIALIZATION_MASK = 0x1f;

/** Serialization id of Hessian2, the only body encoding this codec reads. */
export const SERIALIZATION_HESSIAN2 = 2;

/** Offsets of the header fields. */
export const FLAGS_OFFSET = 2;
export const STATUS_OFFSET = 3;
export const REQUEST_ID_OFFSET = 4;
export const BODY_LENGTH_OFFSET = 12;

/** Response statuses (Dubbo's `Response` constants). */
export const STATUS_OK = 20;
export const STATUS_CLIENT_TIMEOUT = 30;
export const STATUS_SERVER_TIMEOUT = 31;
export const STATUS_BAD_REQUEST = 40;
export const STATUS_BAD_RESPONSE = 50;
export const STATUS_SERVICE_NOT_FOUND = 60;
export const STATUS_SERVICE_ERROR = 70;
export const STATUS_SERVER_ERROR = 80;
export const STATUS_CLIENT_ERROR = 90;
export const STATUS_SERVER_THREADPOOL_EXHAUSTED = 100;

/** The first int of an OK response body (Dubbo's `RpcResponseType`/`DubboCodec` response flags). */
export const RESPONSE_WITH_EXCEPTION = 0;
export const RESPONSE_VALUE = 1;
export const RESPONSE_NULL_VALUE = 2;
export const RESPONSE_WITH_EXCEPTION_WITH_ATTACHMENTS = 3;
export const RESPONSE_VALUE_WITH_ATTACHMENTS = 4;
export const RESPONSE_NULL_VALUE_WITH_ATTACHMENTS = 5;

/** The offset between a response type and its `*_WITH_ATTACHMENTS` variant. */
export const WITH_ATTACHMENTS_DELTA = 3;

/** Dubbo's default payload limit (`payload`, 8 MiB). */
export const DEFAULT_MAX_BODY_SIZE = 8 * 1024 * 1024;

/** Deepest nesting of lists, maps and objects walked in a body. */
export const DEFAULT_MAX_DEPTH = 512;

/**
 * Default limits on a message's header fields: attachments (Envoy's HTTP default is 100 headers),
 * and bytes of the attachments map, and of a request's fields before its arguments.
 */
export const DEFAULT_MAX_HEADERS = 128;
export const DEFAULT_MAX_HEADER_BYTES = 64 * 1024;
