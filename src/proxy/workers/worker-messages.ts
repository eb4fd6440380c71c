/**
 * The messages a proxy's primary process and its workers exchange over the cluster IPC channel
 * (Node's `advanced` serialization: structured clone, so snapshots travel as they are).
 */
import type { TokenBucketConfig } from '../../filters/local-ratelimit/token-bucket-store.js';
import type { BreakerLimit } from '../../upstream/circuit-breaker.js';
import type { ProxySnapshot } from '../../xds/resources.js';
import type { ListenerRejection } from '../proxy.js';

/** Primary → worker: run this snapshot (`seq` orders them; the worker answers `applied`). */
export interface ApplyMessage {
  readonly type: 'apply';
  readonly seq: number;
  readonly snapshot: ProxySnapshot;
  /** This worker's share of each cluster's circuit-breaker limits, by cluster name. */
  readonly shares: Readonly<Record<string, ShareGrant>>;
}

/**
 * A worker's share of one cluster's limits. `epoch` is the snapshot in which the cluster's limits
 * were last set: a worker that already holds a share of the same epoch keeps its own (parts may have
 * moved since), messages of another epoch are stale.
 */
export interface ShareGrant {
  readonly epoch: number;
  readonly maxConnections: number;
  readonly maxPendingRequests: number;
  readonly maxRequests: number;
  /** Its even part of each limit (the cluster's limit divided among the workers). */
  readonly even: Readonly<Record<BreakerLimit, number>>;
}

/** Primary → worker: `count` more of `limit` for `cluster` (`answer`: to the worker's `short`). */
export interface GrantMessage {
  readonly type: 'grant';
  readonly cluster: string;
  readonly epoch: number;
  readonly limit: BreakerLimit;
  readonly count: number;
  readonly answer: boolean;
}

/** Primary → worker: give back the part of `limit` for `cluster` that is not in use now. */
export interface ReclaimMessage {
  readonly type: 'reclaim';
  readonly cluster: string;
  readonly epoch: number;
  readonly limit: BreakerLimit;
}

/** Primary → worker: another worker ejected `host` of `cluster` until `untilMs`. */
export interface EjectMessage {
  readonly type: 'eject';
  readonly cluster: string;
  readonly host: string;
  readonly untilMs: number;
  readonly multiplier: number;
}

/** Primary → worker: drain every listener for up to `graceMs`, then exit. */
export interface DrainMessage {
  readonly type: 'drain';
  readonly graceMs: number;
}

/** Primary → worker: the answer to a {@link TakeTokenMessage}. */
export interface TokenGrantMessage {
  readonly type: 'token';
  readonly id: number;
  readonly granted: boolean;
}

/** Primary → worker: the answer to a {@link ProbeMessage}: `error` (e.g. `EADDRINUSE`) when taken. */
export interface ProbedMessage {
  readonly type: 'probed';
  readonly id: number;
  readonly error?: string;
}

export type PrimaryMessage =
  | ApplyMessage
  | DrainMessage
  | TokenGrantMessage
  | GrantMessage
  | ReclaimMessage
  | EjectMessage
  | ProbedMessage;

/** Worker → primary: started; its own admin API (loopback, ephemeral port) answers on `adminPort`. */
export interface ReadyMessage {
  readonly type: 'ready';
  readonly adminPort: number;
}

/** Worker → primary: snapshot `seq` is in force. */
export interface AppliedMessage {
  readonly type: 'applied';
  readonly seq: number;
  /** Listeners bound, or rejected (then also in `rejected`), by name. */
  readonly settled: readonly string[];
  readonly rejected: readonly ListenerRejection[];
  /** Set when the snapshot could not be applied at all. */
  readonly error?: string;
}

/**
 * Worker → primary: take one token from bucket `index` of the local rate limit `scope` (listener
 * name and config), whose buckets are `buckets`; the primary holds the buckets of the whole proxy.
 */
export interface TakeTokenMessage {
  readonly type: 'take';
  readonly id: number;
  readonly scope: string;
  readonly buckets: readonly TokenBucketConfig[];
  readonly index: number;
  readonly now: number;
}

/**
 * Worker → primary: the listeners of snapshot `seq` changed since the worker said `applied` (a
 * listener whose address was busy is bound now, or failed again for another reason).
 */
export interface ListenersMessage {
  readonly type: 'listeners';
  readonly seq: number;
  readonly rejected: readonly ListenerRejection[];
}

/** Worker → primary: this worker's share of `limit` for `cluster` is in use; it wants more. */
export interface ShortMessage {
  readonly type: 'short';
  readonly cluster: string;
  readonly epoch: number;
  readonly limit: BreakerLimit;
}

/**
 * Worker → primary: `count` of this worker's share of `limit` for `cluster` given back (it no
 * longer counts them): asked by a `reclaim`, or unasked when it holds more than its even part and
 * does not use it.
 */
export interface ReleaseMessage {
  readonly type: 'release';
  readonly cluster: string;
  readonly epoch: number;
  readonly limit: BreakerLimit;
  readonly count: number;
}

/** Worker → primary: this worker's outlier detection ejected `host` of `cluster` until `untilMs`. */
export interface EjectedMessage {
  readonly type: 'ejected';
  readonly cluster: string;
  readonly host: string;
  readonly untilMs: number;
  readonly multiplier: number;
}

/**
 * Worker → primary: may a listener whose bind failed try `address:port` again? Yes when another
 * worker serves it (the worker joins the primary's socket) or the primary can bind it now.
 */
export interface ProbeMessage {
  readonly type: 'probe';
  readonly id: number;
  readonly address: string;
  readonly port: number;
}

export type WorkerMessage =
  | ProbeMessage
  | ReadyMessage
  | AppliedMessage
  | TakeTokenMessage
  | ListenersMessage
  | ShortMessage
  | ReleaseMessage
  | EjectedMessage;

/** The environment variable that carries a worker's settings (JSON) from the primary. */
export const WORKER_SETTINGS_ENV = 'AERAKI_WORKER_SETTINGS';
