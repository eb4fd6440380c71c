import type { LocalReplyKind, Message, Mutation } from '../../codec/index.js';
import type { ClusterManager } from '../../upstream/cluster-manager.js';
import type { Cluster } from '../../upstream/cluster.js';
import type { UpstreamCodec } from '../../upstream/upstream-codec.js';
import type { Host } from '../../upstream/host.js';
import type { RequestHolder, UpstreamRequest } from '../../upstream/upstream-request.js';
import type { DecoderFilter, FilterStatus, RequestContext } from '../filter.js';
import type { CompiledRoute, RouteTable } from './route-table.js';

export const ROUTER_FILTER_NAME = 'aeraki.meta_protocol.filters.router';

/**
 * What the router needs from a request beyond {@link RequestContext}: the route table captured when
 * the request started, how to reach upstreams, and a place to record its decision.
 */
export interface RoutableRequest extends RequestContext, UpstreamRequest {
  /** The route table in force when the request was decoded; later updates do not affect it. */
  readonly routeTable: RouteTable | undefined;
  /** The protocol's codec and the listener's settings for it, used to open upstream connections. */
  readonly upstreamCodec: UpstreamCodec;
  /** Whether upstream connections may be shared (multiplexed pools). */
  readonly multiplexing: boolean;
  /** The route chosen, once routed. */
  route: CompiledRoute | undefined;
  /** The cluster and host chosen, once routed. */
  clusterName: string;
  /**
   * Merges the route's request mutation over the headers filters added, and returns what the codec
   * must write (undefined when nothing).
   */
  finalRequestMutation(routeMutation: Mutation): Mutation | undefined;
  /**
   * Hands the request to `cluster`'s pool for `host`, arming the request timeout; failed tries are
   * retried as the route's retry policy allows.
   */
  forward(cluster: Cluster, host: Host, timeoutMs: number | undefined): void;
  /** Whether the request has ended (answered, failed, or abandoned by its client). */
  readonly finished: boolean;
  /** Counts an injected fault in the listener's stats. */
  countFault(kind: 'delay' | 'abort'): void;
}

/**
 * The terminal decoder filter: matches the request against the captured route table (first match
 * wins), injects the route's fault if it has one (a delay, then possibly an abort), picks a cluster
 * (weighted), a host (load balancer, consistent hash on the route's hash policy), mirrors a copy where
 * the route asks, and forwards the request. It returns `stop`: the request is then owned by the
 * upstream until its response or failure.
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
    req.forward(cluster, host, route.timeoutMs);
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
  router.afterDelay(req);
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
