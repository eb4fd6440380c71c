/**
 * One version of a Redis listener's config, compiled: its prefix router, faults, auth and the options
 * its commands are sent with. A listener swaps the whole state when its config changes; a command
 * keeps the state it started with.
 */
import type { RedisListenerResource } from '../../xds/redis-resources.js';
import type { SendOptions } from '../upstream/upstream-cluster.js';
import { FaultInjector } from './fault-injector.js';
import { PrefixRouter } from './prefix-router.js';

export class RedisListenerState {
  readonly router: PrefixRouter;
  readonly faults: FaultInjector;
  readonly sendOptions: SendOptions;
  /** Whether clients must AUTH first. */
  readonly authRequired: boolean;

  constructor(readonly resource: RedisListenerResource) {
    this.router = new PrefixRouter(resource.routes, resource.catchAllRoute, resource.caseInsensitive);
    this.faults = new FaultInjector(resource.faults);
    const s = resource.settings;
    this.sendOptions = {
      hashtagging: s.enableHashtagging,
      redirect: s.enableRedirection,
      opTimeoutMs: s.opTimeoutMs,
      readPolicy: s.readPolicy,
      commandStats: s.enableCommandStats,
    };
    this.authRequired = resource.downstreamAuth !== undefined;
  }
}
