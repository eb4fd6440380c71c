import type { LocalReplyKind } from '../../codec/index.js';
import type { FaultErrorKind, FaultResource } from '../../xds/resources.js';
import { FaultSampler } from './fault-sampler.js';

/** The local reply each user-facing error kind is answered with. */
const LOCAL_REPLY_OF: Readonly<Record<FaultErrorKind, LocalReplyKind>> = {
  unavailable: 'no-healthy-upstream',
  'connect-failure': 'connect-failure',
  reset: 'upstream-reset',
  timeout: 'timeout',
  'over-limit': 'over-limit',
  'bad-request': 'bad-request',
  internal: 'internal',
};

/**
 * A route's fault injection, compiled once per route table: which requests are delayed and by how
 * much, which are aborted and with what reply. Sampling is per request and independent: a delayed
 * request may also be aborted once its delay is over (as Envoy's fault filter does). Routes without a
 * fault have no RouteFault at all, so their requests pay one property check.
 */
export class RouteFault {
  /** Delay applied to selected requests; 0 = no delay configured. */
  readonly delayMs: number;
  /** The local reply an aborted request gets; undefined = no abort configured. */
  readonly abortKind: LocalReplyKind | undefined;
  /** Its message, naming the fault so that whoever reads the client's error knows it was injected. */
  readonly abortMessage: string;
  private readonly delaySampler: FaultSampler | undefined;
  private readonly abortSampler: FaultSampler | undefined;

  constructor(routeName: string, resource: FaultResource, random: () => number = Math.random) {
    const { delay, abort } = resource;
    this.delayMs = delay?.fixedDelayMs ?? 0;
    this.delaySampler = delay === undefined ? undefined : new FaultSampler(delay.percent, random);
    this.abortSampler = abort === undefined ? undefined : new FaultSampler(abort.percent, random);
    this.abortKind = abort === undefined ? undefined : LOCAL_REPLY_OF[abort.errorKind];
    this.abortMessage =
      abort?.message ?? `aeraki: fault injected by route '${routeName}': abort (${abort?.errorKind ?? ''})`;
  }

  /** Whether this request is held for {@link delayMs} before it is routed. */
  shouldDelay(): boolean {
    return this.delaySampler !== undefined && this.delayMs > 0 && this.delaySampler.sample();
  }

  /** Whether this request is answered with the abort reply instead of being forwarded. */
  shouldAbort(): boolean {
    return this.abortSampler !== undefined && this.abortSampler.sample();
  }
}
