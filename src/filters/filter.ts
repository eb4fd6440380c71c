import type { LocalReplyKind, Message } from '../codec/index.js';

/**
 * What a filter returns: go on to the next filter, or stop here. A filter that stops either has
 * ended the request (it sent a local reply, or it is the router and now owns the request until its
 * response), or it resumes the chain later with {@link RequestContext.continueDecoding} /
 * {@link RequestContext.continueEncoding}.
 */
export type FilterStatus = 'continue' | 'stop';

/**
 * The per-request view filters work on. One object per request; the proxy's ActiveRequest implements
 * it. Filters keep no per-request state of their own: what they must remember goes in
 * {@link RequestContext.filterState}.
 */
export interface RequestContext {
  /** The decoded request. */
  readonly request: Message;
  /** The decoded response, once it arrived (encoder filters only). */
  readonly response: Message | undefined;
  /** The listener's name (`<address>_<port>`) and application protocol. */
  readonly listenerName: string;
  readonly protocol: string;
  /** Milliseconds since the epoch at which the request was decoded. */
  readonly startTime: number;
  /**
   * Adds a key/value the codec writes into the request's headers on its way upstream. A later value
   * for the same key wins; the route's own request mutation is applied after all filters.
   */
  addRequestHeader(key: string, value: string): void;
  /** Adds a key/value the codec writes into the response's headers on its way downstream. */
  addResponseHeader(key: string, value: string): void;
  /**
   * Answers the request with the protocol's own error reply and ends it: no further filter runs and
   * nothing is forwarded. Safe to call once; later calls are ignored.
   */
  sendLocalReply(kind: LocalReplyKind, message: string): void;
  /**
   * Resumes the decoder chain after the filter that returned `stop`, once: later calls, and calls
   * after the request ended, are ignored. Called from within the filter's own `onRequest`, the chain
   * goes on as soon as that call returns.
   */
  continueDecoding(): void;
  /** As {@link RequestContext.continueDecoding}, for the encoder chain after `onResponse` returned `stop`. */
  continueEncoding(): void;
  /** Per-request slots for filters, keyed by the filter's name. */
  readonly filterState: Map<string, unknown>;
}

/**
 * What every filter has, whichever direction it acts on. A listener makes one filter per configured
 * entry (see `FilterFactory.create`) and calls it for every request on the listener: per-request
 * state goes in {@link RequestContext.filterState}, not in the filter.
 */
export interface FilterBase {
  /** `aeraki.meta_protocol.filters.<name>`. */
  readonly name: string;
  /**
   * Counters the filter keeps, as an object of numbers (or of records of numbers, one series per
   * key). aeraki publishes them per listener: `GET /listeners` of the admin API and
   * `envoy_meta_protocol_<short name>_<counter>` in `/stats/prometheus`.
   */
  readonly stats?: object;
  /**
   * The listener stopped using this filter (its config changed, or the listener went away): stop
   * timers, close connections. Requests that started before may still call the filter until they end.
   */
  close?(): void;
}

/**
 * A filter on the request path; decoder filters run in configured order, the router last.
 *
 * A filter that throws fails only the request it was called for: the request is answered with the
 * protocol's `internal` error, counted under the filter's name (`filterError`) and logged. So does a
 * throw from code a plugin's filter started for a request (a timer, a promise).
 */
export interface DecoderFilter extends FilterBase {
  /**
   * Called once per request, in chain order, synchronously. Return `continue` to pass the request on,
   * or `stop` after answering it ({@link RequestContext.sendLocalReply}) or to resume it later, once
   * ({@link RequestContext.continueDecoding}, from a timer or a callback). A request paused longer than
   * the listener's request timeout is answered `timeout`. Anything else returned (the promise of an
   * `async` method) fails the request as a throw does.
   */
  onRequest(ctx: RequestContext): FilterStatus;
}

/** A filter on the response path; encoder filters run in reverse configured order. */
export interface EncoderFilter extends FilterBase {
  /**
   * Called once per response from the upstream, in reverse chain order, synchronously; `stop` pauses
   * the response until {@link RequestContext.continueEncoding} (bounded as a request's pause is).
   * Local replies do not pass through encoder filters.
   */
  onResponse(ctx: RequestContext): FilterStatus;
}

/** A filter may act on one direction or both. */
export type Filter = DecoderFilter | EncoderFilter | (DecoderFilter & EncoderFilter);

/** Whether `filter` takes part in the request path. */
export function isDecoderFilter(filter: Filter): filter is DecoderFilter {
  return typeof (filter as DecoderFilter).onRequest === 'function';
}

/** Whether `filter` takes part in the response path. */
export function isEncoderFilter(filter: Filter): filter is EncoderFilter {
  return typeof (filter as EncoderFilter).onResponse === 'function';
}
