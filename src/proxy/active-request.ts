import type { Span } from '@opentelemetry/api';
import { inspect } from 'node:util';
import type { LocalReplyKind, Message, Mutation } from '../codec/index.js';
import type { FilterStatus } from '../filters/filter.js';
import { outsideFilterScope } from '../filters/filter-scope.js';
import type { RoutableRequest, UpstreamHandle } from '../filters/router/routable-request.js';
import type { CompiledRoute, RouteTable } from '../filters/router/route-table.js';
import type { DeadlineEntry, DeadlineTimer } from '../net/deadline-timer.js';
import { readTime } from '../net/read-clock.js';
import type { UpstreamCodec } from '../upstream/upstream-codec.js';
import type { DownstreamConnection } from './downstream-connection.js';
import { shortFilterName } from './filter-stats.js';
import type { ListenerState } from './listener-state.js';

const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * Where a chain (decoder or encoder) stands with the filter it called last: running (no call in
 * progress), in a call, resumed from within that call (the filter called continue… before returning),
 * or paused by a filter that returned `stop` and has not resumed it yet.
 */
const enum ChainPhase {
  Running = 0,
  InCall = 1,
  ResumedInCall = 2,
  Paused = 3,
}

/**
 * One request from decode to its last byte downstream: it runs the decoder filters, is handed to an
 * upstream by the router (whose {@link UpstreamHandle} owns the tries, retries and timeouts), receives
 * the response, runs the encoder filters in reverse, and writes the encoded response. It also keeps
 * the request's record (route, cluster, endpoint, how it ended) for metrics, access logs and traces.
 * No closures per request.
 */
export class ActiveRequest implements RoutableRequest, DeadlineEntry {
  readonly request: Message;
  response: Message | undefined = undefined;
  readonly startTime: number;
  readonly routeTable: RouteTable | undefined;
  readonly upstreamCodec: UpstreamCodec;
  route: CompiledRoute | undefined = undefined;
  clusterName = '';
  upstreamHandle: UpstreamHandle | undefined = undefined;
  /** `address:port` of the endpoint the request was sent to; '' until then. */
  upstreamHost = '';
  /** That endpoint's labels (version, app, …). */
  upstreamLabels: Readonly<Record<string, string>> = NO_LABELS;
  /** Bytes written back to the client (the reply or the local reply). */
  responseBytes = 0;
  /** A fault of its route delayed it / answered it (Envoy response flags DI / FI). */
  faultDelayed = false;
  faultAborted = false;
  /** The request's trace span, when it is traced. */
  span: Span | undefined = undefined;
  /** Set when the proxy answered the request itself. */
  localReplyKind: LocalReplyKind | undefined = undefined;
  localReplyMessage = '';
  /** Where its connection keeps it among the requests in flight; -1 once it is not there. */
  activeSlot = -1;
  /** Links of the bound on a filter's pause (armed only while a filter has paused the request). */
  deadline = 0;
  deadlineKey = -1;
  deadlinePrev: DeadlineEntry | null = null;
  deadlineNext: DeadlineEntry | null = null;

  private readonly connection: DownstreamConnection;
  private readonly state: ListenerState;
  private decoderIndex = 0;
  private encoderIndex = 0;
  private decoderPhase = ChainPhase.Running;
  private encoderPhase = ChainPhase.Running;
  private requestHeaders: Map<string, string> | undefined = undefined;
  private responseHeaders: Map<string, string> | undefined = undefined;
  private filterStateMap: Map<string, unknown> | undefined = undefined;
  /** The filter that paused the request last (for the message when it does not resume it). */
  private pausedBy = '';
  private done = false;

  constructor(connection: DownstreamConnection, state: ListenerState, request: Message) {
    this.connection = connection;
    this.state = state;
    this.request = request;
    this.routeTable = state.routeTable;
    this.upstreamCodec = state.upstreamCodec;
    this.startTime = readTime();
  }

  get listenerName(): string {
    return this.state.resource.name;
  }

  get protocol(): string {
    return this.state.resource.protocol;
  }

  /** The client's `address:port`. */
  get downstreamRemoteAddress(): string {
    return this.connection.remoteAddress;
  }

  /** The listener's `address:port`. */
  get downstreamLocalAddress(): string {
    return this.connection.localAddress;
  }

  /** The listener's stats prefix, `outbound|<port>||<host>`. */
  get statPrefix(): string {
    return this.state.resource.statPrefix;
  }

  get multiplexing(): boolean {
    return this.state.resource.multiplexing;
  }

  get defaultTimeoutMs(): number {
    return this.state.resource.requestTimeoutMs;
  }

  get timers(): DeadlineTimer {
    return this.connection.deadlines;
  }

  get filterState(): Map<string, unknown> {
    return (this.filterStateMap ??= new Map());
  }

  /** Whether the request has ended (answered, failed, or abandoned). */
  get finished(): boolean {
    return this.done;
  }

  /** Runs the decoder filters from the start. */
  start(): void {
    this.decoderIndex = 0;
    this.runDecoders();
  }

  /**
   * Resumes the decoder chain, once: after the filter that paused it, or, called from within the
   * filter's own call, as soon as that call returns. Any other call is ignored.
   */
  continueDecoding(): void {
    if (this.done) return;
    if (this.decoderPhase === ChainPhase.InCall) {
      this.decoderPhase = ChainPhase.ResumedInCall;
      return;
    }
    if (this.decoderPhase !== ChainPhase.Paused) return;
    this.decoderPhase = ChainPhase.Running;
    this.timers.disarm(this);
    // A plugin's filter resumes from its own callbacks: the rest of the chain is not its code.
    outsideFilterScope(runDecoders, this);
  }

  /** As {@link continueDecoding}, for the encoder chain. */
  continueEncoding(): void {
    if (this.done) return;
    if (this.encoderPhase === ChainPhase.InCall) {
      this.encoderPhase = ChainPhase.ResumedInCall;
      return;
    }
    if (this.encoderPhase !== ChainPhase.Paused) return;
    this.encoderPhase = ChainPhase.Running;
    this.timers.disarm(this);
    outsideFilterScope(runEncoders, this);
  }

  /** @internal Runs the decoder filters from the current one on. */
  runDecoders(): void {
    const decoders = this.state.decoders;
    while (!this.done && this.decoderIndex < decoders.length) {
      const filter = decoders[this.decoderIndex++]!;
      // Each call into a filter has its own boundary: a throw fails this request alone.
      let status: FilterStatus;
      this.decoderPhase = ChainPhase.InCall;
      try {
        status = filter.onRequest(this);
      } catch (err) {
        this.decoderPhase = ChainPhase.Running;
        this.failInFilter(filter.name, err);
        return;
      }
      // The call may have resumed the chain (continueDecoding from within onRequest).
      const resumed = (this.decoderPhase as ChainPhase) === ChainPhase.ResumedInCall;
      this.decoderPhase = ChainPhase.Running;
      if (status === 'continue' || (status === 'stop' && resumed)) continue;
      if (status !== 'stop') {
        this.failInFilter(filter.name, notAStatus('onRequest', status));
        return;
      }
      // The router (last) owns the request from here; any other filter that paused it must resume it.
      if (!this.done && this.decoderIndex < decoders.length) this.pause(true, filter.name);
      return;
    }
    // Only a chain without a router gets here; say so rather than leave the client waiting.
    if (!this.done && this.upstreamHandle === undefined) {
      this.sendLocalReply('internal', 'aeraki: the filter chain ended without routing the request');
    }
  }

  /** @internal Runs the encoder filters from the current one on, then writes the response. */
  runEncoders(): void {
    const encoders = this.state.encoders;
    while (!this.done && this.encoderIndex < encoders.length) {
      const filter = encoders[this.encoderIndex++]!;
      let status: FilterStatus;
      this.encoderPhase = ChainPhase.InCall;
      try {
        status = filter.onResponse(this);
      } catch (err) {
        this.encoderPhase = ChainPhase.Running;
        this.failInFilter(filter.name, err);
        return;
      }
      const resumed = (this.encoderPhase as ChainPhase) === ChainPhase.ResumedInCall;
      this.encoderPhase = ChainPhase.Running;
      if (status === 'continue' || (status === 'stop' && resumed)) continue;
      if (status !== 'stop') {
        this.failInFilter(filter.name, notAStatus('onResponse', status));
        return;
      }
      if (!this.done) this.pause(false, filter.name);
      return;
    }
    if (!this.done) this.writeResponse();
  }

  /**
   * A filter returned `stop` without ending the request: it must resume it within the listener's
   * request timeout, or the request is answered `timeout` (a filter that forgets cannot hold a request,
   * and the client's call, forever).
   */
  private pause(decoding: boolean, filterName: string): void {
    if (decoding) this.decoderPhase = ChainPhase.Paused;
    else this.encoderPhase = ChainPhase.Paused;
    this.pausedBy = filterName;
    const timeoutMs = this.state.resource.requestTimeoutMs;
    if (timeoutMs > 0) this.timers.arm(this, timeoutMs);
  }

  /** @internal The bound on a filter's pause passed. */
  onDeadline(): void {
    if (this.done) return;
    if (this.decoderPhase !== ChainPhase.Paused && this.encoderPhase !== ChainPhase.Paused) return;
    this.sendLocalReply(
      'timeout',
      `aeraki: filter ${this.pausedBy} paused the request and did not resume it within ${this.state.resource.requestTimeoutMs} ms`,
    );
  }

  addRequestHeader(key: string, value: string): void {
    (this.requestHeaders ??= new Map()).set(key, value);
  }

  addResponseHeader(key: string, value: string): void {
    (this.responseHeaders ??= new Map()).set(key, value);
  }

  finalRequestMutation(routeMutation: Mutation): Mutation | undefined {
    const added = this.requestHeaders;
    if (added === undefined) return routeMutation.size === 0 ? undefined : routeMutation;
    for (const [k, v] of routeMutation) added.set(k, v);
    return added;
  }

  countFault(kind: 'delay' | 'abort'): void {
    if (kind === 'delay') {
      this.connection.stats.faultDelay++;
      this.faultDelayed = true;
    } else {
      this.connection.stats.faultAbort++;
      this.faultAborted = true;
    }
  }

  onUpstreamResponse(response: Message): void {
    if (this.done) return;
    this.response = response;
    this.encoderIndex = 0;
    this.runEncoders();
  }

  complete(): void {
    if (!this.done) this.finish();
  }

  failInternal(source: string, err: unknown): void {
    this.failInFilter(source, err);
  }

  /**
   * The filter `name` threw (in a call, or in code run for this request later): counted under its
   * name and logged; the request, if not over yet, is answered `internal`.
   */
  failInFilter(name: string, err: unknown): void {
    const errors = this.connection.stats.filterError;
    const short = shortFilterName(name);
    errors[short] = (errors[short] ?? 0) + 1;
    this.connection.logInternalError(this, name, err);
    if (this.done) return;
    this.sendLocalReply('internal', `aeraki: filter ${name} failed: ${messageOf(err)}`);
  }

  sendLocalReply(kind: LocalReplyKind, message: string): void {
    if (this.done) return;
    this.cancelUpstream();
    this.localReplyKind = kind;
    this.localReplyMessage = message;
    this.connection.stats.localReply[kind]++;
    if (this.request.type !== 'oneway') {
      let bytes: Buffer | undefined;
      try {
        bytes = this.connection.codec.encodeLocalReply(this.request, { kind, message });
      } catch (err) {
        // Nothing can answer this request in its protocol; the connection and its other requests go on.
        this.failInCodec('encodeLocalReply', err);
        bytes = undefined;
      }
      if (bytes !== undefined) {
        this.responseBytes = bytes.length;
        this.connection.write(bytes);
      }
    }
    this.connection.logLocalReply(this, kind, message);
    this.finish();
  }

  /** The downstream connection went away: stop waiting for the upstream. */
  abandon(): void {
    if (this.done) return;
    this.cancelUpstream();
    this.finish();
  }

  /** Stops the upstream side, if the router started one that is still going. */
  private cancelUpstream(): void {
    const handle = this.upstreamHandle;
    if (handle === undefined) return;
    this.upstreamHandle = undefined;
    handle.cancel();
  }

  private writeResponse(): void {
    const response = this.response!;
    const stats = this.connection.stats;
    stats.response++;
    if (response.status === 'error') stats.responseError++;
    const routeMutation = this.route?.responseMutation;
    let mutation: Mutation | undefined = this.responseHeaders;
    if (routeMutation !== undefined && routeMutation.size > 0) {
      if (mutation === undefined) mutation = routeMutation;
      else for (const [k, v] of routeMutation) (mutation as Map<string, string>).set(k, v);
    }
    const requestId = this.request.requestId;
    let bytes: Buffer;
    if (mutation === undefined && response.requestId === requestId) bytes = response.bytes;
    else {
      try {
        bytes = this.connection.codec.encode(response, { mutation, requestId });
      } catch (err) {
        this.failInCodec('encode', err);
        this.sendLocalReply('internal', `aeraki: the codec could not encode the response: ${messageOf(err)}`);
        return;
      }
    }
    this.responseBytes = bytes.length;
    this.connection.write(bytes);
    this.finish();
  }

  /** The downstream codec threw in `method` (a bug of the codec, not bad bytes): counted and logged. */
  private failInCodec(method: string, err: unknown): void {
    this.connection.stats.codecError++;
    this.connection.logInternalError(this, `${this.state.resource.codec}.${method}`, err);
  }

  private finish(): void {
    this.done = true;
    if (this.deadlineKey >= 0) this.timers.disarm(this);
    this.connection.onRequestFinished(this);
  }
}

/** What a filter that returned neither `continue` nor `stop` (an async function's promise, say) gets. */
function notAStatus(method: string, status: unknown): TypeError {
  const what =
    status instanceof Promise
      ? 'a promise (filters are synchronous: return stop, resume later)'
      : inspect(status);
  return new TypeError(`${method} returned ${what}, not 'continue' or 'stop'`);
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function runDecoders(request: ActiveRequest): void {
  request.runDecoders();
}

function runEncoders(request: ActiveRequest): void {
  request.runEncoders();
}
