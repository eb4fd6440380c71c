import type { LocalReplyKind } from '../../codec/codec.js';
import {
  APP_EXCEPTION_INTERNAL_ERROR,
  APP_EXCEPTION_PROTOCOL_ERROR,
  APP_EXCEPTION_UNKNOWN_METHOD,
} from './wire-constants.js';

/**
 * The TApplicationException type a local reply carries. Thrift has types only for "no such method"
 * (UNKNOWN_METHOD, which is what a client sees from a server lacking the method: the closest meaning
 * of "no route") and for undecodable input (PROTOCOL_ERROR); every proxy-side failure (no upstream,
 * connect failure, reset, timeout, over limit, a bad upstream reply) is INTERNAL_ERROR, as Aeraki
 * answers, and the message text names the cause.
 */
export function applicationExceptionType(kind: LocalReplyKind): number {
  switch (kind) {
    case 'no-route':
      return APP_EXCEPTION_UNKNOWN_METHOD;
    case 'bad-request':
      return APP_EXCEPTION_PROTOCOL_ERROR;
    default:
      return APP_EXCEPTION_INTERNAL_ERROR;
  }
}
