/**
 * The listeners a data plane runs, by name, and those of the config in force that do not run as
 * given: what the MetaProtocol proxy and the Redis proxy share about a listener's life. A listener
 * whose bind fails is rejected alone (its previous version, if any, keeps serving) and retried with
 * backoff until it binds or the config stops naming it; a rejection is logged once per reason.
 */
import type { Logger } from 'pino';
import { AerakiError, ErrorCodes, type ErrorCode } from '../errors.js';
import { RetryBackoff, type BackoffPolicy } from './retry-backoff.js';

/** Where a listener listens: what a rejection reports of it. */
export interface ListenerAddress {
  readonly name: string;
  readonly address: string;
  readonly port: number;
}

/** What the set needs of a listener. */
export interface BindableListener<R extends ListenerAddress> {
  readonly state: { readonly resource: R };
  /** Binds its address; rejects when it cannot. */
  listen(): Promise<void>;
  /** Stops accepting and lets its connections finish for up to `graceMs`. */
  drain(graceMs: number): Promise<void>;
}

/**
 * A listener of the config in force that could not be built or bound, and why. The rest of the
 * config runs regardless (as Envoy does with LDS: the valid listeners are applied, the update is
 * NACKed naming the failed ones).
 */
export interface ListenerRejection {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  /** `AERAKI_ERR_CODEC_UNKNOWN`, `AERAKI_ERR_LISTEN_FAILED` (busy address), `AERAKI_ERR_CONFIG_INVALID`. */
  readonly code: ErrorCode;
  readonly reason: string;
  /** Since when it is rejected for this reason (ISO 8601). */
  readonly since: string;
  /** `previous`: the version of the listener that ran before keeps serving; `none`: nothing listens. */
  readonly serving: 'previous' | 'none';
  /** A bind that failed is retried with backoff: the next attempt (ISO 8601) and the failures so far. */
  readonly retryAt?: string;
  readonly bindFailures?: number;
}

export interface ListenerSetOptions {
  readonly bindRetry: BackoffPolicy;
  /** How long a listener that goes (removed, replaced) lets its connections finish. */
  readonly drainMs: number;
  readonly logger: Logger;
  /** How log lines name a listener of this set: `listener`, `redis listener`. */
  readonly noun: string;
  /** Counts each listener version bound (`created`) and each failed build or bind (`failed`). */
  readonly counters: { onCreated(): void; onFailed(): void };
}

/** A listener waiting for its address: retried with backoff until it binds or is replaced. */
interface PendingBind<L> {
  readonly listener: L;
  /** The version it replaces, serving until it binds. */
  readonly previous: L | undefined;
  readonly backoff: RetryBackoff;
  timer: NodeJS.Timeout | undefined;
  retryAt: number;
  cancelled: boolean;
}

export class ListenerSet<R extends ListenerAddress, L extends BindableListener<R>> {
  private readonly active = new Map<string, L>();
  private readonly rejections = new Map<string, ListenerRejection>();
  private readonly pendingBinds = new Map<string, PendingBind<L>>();
  /**
   * Asked before each retry of a failed bind: rejects (with the reason) while the address is still
   * taken, so that the retry does not try to listen. A worker of a proxy with workers sets it: there
   * every attempt to listen counts in node:cluster's key for the address, and workers whose failed
   * attempts differ in number would never share the primary's socket (see docs/workers.md).
   */
  bindRetryGate: ((resource: R) => Promise<void>) | undefined = undefined;

  constructor(private readonly options: ListenerSetOptions) {}

  /** The listeners bound, by name. */
  get listeners(): ReadonlyMap<string, L> {
    return this.active;
  }

  /** The listener named `name` that waits for its address, if any. */
  pending(name: string): L | undefined {
    return this.pendingBinds.get(name)?.listener;
  }

  /** Listeners of the config in force that do not run as given. */
  rejected(): ListenerRejection[] {
    return [...this.rejections.values()].map(r => {
      const pending = this.pendingBinds.get(r.name);
      return pending === undefined
        ? r
        : { ...r, retryAt: new Date(pending.retryAt).toISOString(), bindFailures: pending.backoff.attempts };
    });
  }

  /**
   * Keeps only the listeners `wanted` names: the others drain, stop waiting for their address and
   * lose their rejection. Run before binding new ones, so that a listener may take over the address
   * of one that goes (as Envoy does).
   */
  retain(wanted: ReadonlyMap<string, unknown>): void {
    for (const [name, listener] of this.active) {
      if (wanted.has(name)) continue;
      this.active.delete(name);
      void listener.drain(this.options.drainMs);
    }
    for (const name of [...this.pendingBinds.keys()]) if (!wanted.has(name)) this.cancelBind(name);
    for (const name of [...this.rejections.keys()]) if (!wanted.has(name)) this.rejections.delete(name);
  }

  /** Takes `name`'s listener out of the set (it keeps running: the caller drains it). */
  remove(name: string): void {
    this.active.delete(name);
  }

  /** `name` runs as given (its update was applied in place). */
  accepted(name: string): void {
    this.cancelBind(name);
    this.rejections.delete(name);
  }

  /**
   * Binds `listener`; on success it replaces `previous` (drained), on failure it is rejected and
   * retried with backoff while `previous` keeps serving. Resolves after the first attempt.
   */
  async bind(name: string, listener: L, previous: L | undefined): Promise<void> {
    this.cancelBind(name);
    try {
      await listener.listen();
    } catch (err) {
      this.reject(listener.state.resource, err, previous !== undefined);
      const pending: PendingBind<L> = {
        listener,
        previous,
        backoff: new RetryBackoff(this.options.bindRetry),
        timer: undefined,
        retryAt: 0,
        cancelled: false,
      };
      this.pendingBinds.set(name, pending);
      this.scheduleBind(name, pending);
      return;
    }
    this.activate(name, listener, previous);
  }

  /** Stops retrying the bind of `name`'s pending listener. */
  cancelBind(name: string): void {
    const pending = this.pendingBinds.get(name);
    if (pending === undefined) return;
    this.pendingBinds.delete(name);
    pending.cancelled = true;
    clearTimeout(pending.timer);
  }

  /**
   * Records that `resource` could not be built or bound; logged only when the reason changed.
   * @param previousServes whether the listener's previous version keeps serving
   */
  reject(resource: R, err: unknown, previousServes: boolean): void {
    this.options.counters.onFailed();
    const reason = err instanceof Error ? err.message : String(err);
    const code = err instanceof AerakiError ? err.code : ErrorCodes.CONFIG_INVALID;
    const earlier = this.rejections.get(resource.name);
    this.rejections.set(resource.name, {
      name: resource.name,
      address: resource.address,
      port: resource.port,
      code,
      reason,
      since: earlier?.reason === reason ? earlier.since : new Date().toISOString(),
      serving: previousServes ? 'previous' : 'none',
    });
    if (earlier?.reason === reason) return;
    const { noun } = this.options;
    this.options.logger.error(
      { listener: resource.name, address: `${resource.address}:${resource.port}`, code, reason },
      previousServes
        ? `${noun} update rejected; its previous version keeps serving`
        : `${noun} rejected; the other listeners are not affected`,
    );
  }

  /** Forgets every listener and drains them all for up to `graceMs`. */
  async close(graceMs: number): Promise<void> {
    for (const name of [...this.pendingBinds.keys()]) this.cancelBind(name);
    this.rejections.clear();
    const listeners = [...this.active.values()];
    this.active.clear();
    await Promise.all(listeners.map(l => l.drain(graceMs)));
  }

  private scheduleBind(name: string, pending: PendingBind<L>): void {
    const delay = pending.backoff.next();
    pending.retryAt = Date.now() + delay;
    pending.timer = setTimeout(() => {
      pending.timer = undefined;
      const gate = this.bindRetryGate;
      const listener = pending.listener;
      (gate === undefined
        ? listener.listen()
        : gate(listener.state.resource).then(() => listener.listen())
      ).then(
        () => {
          if (pending.cancelled) {
            void pending.listener.drain(0);
            return;
          }
          this.pendingBinds.delete(name);
          this.activate(name, pending.listener, pending.previous);
          this.options.logger.info(
            { listener: name, bindFailures: pending.backoff.attempts },
            `${this.options.noun} bound: its address is free now`,
          );
        },
        (err: unknown) => {
          if (pending.cancelled) return;
          // Counted, and logged only when the reason changed.
          this.reject(pending.listener.state.resource, err, pending.previous !== undefined);
          this.scheduleBind(name, pending);
        },
      );
    }, delay);
    pending.timer.unref();
  }

  private activate(name: string, listener: L, previous: L | undefined): void {
    this.options.counters.onCreated();
    this.active.set(name, listener);
    this.rejections.delete(name);
    if (previous !== undefined && previous !== listener) void previous.drain(this.options.drainMs);
  }
}
