/**
 * The Dubbo response the proxy sends for a request it answers itself:
 *
 *   reply := header(flags = hessian2 (0x02), status, the request's id, body length) message:string
 *
 * which is what a Dubbo provider sends for a failed request (`ExchangeCodec.encodeResponse`): a
 * non-OK status and a Hessian2 string with the error message. Java consumers raise it as a
 * RemotingException (TimeoutException for the timeout statuses) carrying the message.
 *
 * Status by kind:
 * - no-route, no-cluster → SERVICE_NOT_FOUND (60): no provider is configured for the call.
 * - timeout → SERVER_TIMEOUT (31): the call was sent and its answer did not come in time.
 * - over-limit → SERVER_THREADPOOL_EXHAUSTED (100): what a provider answers when it sheds load.
 * - bad-request → BAD_REQUEST (40); bad-response → BAD_RESPONSE (50).
 * - no-healthy-upstream, connect-failure, upstream-reset → SERVICE_ERROR (70): the service exists but
 *   could not serve the call (Dubbo's status for a call that failed on the provider's side).
 * - internal → SERVER_ERROR (80): a fault of the proxy itself.
 */
import type { LocalReplyKind } from '../../codec/codec.js';
import type { RequestId } from '../../codec/request-id.js';
import { writeFrameHeader } from './frame-header.js';
import { stringSize, writeString } from './hessian-writer.js';
import {
  HEADER_SIZE,
  SERIALIZATION_HESSIAN2,
  STATUS_BAD_REQUEST,
  STATUS_BAD_RESPONSE,
  STATUS_SERVER_ERROR,
  STATUS_SERVER_THREADPOOL_EXHAUSTED,
  STATUS_SERVER_TIMEOUT,
  STATUS_SERVICE_ERROR,
  STATUS_SERVICE_NOT_FOUND,
} from './wire-constants.js';

/** The response status a local reply of `kind` carries. */
export function localReplyStatus(kind: LocalReplyKind): number {
  switch (kind) {
    case 'no-route':
    case 'no-cluster':
      return STATUS_SERVICE_NOT_FOUND;
    case 'timeout':
      return STATUS_SERVER_TIMEOUT;
    case 'over-limit':
      return STATUS_SERVER_THREADPOOL_EXHAUSTED;
    case 'bad-request':
      return STATUS_BAD_REQUEST;
    case 'bad-response':
      return STATUS_BAD_RESPONSE;
    case 'internal':
      return STATUS_SERVER_ERROR;
    default:
      return STATUS_SERVICE_ERROR;
  }
}

/** An error response with `status` and `message` for request `requestId`. */
export function errorResponse(requestId: RequestId, status: number, message: string): Buffer {
  const bodyLength = stringSize(message);
  const out = Buffer.allocUnsafe(HEADER_SIZE + bodyLength);
  writeFrameHeader(out, SERIALIZATION_HESSIAN2, status, requestId, bodyLength);
  writeString(out, HEADER_SIZE, message);
  return out;
}
