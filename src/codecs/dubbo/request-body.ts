/**
 * Reads the Hessian2 body of a Dubbo request (`DecodeableRpcInvocation` order):
 *
 *   body := dubbo-version:string service-path:string service-version:string method:string
 *           [dubbox-marker:int] parameter-types:string argument* attachments
 *
 * with one argument per type in `parameter-types` (see parameter-types.ts) and attachments as in
 * attachments-reader.ts. The arguments are skipped, never decoded. (dubbox clients write an int
 * after the method name; it is skipped.) Read in three steps, so that a large body can be walked as
 * it arrives (see body-walk.ts): the fields before the arguments ({@link readRequestHead}), the
 * arguments (walked by the caller), then, once the body has arrived whole, the attachments
 * ({@link readRequestTail}), which must end exactly at the body's end.
 *
 * Metadata, in the order Dubbo's provider applies it: `version` from the body's service-version field
 * when it is not empty, then every attachment (an attachment `version` wins, as in Dubbo), then
 * `interface` (the service path) and `method`, which attachments cannot override. The first two are
 * decoded only when something reads them (see deferred-attachments.ts).
 */
import { CodecError, ErrorCodes, malformed } from '../../errors.js';
import type { HeaderLimits } from './codec-config.js';
import type { HessianReader } from './hessian-reader.js';
import type { HessianSkipper } from './hessian-skipper.js';
import { isIntTag } from './hessian-tags.js';
import { readAttachments } from './attachments-reader.js';
import { DubboMessageState } from './message-state.js';
import type { RecentAttachments } from './recent-attachments.js';
import { countParameterTypes } from './parameter-types.js';
import { KeptBytes } from './kept-bytes.js';
import { HEADER_SIZE } from './wire-constants.js';

/** The fields of a request before its arguments; one per codec, overwritten by each request. */
export class RequestHead {
  dubboVersion = '';
  serviceName = '';
  serviceVersion = '';
  methodName = '';
  parameterTypes = '';
  /** How many arguments follow (one per parameter type). */
  argumentCount = 0;
  /** The descriptor {@link argumentCount} was last counted for: a connection's calls repeat theirs. */
  countedTypes: string | undefined = undefined;
  /** Offset of the first argument (or of the attachments, without arguments). */
  argumentsAt = 0;
  /**
   * The bytes these fields were read from (the body up to {@link argumentsAt}): a connection's calls
   * of one method repeat them, and a request whose body starts with the same bytes has the same
   * fields, found with one comparison instead of reading five strings.
   */
  readonly kept = new KeptBytes(MAX_KEPT_HEAD_BYTES);
}

/** Longer heads are read every time (a comparison would cost about what reading them does). */
const MAX_KEPT_HEAD_BYTES = 256;

/**
 * Reads the fields before the arguments into `head`. They may not reach more than `maxHeaderBytes`
 * past the body's start (CODEC_TOO_LARGE); the reader must hold the body up to that bound, or whole.
 */
export function readRequestHead(reader: HessianReader, head: RequestHead, maxHeaderBytes: number): void {
  if (sameHead(reader, head)) {
    reader.next = head.argumentsAt;
    return;
  }
  const end = reader.end;
  reader.end = Math.min(end, HEADER_SIZE + maxHeaderBytes);
  try {
    head.dubboVersion = reader.string(HEADER_SIZE);
    head.serviceName = reader.string(reader.next);
    head.serviceVersion = reader.string(reader.next);
    head.methodName = reader.string(reader.next);
    let at = reader.next;
    if (isIntTag(reader.tag(at))) {
      reader.int(at);
      at = reader.next;
    }
    head.parameterTypes = reader.string(at);
    head.argumentsAt = reader.next;
  } catch (error) {
    if (!reader.isNeedMore(error)) throw error;
    throw new CodecError(
      ErrorCodes.CODEC_TOO_LARGE,
      `dubbo request fields before the arguments exceed the limit of ${maxHeaderBytes} bytes (maxHeaderBytes)`,
    );
  } finally {
    reader.end = end;
  }
  // The reader hands back the same string object for repeated bytes, so this is mostly one comparison.
  if (head.parameterTypes !== head.countedTypes) {
    head.argumentCount = countParameterTypes(head.parameterTypes);
    head.countedTypes = head.parameterTypes;
  }
  keepHead(reader.bytes, head);
}

/**
 * Whether the body in `reader` starts with the bytes `head` was read from. The fields before the
 * arguments are strings (and dubbox's int), whose reading depends on nothing but their own bytes, so
 * equal bytes read as the same fields; they were checked against the same limit when first read.
 */
function sameHead(reader: HessianReader, head: RequestHead): boolean {
  const kept = head.kept;
  const length = kept.length;
  return length > 0 && HEADER_SIZE + length <= reader.end && kept.equals(reader.bytes, HEADER_SIZE);
}

function keepHead(bytes: Uint8Array, head: RequestHead): void {
  head.kept.keep(bytes, HEADER_SIZE, head.argumentsAt);
}

/**
 * Checks the attachments at `argumentsEnd` (the reader holding the whole body); returns the
 * request's state, which says where they lie.
 */
export function readRequestTail(
  reader: HessianReader,
  skipper: HessianSkipper,
  head: RequestHead,
  argumentsEnd: number,
  flags: number,
  limits: HeaderLimits,
  recent: RecentAttachments,
): DubboMessageState {
  const attachments = readAttachments(reader, skipper, argumentsEnd, limits, recent);
  if (attachments.end !== reader.bodyEnd) {
    throw malformed(`dubbo request body has ${reader.bodyEnd - attachments.end} bytes after its attachments`);
  }
  return new DubboMessageState(
    flags,
    0,
    head.dubboVersion,
    head.serviceName,
    head.serviceVersion,
    head.methodName,
    head.parameterTypes,
    -1,
    -1,
    attachments,
  );
}
