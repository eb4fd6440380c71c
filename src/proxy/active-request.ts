import type { Span } from '@opentelemetry/api';
import type { LocalReplyKind, Message, Mutation } from '../codec/index.js';
import type { RoutableRequest } from '../filters/router/router-filter.js';
import type { UpstreamCodec } from '../upstream/upstream-codec.js';
import type { CompiledRoute, RouteTable } from '../filters/router/route-table.js';
import type { Cluster } from '../upstream/cluster.js';
import type { Host } from '../upstream/host.js';
import { activeRequestsOf } from '../upstream/retry-budget.js';
import { chooseRetryHost } from '../upstream/retry-host.js';
import type { RequestHolder } from '../upstream/upstream-request.js';
import type { DeadlineEntry } from './deadline-timer.js';
import type { DownstreamConnection } from './downstream-connection.js';
import type { ListenerState } from './listener-state.js';
import { TryTimer, type TryTimerOwner } from './try-timer.js';

const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * One request from decode to its last byte downstream: it runs the decoder filters, is handed to an
 * upstream pool by the router, receives the response, runs the encoder filters in reverse, and writes
 * the encoded response. It is also the pool's callback object and the timeout's timer entry, so a
 * request costs one allocation of this class and no closures.
 *
 * Retries resend the same request to the cluster, preferring another host, while the route's attempts
 * (Istio's default policy for a route without one), the cluster's retry budget and the overall
 * timeout allow; a per-try timeout is a second timer entry ({@link TryTimer}), made only for routes
 * that set one.
 */
export class ActiveRequest implements RoutableRequest, DeadlineEntry, TryTimerOwner {
  readonly request: Message;
  /**
   * The message the upstream pool sends: the request itself, or a copy of its bytes after a per-try
   * timeout (the abandoned try's bytes may still sit in a socket queue, and encoding rewrites in place).
   */
  message: Message;
  response: Message | undefined = undefined;
  readonly startTime: number;
  readonly routeTable: RouteTable | undefined;
  readonly upstreamCodec: UpstreamCodec;
  route: CompiledRoute | undefined = undefined;
  clusterName = '';
  mutation: Mutation | undefined = undefined;
  upstream: RequestHolder | undefined = undefined;
  upstreamId = 0;
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
  deadline = 0;
  deadlineKey = -1;
  deadlinePrev: DeadlineEntry | null = null;
  deadlineNext: DeadlineEntry | null = null;

  private readonly connection: DownstreamConnection;
  private readonly state: ListenerState;
  private host: Host | undefined = undefined;
  private cluster: Cluster | undefined = undefined;
  /** Retries scheduled so far. */
  private retries = 0;
  /** The current try is a retry. */
  private retrying = false;
  /** The current try is a retry and holds a slot of the cluster's retry budget. */
  private holdsRetrySlot = false;
  private tryTimer: TryTimer | undefined = undefined;
  /** While a retry is scheduled: why the last try failed, and where. */
  private retryKind: LocalReplyKind = 'internal';
  private retryDetail = '';
  private failedHost: Host | undefined = undefined;
  private decoderIndex = 0;
  private encoderIndex = 0;
  private requestHeaders: Map<string, string> | undefined = undefined;
  private responseHeaders: Map<string, string> | undefined = undefined;
  private filterStateMap: Map<string, unknown> | undefined = undefined;
  private done = false;

  constructor(connection: DownstreamConnection, state: ListenerState, request: Message) {
    this.connection = connection;
    this.state = state;
    this.request = request;
    this.message = request;
    this.routeTable = state.routeTable;
    this.upstreamCodec = state.upstreamCodec;
    this.startTime = Date.now();
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
    this.continueDecoding();
  }

  continueDecoding(): void {
    const decoders = this.state.decoders;
    while (!this.done && this.decoderIndex < decoders.length) {
      const filter = decoders[this.decoderIndex++]!;
      if (filter.onRequest(this) === 'stop') return;
    }
    // Only a chain without a router gets here; say so rather than leave the client waiting.
    if (!this.done && this.upstream === undefined && this.host === undefined) {
      this.sendLocalReply('internal', 'aeraki: the filter chain ended without routing the request');
    }
  }

  continueEncoding(): void {
    const encoders = this.state.encoders;
    while (!this.done && this.encoderIndex < encoders.length) {
      const filter = encoders[this.encoderIndex++]!;
      if (filter.onResponse(this) === 'stop') return;
    }
    if (!this.done) this.writeResponse();
  }

  addRequestHeader(key: string, value: string): void {
    (this.requestHeaders ??= new Map()).set(key, value);
  }

  addResponseHeader(key: string, value: string): void {
    (this.responseHeaders ??= new Map()).set(key, value);
  }

  finalRequestMutation(routeMutation: Mutation): Mutation | undefined {
    const added = this.requestHeaders;
    if (added === undefined) return (this.mutation = routeMutation.size === 0 ? undefined : routeMutation);
    for (const [k, v] of routeMutation) added.set(k, v);
    return (this.mutation = added);
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

  forward(cluster: Cluster, host: Host, timeoutMs: number | undefined): void {
    this.cluster = cluster;
    const oneway = this.request.type === 'oneway';
    if (!oneway) {
      const timeout = timeoutMs ?? this.state.resource.requestTimeoutMs;
      if (timeout > 0) this.connection.deadlines.arm(this, timeout);
    }
    this.sendTry(cluster, host);
    // A one-way request is finished once handed over: nothing will come back.
    if (oneway) this.finish();
  }

  /** One try: to `host`, under the per-try timeout when the route has one. */
  private sendTry(cluster: Cluster, host: Host): void {
    this.host = host;
    this.upstreamHost = host.key;
    this.upstreamLabels = host.labels;
    if (this.request.type !== 'oneway') {
      host.activeRequests++;
      const perTry = this.route?.retryPolicy.perTryTimeoutMs ?? 0;
      if (perTry > 0) this.connection.deadlines.arm((this.tryTimer ??= new TryTimer(this)), perTry);
    }
    cluster.pool(host, this.upstreamCodec, this.multiplexing).send(this);
  }

  onUpstreamResponse(response: Message): void {
    if (this.done) return;
    if (this.retrying) this.cluster!.stats.rqRetrySuccess++;
    this.releaseHost();
    this.response = response;
    this.encoderIndex = 0;
    this.continueEncoding();
  }

  onUpstreamFailure(kind: LocalReplyKind, detail: string, responseStarted: boolean): void {
    if (this.done) return;
    const failed = this.host;
    this.releaseHost();
    if (this.scheduleRetry(kind, responseStarted, detail, failed)) return;
    this.sendLocalReply(kind, `aeraki: ${detail} (cluster '${this.clusterName}')`);
  }

  onTryTimeout(): void {
    if (this.done) return;
    const upstream = this.upstream;
    const responseStarted = upstream !== undefined && upstream.responseInProgress;
    // A try that timed out counts against its host's health, as a route timeout does.
    if (upstream !== undefined) upstream.timeOut(this);
    const failed = this.host;
    this.releaseHost();
    const detail = `no response from ${failed?.key ?? 'the upstream'} within the per-try timeout of ${this.route?.retryPolicy.perTryTimeoutMs ?? 0} ms`;
    if (this.scheduleRetry('timeout', responseStarted, detail, failed)) {
      this.message = { ...this.request, bytes: Buffer.from(this.message.bytes) };
      return;
    }
    this.sendLocalReply('timeout', `aeraki: ${detail} (cluster '${this.clusterName}')`);
  }

  /**
   * Schedules a retry if the route's policy takes this failure and attempts are left. The retry runs
   * on the next turn of the event loop, after the failed connection has left its pool.
   */
  private scheduleRetry(
    kind: LocalReplyKind,
    responseStarted: boolean,
    detail: string,
    failed: Host | undefined,
  ): boolean {
    const policy = this.route?.retryPolicy;
    const cluster = this.cluster;
    if (policy === undefined || cluster === undefined || !policy.retriable(kind, responseStarted))
      return false;
    if (this.retries >= policy.attempts) {
      if (policy.attempts > 0) cluster.stats.rqRetryExhausted++;
      return false;
    }
    this.retries++;
    this.retryKind = kind;
    this.retryDetail = detail;
    this.failedHost = failed;
    setImmediate(retryRequest, this);
    return true;
  }

  /** @internal Sends the scheduled retry, if the budget and the cluster's hosts allow. */
  retry(): void {
    if (this.done) return;
    const cluster = this.cluster!;
    const failed = this.failedHost;
    this.failedHost = undefined;
    const budgeted = this.route!.retryPolicy.budgeted;
    if (budgeted && !cluster.retryBudget.tryAcquire(activeRequestsOf(cluster.hosts))) {
      cluster.stats.rqRetryOverflow++;
      this.sendLocalReply(
        this.retryKind,
        `aeraki: ${this.retryDetail} (cluster '${this.clusterName}'; not retried: retry budget spent)`,
      );
      return;
    }
    const host = chooseRetryHost(cluster, this.route?.hashKey(this.request.metadata), failed);
    if (host === undefined) {
      if (budgeted) cluster.retryBudget.release();
      this.sendLocalReply(this.retryKind, `aeraki: ${this.retryDetail} (cluster '${this.clusterName}')`);
      return;
    }
    this.retrying = true;
    this.holdsRetrySlot = budgeted;
    cluster.stats.rqRetry++;
    this.sendTry(cluster, host);
  }

  onDeadline(): void {
    if (this.done) return;
    const upstream = this.upstream;
    if (upstream !== undefined) upstream.timeOut(this);
    this.releaseHost();
    const timeout = this.route?.timeoutMs ?? this.state.resource.requestTimeoutMs;
    this.sendLocalReply(
      'timeout',
      `aeraki: no response from cluster '${this.clusterName}' within ${timeout} ms`,
    );
  }

  sendLocalReply(kind: LocalReplyKind, message: string): void {
    if (this.done) return;
    const upstream = this.upstream;
    if (upstream !== undefined) upstream.cancel(this);
    this.releaseHost();
    this.localReplyKind = kind;
    this.localReplyMessage = message;
    this.connection.stats.localReply[kind]++;
    if (this.request.type !== 'oneway') {
      const bytes = this.connection.codec.encodeLocalReply(this.request, { kind, message });
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
    const upstream = this.upstream;
    if (upstream !== undefined) upstream.cancel(this);
    this.releaseHost();
    this.finish();
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
    const bytes =
      mutation === undefined && response.requestId === requestId
        ? response.bytes
        : this.connection.codec.encode(response, { mutation, requestId });
    this.responseBytes = bytes.length;
    this.connection.write(bytes);
    this.finish();
  }

  /** Ends the current try: the host's load, the retry budget slot, the per-try timer. */
  private releaseHost(): void {
    const host = this.host;
    if (host !== undefined && this.request.type !== 'oneway') {
      host.activeRequests--;
      this.host = undefined;
    }
    this.retrying = false;
    if (this.holdsRetrySlot) {
      this.holdsRetrySlot = false;
      this.cluster!.retryBudget.release();
    }
    const timer = this.tryTimer;
    if (timer !== undefined && timer.deadlineKey >= 0) this.connection.deadlines.disarm(timer);
  }

  private finish(): void {
    this.done = true;
    if (this.deadlineKey >= 0) this.connection.deadlines.disarm(this);
    this.connection.onRequestFinished(this);
  }
}

function retryRequest(request: ActiveRequest): void {
  request.retry();
}
