/**
 * The access log's record of a finished request, as the request thread hands it to the log's worker
 * thread: a run of float64 slots in a batch, strings as ids into a table both threads keep.
 *
 * ```
 * record     = start-time duration request-id bytes-received bytes-sent response-code
 *              listener protocol operation route-name upstream-cluster upstream-host
 *              response-flags response-code-details downstream-remote-address
 *              downstream-local-address request-attributes response-attributes
 * attributes = count count*( key value )     ; count -1 (and no pairs): there was no response
 * ```
 *
 * Every field is one slot; the twelve names and each attribute key and value are string ids. The
 * request id is the id itself, or for a bigint id the string id of its digits plus one half (see
 * {@link requestIdSlot}). Writing
 * a record costs the request thread a few map lookups and stores; formatting it (JSON or an Envoy
 * format string) and writing the file happen on the worker.
 */
import type { RequestId } from '../../codec/index.js';
import type { ActiveRequest } from '../active-request.js';
import { isoTime, responseCode, responseCodeDetails, type AccessLogEntry } from './access-log-entry.js';
import type { AttributeRedaction } from './attribute-redaction.js';
import { responseFlags } from './istio-labels.js';

/** Gives the id of a string, the same id for the same string until the table is reset. */
export interface StringIds {
  /** @param field the slot it goes in, from the record's start: a hint, as fields often repeat */
  id(value: string, field: number): number;
}

/** The slot of each fixed field, from the start of its record. */
export const enum RecordField {
  StartTime = 0,
  Duration = 1,
  RequestId = 2,
  BytesReceived = 3,
  BytesSent = 4,
  ResponseCode = 5,
  Listener = 6,
  Protocol = 7,
  Operation = 8,
  RouteName = 9,
  UpstreamCluster = 10,
  UpstreamHost = 11,
  ResponseFlags = 12,
  ResponseCodeDetails = 13,
  DownstreamRemoteAddress = 14,
  DownstreamLocalAddress = 15,
}

/** Where the request's attributes start, after the fixed fields. */
export const ATTRIBUTES_SLOT = 16;
/** The count that stands for "no response" in place of the response's attributes. */
export const NO_RESPONSE = -1;
/** The response flags of a request without any (Envoy's `-`). */
const NO_FLAGS = '-';
/** Attributes of a message beyond this many are left out of its line. */
export const MAX_ATTRIBUTES = 128;
/** The most slots one record takes. */
export const MAX_RECORD_SLOTS = ATTRIBUTES_SLOT + 2 * (1 + 2 * MAX_ATTRIBUTES);

/**
 * The request-id slot: a number id as it is; a bigint id (beyond 2^53 − 1 either side of 0) as the
 * string id of its digits plus one half, which no number id can be since those are integers.
 */
export function requestIdSlot(id: RequestId, strings: StringIds): number {
  return typeof id === 'number' ? id : strings.id(id.toString(), RecordField.RequestId) + 0.5;
}

/** The request id of a slot written by {@link requestIdSlot}: a number, or the digits of a bigint. */
export function requestIdOfSlot(slot: number, strings: readonly string[]): number | string {
  return Number.isInteger(slot) ? slot : strings[slot - 0.5]!;
}

/** Appends the record of a finished `request` at slot `at`; returns the slot after it. */
export function writeRecord(
  slots: Float64Array,
  at: number,
  request: ActiveRequest,
  now: number,
  strings: StringIds,
): number {
  const message = request.request;
  const response = request.response;
  const kind = request.localReplyKind;
  slots[at + RecordField.StartTime] = request.startTime;
  slots[at + RecordField.Duration] = now - request.startTime;
  slots[at + RecordField.RequestId] = requestIdSlot(message.requestId, strings);
  slots[at + RecordField.BytesReceived] = message.bytes.length;
  slots[at + RecordField.BytesSent] = request.responseBytes;
  const code = responseCode(request);
  // Most requests succeed untouched by faults: no flags and no details, without working them out.
  const plain = code === 0 && !request.faultDelayed && !request.faultAborted;
  slots[at + RecordField.ResponseCode] = code;
  slots[at + RecordField.Listener] = strings.id(request.listenerName, RecordField.Listener);
  slots[at + RecordField.Protocol] = strings.id(request.protocol, RecordField.Protocol);
  slots[at + RecordField.Operation] = strings.id(message.operation, RecordField.Operation);
  slots[at + RecordField.RouteName] = strings.id(request.route?.name ?? '', RecordField.RouteName);
  slots[at + RecordField.UpstreamCluster] = strings.id(request.clusterName, RecordField.UpstreamCluster);
  slots[at + RecordField.UpstreamHost] = strings.id(request.upstreamHost, RecordField.UpstreamHost);
  slots[at + RecordField.ResponseFlags] = strings.id(
    plain ? NO_FLAGS : responseFlags(kind, request),
    RecordField.ResponseFlags,
  );
  slots[at + RecordField.ResponseCodeDetails] = strings.id(
    plain ? '' : responseCodeDetails(request),
    RecordField.ResponseCodeDetails,
  );
  slots[at + RecordField.DownstreamRemoteAddress] = strings.id(
    request.downstreamRemoteAddress,
    RecordField.DownstreamRemoteAddress,
  );
  slots[at + RecordField.DownstreamLocalAddress] = strings.id(
    request.downstreamLocalAddress,
    RecordField.DownstreamLocalAddress,
  );
  const start = at;
  at = writeAttributes(slots, start, at + ATTRIBUTES_SLOT, message.metadata.entries(), strings);
  if (response === undefined) {
    slots[at] = NO_RESPONSE;
    return at + 1;
  }
  return writeAttributes(slots, start, at, response.metadata.entries(), strings);
}

function writeAttributes(
  slots: Float64Array,
  start: number,
  at: number,
  entries: IterableIterator<[string, string]>,
  strings: StringIds,
): number {
  const countAt = at++;
  let count = 0;
  for (const [key, value] of entries) {
    if (count === MAX_ATTRIBUTES) break;
    slots[at] = strings.id(key, at - start);
    slots[at + 1] = strings.id(value, at + 1 - start);
    at += 2;
    count++;
  }
  slots[countAt] = count;
  return at;
}

/** The slot after the record at `at`. */
export function recordEnd(slots: Float64Array, at: number): number {
  let next = at + ATTRIBUTES_SLOT;
  next += 1 + 2 * slots[next]!;
  return slots[next] === NO_RESPONSE ? next + 1 : next + 1 + 2 * slots[next]!;
}

/** Reads records back into entries, on the worker; `redact` says which attribute values to hide. */
export class RecordReader {
  constructor(
    private readonly strings: readonly string[],
    private readonly redact: AttributeRedaction,
  ) {}

  /** The entry of the record at slot `at`, and the slot after it. */
  read(slots: Float64Array, at: number): { entry: AccessLogEntry; next: number } {
    const s = this.strings;
    const entry: AccessLogEntry = {
      start_time: isoTime(slots[at + RecordField.StartTime]!),
      duration: slots[at + RecordField.Duration]!,
      listener: s[slots[at + RecordField.Listener]!]!,
      protocol: s[slots[at + RecordField.Protocol]!]!,
      operation: s[slots[at + RecordField.Operation]!]!,
      request_id: requestIdOfSlot(slots[at + RecordField.RequestId]!, s),
      route_name: s[slots[at + RecordField.RouteName]!]!,
      upstream_cluster: s[slots[at + RecordField.UpstreamCluster]!]!,
      upstream_host: s[slots[at + RecordField.UpstreamHost]!]!,
      response_code: slots[at + RecordField.ResponseCode] === 0 ? 0 : 1,
      response_flags: s[slots[at + RecordField.ResponseFlags]!]!,
      response_code_details: s[slots[at + RecordField.ResponseCodeDetails]!]!,
      bytes_received: slots[at + RecordField.BytesReceived]!,
      bytes_sent: slots[at + RecordField.BytesSent]!,
      downstream_remote_address: s[slots[at + RecordField.DownstreamRemoteAddress]!]!,
      downstream_local_address: s[slots[at + RecordField.DownstreamLocalAddress]!]!,
      request: {},
    };
    let next = this.readAttributes(slots, at + ATTRIBUTES_SLOT, entry.request);
    if (slots[next] === NO_RESPONSE) {
      next++;
    } else {
      entry.response = {};
      next = this.readAttributes(slots, next, entry.response);
    }
    return { entry, next };
  }

  private readAttributes(slots: Float64Array, at: number, into: Record<string, string>): number {
    const count = slots[at++]!;
    for (let i = 0; i < count; i++) {
      const key = this.strings[slots[at++]!]!;
      const value = this.strings[slots[at++]!]!;
      into[key] = this.redact.valueOf(key, value);
    }
    return at;
  }
}
