/**
 * The messages a proxy's primary process and its workers exchange over the cluster IPC channel
 * (Node's `advanced` serialization: structured clone, so snapshots travel as they are).
 */
import type { TokenBucketConfig } from '../../filters/local-ratelimit/token-bucket-store.js';
import type { ProxySnapshot } from '../../xds/resources.js';
import type { ListenerRejection } from '../proxy.js';

/** Primary → worker: run this snapshot (`seq` orders them; the worker answers `applied`). */
export interface ApplyMessage {
  readonly type: 'apply';
  readonly seq: number;
  readonly snapshot: ProxySnapshot;
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

export type PrimaryMessage = ApplyMessage | DrainMessage | TokenGrantMessage;

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

export type WorkerMessage = ReadyMessage | AppliedMessage | TakeTokenMessage;

/** The environment variable that carries a worker's settings (JSON) from the primary. */
export const WORKER_SETTINGS_ENV = 'AERAKI_WORKER_SETTINGS';
