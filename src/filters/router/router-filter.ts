import type { LocalReplyKind, Message, Mutation } from '../../codec/index.js';
import type { ClusterManager } from '../../upstream/cluster-manager.js';
import type { Cluster } from '../../upstream/cluster.js';
import type { Host } from '../../upstream/host.js';
import type { RequestHolder, UpstreamRequest } from '../../upstream/upstream-request.js';
import type { DecoderFilter, FilterStatus, RequestContext } from '../filter.js';
import type { RoutableRequest } from './routable-request.js';
import type { CompiledRoute } from './route-table.js';
import { UpstreamCall } from './upstream-call.js';

export type { RoutableRequest, UpstreamHandle } from './routable-request.js';

export const ROUTER_FILTER_NAME = 'aeraki.meta_protocol.filters.router';

/**
 * The terminal decoder filter: matches the request against the captured route table (first match
 * wins), injects the route's fault if it has one (a delay, then possibly an abort), picks a cluster
 * (weighted), a host (load balancer, consistent hash on the route's hash policy), mirrors a copy where
 * the route asks, and forwards the request through an {@link UpstreamCall}, which owns the tries,
 * retries and timeouts. It returns `stop`: the upstream side then has the request until its response
 * or failure. The router keeps no per-request state of its own beyond that call, so it is a filter
 * among filters: one instance serves every listener.
 *
 * Fault injection is a step of the router rather than a filter of its own because it is per route:
 * the route is matched once, and a delayed request resumes on that same route when its delay is over.
 */
export class RouterFilter implements DecoderFilter {
  readonly name = ROUTER_FILTER_NAME;

  constructor(private readonly clusters: ClusterManager) {}

  onRequest(ctx: RequestContext): FilterStatus {
    const req = ctx as RoutableRequest;
    const message = req.request;
    const table = req.routeTable;
    const route = table?.match(message.metadata);
    if (route === undefined) {
      req.sendLocalReply(
        'no-route',
        `aeraki: no route matches ${describe(message)} in route table '${table?.name ?? '(none)'}'`,
      );
      return 'stop';
    }
    req.route = route;
    const fault = route.fault;
    if (fault !== undefined) {
      if (fault.shouldDelay()) {
        req.countFault('delay');
        // One timer per delayed request, none for the others; the request is its argument, not a closure.
        setTimeout(resumeAfterDelay, fault.delayMs, this, req);
        return 'stop';
      }
      if (fault.shouldAbort()) {
        abort(req, fault.abortKind!, fault.abortMessage);
        return 'stop';
      }
    }
    this.routeTo(req, route);
    return 'stop';
  }

  /** @internal The delay of a request is over: abort it if the fault says so, else route it. */
  afterDelay(req: RoutableRequest): void {
    const route = req.route;
    if (req.finished || route === undefined) return;
    const fault = route.fault;
    if (fault !== undefined && fault.shouldAbort()) {
      abort(req, fault.abortKind!, fault.abortMessage);
      return;
    }
    this.routeTo(req, route);
  }

  private routeTo(req: RoutableRequest, route: CompiledRoute): void {
    const message = req.request;
    const clusterName = route.pickCluster();
    const cluster = clusterName === undefined ? undefined : this.clusters.get(clusterName);
    if (cluster === undefined) {
      req.sendLocalReply(
        'no-cluster',
        `aeraki: route '${route.name}' sends ${describe(message)} to unknown cluster '${clusterName ?? '(none)'}'`,
      );
      return;
    }
    req.clusterName = cluster.name;
    const host = cluster.chooseHost(route.hashKey(message.metadata));
    if (host === undefined) {
      req.sendLocalReply(
        'no-healthy-upstream',
        `aeraki: cluster '${cluster.name}' has ${noHostReason(cluster)}`,
      );
      return;
    }
    const mutation = req.finalRequestMutation(route.requestMutation);
    if (route.mirrors.length > 0) this.mirror(req, route, mutation);
    new UpstreamCall(req, route, cluster, mutation).start(host);
  }

  /**
   * Sends a copy of the request to each mirror cluster chosen by its percentage. The copy is taken
   * before the primary is encoded, since encoding may rewrite the original bytes in place. Replies
   * are discarded: the client only ever sees the primary's.
   */
  private mirror(req: RoutableRequest, route: CompiledRoute, mutation: Mutation | undefined): void {
    for (const policy of route.mirrors) {
      if (policy.percent < 100 && Math.random() * 100 >= policy.percent) continue;
      const cluster = this.clusters.get(policy.cluster);
      if (cluster === undefined) continue;
      const host = cluster.chooseHost(route.hashKey(req.request.metadata));
      if (host === undefined) continue;
      const copy = new MirrorRequest(req.request, mutation, host);
      // One-way copies get no callback, so only two-way ones count as load.
      if (copy.message.type !== 'oneway') host.activeRequests++;
      cluster.pool(host, req.upstreamCodec, req.multiplexing).send(copy);
    }
  }
}

/** A fire-and-forget copy of a request; its outcome only updates the host's load. */
class MirrorRequest implements UpstreamRequest {
  readonly message: Message;
  upstream: RequestHolder | undefined = undefined;
  upstreamId = 0;

  constructor(
    original: Message,
    readonly mutation: Mutation | undefined,
    private readonly host: Host,
  ) {
    this.message = { ...original, bytes: Buffer.from(original.bytes) };
  }

  onUpstreamResponse(): void {
    this.host.activeRequests--;
  }

  onUpstreamFailure(): void {
    this.host.activeRequests--;
  }
}

function resumeAfterDelay(router: RouterFilter, req: RoutableRequest): void {
  // Outside any caller's error boundary: a throw here would end the process.
  try {
    router.afterDelay(req);
  } catch (err) {
    req.failInternal(ROUTER_FILTER_NAME, err);
  }
}

function abort(req: RoutableRequest, kind: LocalReplyKind, message: string): void {
  req.countFault('abort');
  req.sendLocalReply(kind, message);
}

/** Why a cluster gave no host: it has none, or outlier detection ejected them all. */
function noHostReason(cluster: Cluster): string {
  const n = cluster.hosts.length;
  return n === 0 ? 'no endpoint' : `no healthy endpoint (outlier detection ejected all ${n})`;
}

/** `'Service/method'` (the operation, which names the service too), else `method 'sayHello'`. */
function describe(message: Message): string {
  if (message.operation !== '' && message.operation.includes('/')) return `'${message.operation}'`;
  const method = message.metadata.get('method');
  return method !== undefined ? `method '${method}'` : 'the request';
}
