import type { Message, Mutation } from '../../codec/index.js';
import type { DeadlineTimer } from '../../net/deadline-timer.js';
import type { UpstreamCodec } from '../../upstream/upstream-codec.js';
import type { RequestContext } from '../filter.js';
import type { CompiledRoute, RouteTable } from './route-table.js';

/**
 * What a terminal filter (the router) leaves on a request it handed to an upstream, so that the
 * request can stop it: the request owns the downstream side, the router owns the upstream side.
 */
export interface UpstreamHandle {
  /**
   * The request ended otherwise (a local reply, its client went away): stop waiting for the
   * upstream and give back what the upstream side holds (the host's load, a retry budget slot,
   * timers). Called at most once; the handle is detached first.
   */
  cancel(): void;
  /**
   * The request's client stops (true) or resumes (false) taking replies: an upstream connection
   * that carries only this request stops reading until then (Envoy's `readDisable`).
   */
  readDisable(disable: boolean): void;
}

/**
 * What the router needs from a request beyond {@link RequestContext}: the route table captured when
 * the request started, how to reach upstreams, where to record its decisions (the request's record,
 * read by metrics, access logs and traces), and how to hand the upstream's answer back.
 */
export interface RoutableRequest extends RequestContext {
  /** The route table in force when the request was decoded; later updates do not affect it. */
  readonly routeTable: RouteTable | undefined;
  /** The protocol's codec and the listener's settings for it, used to open upstream connections. */
  readonly upstreamCodec: UpstreamCodec;
  /** Whether upstream connections may be shared (multiplexed pools). */
  readonly multiplexing: boolean;
  /** The listener's request timeout, for routes that set none; 0 = none. */
  readonly defaultTimeoutMs: number;
  /** The proxy's coarse timer, for request and per-try timeouts. */
  readonly timers: DeadlineTimer;
  /** The route chosen, once routed. */
  route: CompiledRoute | undefined;
  /** The cluster chosen, once routed. */
  clusterName: string;
  /** `address:port` of the endpoint of the current (last) try; '' until then. */
  upstreamHost: string;
  /** That endpoint's labels (version, app, …). */
  upstreamLabels: Readonly<Record<string, string>>;
  /** Set by the router once it hands the request to an upstream; cleared when that side is done. */
  upstreamHandle: UpstreamHandle | undefined;
  /** Whether the request has ended (answered, failed, or abandoned by its client). */
  readonly finished: boolean;
  /**
   * Merges the route's request mutation over the headers filters added, and returns what the codec
   * must write (undefined when nothing).
   */
  finalRequestMutation(routeMutation: Mutation): Mutation | undefined;
  /** Counts an injected fault in the listener's stats. */
  countFault(kind: 'delay' | 'abort'): void;
  /** The upstream answered: the response runs through the encoder filters to the client. */
  onUpstreamResponse(response: Message): void;
  /** A one-way request was handed over: nothing comes back, the request is done. */
  complete(): void;
  /**
   * Code called on the request's behalf outside any filter call (a timer, a callback) threw: the
   * request gets an `internal` local reply, counted and logged with `source` (a filter's name).
   */
  failInternal(source: string, err: unknown): void;
}
