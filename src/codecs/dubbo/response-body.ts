/**
 * Reads the Hessian2 body of a Dubbo response with status OK (`DecodeableRpcResult` order):
 *
 *   body := type:int ( 0: exception                    1: value         2: (nothing)
 *                    | 3: exception attachments        4: value attachments
 *                    | 5: attachments )
 *
 * Types 0 and 3 report an exception thrown by the provider. The value or exception is skipped, and
 * only for types 3 and 4, to reach the attachments (see attachments-reader.ts), which become
 * metadata when something reads them (deferred-attachments.ts). Bodies of other statuses hold an error message and are not read. Read in steps, as a
 * request is (see body-walk.ts): the type ({@link readResponseType}), the value (walked by the caller,
 * {@link responseValues} of them), then the attachments ({@link readResponseTail}).
 */
import { malformed } from '../../errors.js';
import { readAttachments } from './attachments-reader.js';
import type { HeaderLimits } from './codec-config.js';
import type { HessianReader } from './hessian-reader.js';
import type { HessianSkipper } from './hessian-skipper.js';
import { DubboMessageState } from './message-state.js';
import type { RecentAttachments } from './recent-attachments.js';
import {
  HEADER_SIZE,
  RESPONSE_NULL_VALUE_WITH_ATTACHMENTS,
  RESPONSE_VALUE_WITH_ATTACHMENTS,
  RESPONSE_WITH_EXCEPTION,
  RESPONSE_WITH_EXCEPTION_WITH_ATTACHMENTS,
} from './wire-constants.js';

/** The response type at the body's start; the reader's `next` is then just past it. */
export function readResponseType(reader: HessianReader): number {
  const type = reader.int(HEADER_SIZE);
  if (type < RESPONSE_WITH_EXCEPTION || type > RESPONSE_NULL_VALUE_WITH_ATTACHMENTS) {
    throw malformed(`dubbo response type ${type} is unknown`);
  }
  return type;
}

/** How many values of a response of `type` are walked: the one before its attachments, if any. */
export function responseValues(type: number): number {
  return type === RESPONSE_WITH_EXCEPTION_WITH_ATTACHMENTS || type === RESPONSE_VALUE_WITH_ATTACHMENTS
    ? 1
    : 0;
}

/**
 * Checks the attachments (types 3–5) at `valuesEnd` (the reader holding the whole body); returns the
 * response's state.
 */
export function readResponseTail(
  reader: HessianReader,
  skipper: HessianSkipper,
  type: number,
  typeEnd: number,
  valuesEnd: number,
  flags: number,
  status: number,
  limits: HeaderLimits,
  recent: RecentAttachments,
): DubboMessageState {
  let attachments;
  if (type >= RESPONSE_WITH_EXCEPTION_WITH_ATTACHMENTS) {
    if (valuesEnd === reader.bodyEnd) throw malformed(`dubbo response of type ${type} has no attachments`);
    attachments = readAttachments(reader, skipper, valuesEnd, limits, recent);
  }
  return new DubboMessageState(flags, status, '', '', '', '', '', type, typeEnd, attachments);
}
