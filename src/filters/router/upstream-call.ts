import type { LocalReplyKind, Message, Mutation } from '../../codec/index.js';
import type { DeadlineEntry } from '../../net/deadline-timer.js';
import type { Cluster } from '../../upstream/cluster.js';
import type { Host } from '../../upstream/host.js';
import { activeRequestsOf } from '../../upstream/retry-budget.js';
import { chooseRetryHost } from '../../upstream/retry-host.js';
import type { RequestHolder, UpstreamRequest } from '../../upstream/upstream-request.js';
import type { RoutableRequest, UpstreamHandle } from './routable-request.js';
import type { CompiledRoute } from './route-table.js';
import { TryTimer, type TryTimerOwner } from './try-timer.js';

/**
 * The router's side of one forwarded request: its tries, its retries and its timeouts, from the
 * first send until the upstream answers or the request gives up. It is the pool's callback object,
 * the request timeout's timer entry and the request's {@link UpstreamHandle}, so forwarding a request
 * costs one allocation of this class and no closures.
 *
 * Retries resend the same request to the cluster, preferring another host, while the route's attempts
 * (Istio's default policy for a route without one), the cluster's retry budget and the overall
 * timeout allow; a per-try timeout is a second timer entry ({@link TryTimer}), made only for routes
 * that set one.
 */
export class UpstreamCall implements UpstreamRequest, UpstreamHandle, DeadlineEntry, TryTimerOwner {
  /**
   * The message the upstream pool sends: the request itself, or a copy of its bytes after a per-try
   * timeout (the abandoned try's bytes may still sit in a socket queue, and encoding rewrites in place).
   */
  message: Message;
  upstream: RequestHolder | undefined = undefined;
  upstreamId = 0;
  deadline = 0;
  deadlineKey = -1;
  deadlinePrev: DeadlineEntry | null = null;
  deadlineNext: DeadlineEntry | null = null;

  private host: Host | undefined = undefined;
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
  private done = false;

  constructor(
    private readonly req: RoutableRequest,
    private readonly route: CompiledRoute,
    private readonly cluster: Cluster,
    readonly mutation: Mutation | undefined,
  ) {
    this.message = req.request;
  }

  /** Sends the first try to `host`, arming the request timeout; a one-way request is done once sent. */
  start(host: Host): void {
    const req = this.req;
    req.upstreamHandle = this;
    const oneway = this.message.type === 'oneway';
    if (!oneway) {
      const timeout = this.route.timeoutMs ?? req.defaultTimeoutMs;
      if (timeout > 0) req.timers.arm(this, timeout);
    }
    this.sendTry(host);
    // A one-way request is finished once handed over: nothing will come back.
    if (oneway && !this.done) {
      this.end();
      req.complete();
    }
  }

  /** One try: to `host`, under the per-try timeout when the route has one. */
  private sendTry(host: Host): void {
    const req = this.req;
    this.host = host;
    req.upstreamHost = host.key;
    req.upstreamLabels = host.labels;
    if (this.message.type !== 'oneway') {
      host.activeRequests++;
      const perTry = this.route.retryPolicy.perTryTimeoutMs;
      if (perTry > 0) req.timers.arm((this.tryTimer ??= new TryTimer(this)), perTry);
    }
    this.cluster.pool(host, req.upstreamCodec, req.multiplexing).send(this);
  }

  onUpstreamResponse(response: Message): void {
    if (this.done) return;
    if (this.retrying) this.cluster.stats.rqRetrySuccess++;
    this.releaseHost();
    this.end();
    this.req.onUpstreamResponse(response);
  }

  onUpstreamFailure(kind: LocalReplyKind, detail: string, responseStarted: boolean): void {
    if (this.done) return;
    const failed = this.host;
    this.releaseHost();
    if (this.scheduleRetry(kind, responseStarted, detail, failed)) return;
    this.fail(kind, `aeraki: ${detail} (cluster '${this.cluster.name}')`);
  }

  onTryTimeout(): void {
    if (this.done) return;
    const upstream = this.upstream;
    const responseStarted = upstream !== undefined && upstream.responseInProgress;
    // A try that timed out counts against its host's health, as a route timeout does.
    if (upstream !== undefined) upstream.timeOut(this);
    const failed = this.host;
    this.releaseHost();
    const detail = `no response from ${failed?.key ?? 'the upstream'} within the per-try timeout of ${this.route.retryPolicy.perTryTimeoutMs} ms`;
    if (this.scheduleRetry('timeout', responseStarted, detail, failed)) {
      this.message = { ...this.message, bytes: Buffer.from(this.message.bytes) };
      return;
    }
    this.fail('timeout', `aeraki: ${detail} (cluster '${this.cluster.name}')`);
  }

  /** The request timeout passed. */
  onDeadline(): void {
    if (this.done) return;
    const upstream = this.upstream;
    if (upstream !== undefined) upstream.timeOut(this);
    this.releaseHost();
    const timeout = this.route.timeoutMs ?? this.req.defaultTimeoutMs;
    this.fail('timeout', `aeraki: no response from cluster '${this.cluster.name}' within ${timeout} ms`);
  }

  cancel(): void {
    if (this.done) return;
    const upstream = this.upstream;
    if (upstream !== undefined) upstream.cancel(this);
    this.releaseHost();
    this.end();
  }

  readDisable(disable: boolean): void {
    this.upstream?.readDisable?.(disable);
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
    const policy = this.route.retryPolicy;
    if (!policy.retriable(kind, responseStarted)) return false;
    if (this.retries >= policy.attempts) {
      if (policy.attempts > 0) this.cluster.stats.rqRetryExhausted++;
      return false;
    }
    this.retries++;
    this.retryKind = kind;
    this.retryDetail = detail;
    this.failedHost = failed;
    setImmediate(retryCall, this);
    return true;
  }

  /** @internal Sends the scheduled retry, if the budget and the cluster's hosts allow. */
  retry(): void {
    if (this.done) return;
    const cluster = this.cluster;
    const failed = this.failedHost;
    this.failedHost = undefined;
    const budgeted = this.route.retryPolicy.budgeted;
    if (budgeted && !cluster.retryBudget.tryAcquire(activeRequestsOf(cluster.hosts))) {
      cluster.stats.rqRetryOverflow++;
      this.fail(
        this.retryKind,
        `aeraki: ${this.retryDetail} (cluster '${cluster.name}'; not retried: retry budget spent)`,
      );
      return;
    }
    const host = chooseRetryHost(cluster, this.route.hashKey(this.req.request.metadata), failed);
    if (host === undefined) {
      if (budgeted) cluster.retryBudget.release();
      this.fail(this.retryKind, `aeraki: ${this.retryDetail} (cluster '${cluster.name}')`);
      return;
    }
    this.retrying = true;
    this.holdsRetrySlot = budgeted;
    cluster.stats.rqRetry++;
    this.sendTry(host);
  }

  /** @internal The scheduled retry threw (a codec's encode, say): only this request pays. */
  retryFailed(err: unknown): void {
    if (this.done) return;
    this.cancel();
    this.req.failInternal('aeraki.meta_protocol.filters.router', err);
  }

  /** Gives up: the request gets the local reply. */
  private fail(kind: LocalReplyKind, message: string): void {
    this.end();
    this.req.sendLocalReply(kind, message);
  }

  /** The upstream side is over: the request timeout is disarmed and the request forgets this call. */
  private end(): void {
    this.done = true;
    if (this.deadlineKey >= 0) this.req.timers.disarm(this);
    if (this.req.upstreamHandle === this) this.req.upstreamHandle = undefined;
  }

  /** Ends the current try: the host's load, the retry budget slot, the per-try timer. */
  private releaseHost(): void {
    const host = this.host;
    if (host !== undefined && this.message.type !== 'oneway') {
      host.activeRequests--;
      this.host = undefined;
    }
    this.retrying = false;
    if (this.holdsRetrySlot) {
      this.holdsRetrySlot = false;
      this.cluster.retryBudget.release();
    }
    const timer = this.tryTimer;
    if (timer !== undefined && timer.deadlineKey >= 0) this.req.timers.disarm(timer);
  }
}

function retryCall(call: UpstreamCall): void {
  // Outside any caller's error boundary: a throw here would end the process.
  try {
    call.retry();
  } catch (err) {
    call.retryFailed(err);
  }
}
