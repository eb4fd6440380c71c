import type { OutlierDetectionSettings } from '../xds/resources.js';
import type { ClusterStats } from './cluster-stats.js';
import type { Host } from './host.js';

/**
 * How one request to a host ended, for outlier detection:
 * - `success`: a reply that reports success;
 * - `error`: a reply that reports an error (Thrift exception, Dubbo non-OK status or exception), or one
 *   that could not be decoded — the host answered, but badly;
 * - `gateway-error`: no reply: connect failure or timeout, reset, request timeout after sending.
 */
export type RequestOutcome = 'success' | 'error' | 'gateway-error';

/** Told when hosts are ejected or taken back, so that load balancers stop or resume using them. */
export interface HealthListener {
  onHostHealthChanged(): void;
}

/**
 * Told when this detector ejects a host, so that the other workers of the same proxy eject it too
 * ({@link OutlierDetector.ejectedElsewhere}): a proxy with workers ejects per proxy, not per worker.
 */
export type EjectionListener = (host: Host, untilMs: number, multiplier: number) => void;

/**
 * Outlier detection for one cluster, as Envoy's consecutive-errors detectors work: every outcome moves
 * its host's counters; a host reaching a threshold is ejected for `baseEjectionMs` × (its ejections so
 * far), up to `maxEjectionMs`, unless that would eject more than `maxEjectionPercent` of the cluster
 * (one host may always be ejected). One timer per cluster ticks every `intervalMs`: it takes back hosts
 * whose ejection is over and forgives one past ejection of each host that stayed healthy. The clock is
 * injectable and {@link tick} public, so tests drive time themselves.
 */
export class OutlierDetector {
  private hosts: readonly Host[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** Hosts ejected now, by this detector or by another worker's (for `maxEjectionPercent`). */
  private ejected = 0;
  /** Told of each ejection this detector makes (a worker tells its primary). */
  onEjected: EjectionListener | undefined = undefined;

  constructor(
    private settings: OutlierDetectionSettings,
    private readonly stats: ClusterStats,
    private readonly listener: HealthListener,
    private readonly now: () => number = Date.now,
  ) {}

  get config(): OutlierDetectionSettings {
    return this.settings;
  }

  /** Starts the interval timer (it does not keep the process alive). */
  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(onTick, this.settings.intervalMs, this);
    this.timer.unref();
  }

  /** Stops the timer. */
  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Applies new settings; a running timer is restarted when the interval changed. */
  update(settings: OutlierDetectionSettings): void {
    const restart = this.timer !== undefined && settings.intervalMs !== this.settings.intervalMs;
    this.settings = settings;
    if (restart) {
      this.stop();
      this.start();
    }
  }

  /** Watches `hosts` (the cluster's current endpoints); hosts kept from before keep their state. */
  setHosts(hosts: readonly Host[]): void {
    for (const host of this.hosts) host.detector = undefined;
    this.hosts = hosts;
    let ejected = 0;
    let ejectedHere = 0;
    for (const host of hosts) {
      host.detector = this;
      if (host.ejectedUntil === 0) continue;
      ejected++;
      if (host.ejectedHere) ejectedHere++;
    }
    this.ejected = ejected;
    this.stats.outlierEjectionsActive = ejectedHere;
  }

  /** Stops watching: every host is taken back and forgets its counters. */
  detach(): void {
    this.stop();
    for (const host of this.hosts) {
      host.detector = undefined;
      resetCounters(host);
      host.ejectedUntil = 0;
      host.ejectedHere = false;
      host.ejectionMultiplier = 0;
      host.healthy = true;
    }
    this.hosts = [];
    this.ejected = 0;
    this.stats.outlierEjectionsActive = 0;
  }

  /** Counts one outcome of a request to `host`; may eject it. */
  record(host: Host, outcome: RequestOutcome): void {
    if (outcome === 'success') {
      host.consecutiveErrors = 0;
      host.consecutiveGatewayErrors = 0;
      return;
    }
    if (host.ejectedUntil !== 0) return;
    if (outcome === 'gateway-error') host.consecutiveGatewayErrors++;
    else host.consecutiveGatewayErrors = 0;
    host.consecutiveErrors++;
    const settings = this.settings;
    const gatewayLimit = settings.consecutiveGatewayErrors;
    const errorLimit = settings.consecutiveErrors;
    const byGateway = gatewayLimit > 0 && host.consecutiveGatewayErrors >= gatewayLimit;
    const byErrors = errorLimit > 0 && host.consecutiveErrors >= errorLimit;
    if (!byGateway && !byErrors) return;
    if (!this.eject(host)) return;
    if (byGateway) this.stats.outlierEjectionsConsecutiveGatewayErrors++;
    else this.stats.outlierEjectionsConsecutiveErrors++;
  }

  /** @internal The interval tick: takes back hosts whose ejection is over, forgives healthy ones. */
  tick(): void {
    const now = this.now();
    let changed = false;
    for (const host of this.hosts) {
      if (host.ejectedUntil === 0) {
        if (host.ejectionMultiplier > 0) host.ejectionMultiplier--;
      } else if (now >= host.ejectedUntil) {
        host.ejectedUntil = 0;
        host.healthy = true;
        resetCounters(host);
        this.ejected--;
        if (host.ejectedHere) this.stats.outlierEjectionsActive--;
        host.ejectedHere = false;
        changed = true;
      }
    }
    if (changed) this.listener.onHostHealthChanged();
  }

  /**
   * Another worker of the proxy ejected the host `key` until `untilMs` (the same clock: one machine),
   * its `multiplier`-th ejection in a row: this worker stops using it too, and takes it back at the
   * same moment. Counted in the ejecting worker's stats only, so that the proxy's sum counts it once.
   */
  ejectedElsewhere(key: string, untilMs: number, multiplier: number): void {
    const host = this.hosts.find(h => h.key === key);
    if (host === undefined || untilMs <= this.now()) return;
    host.ejectionMultiplier = Math.max(host.ejectionMultiplier, multiplier);
    resetCounters(host);
    if (host.ejectedUntil !== 0) {
      // Both workers ejected it at about the same time: the later end stands in both.
      host.ejectedUntil = Math.max(host.ejectedUntil, untilMs);
      return;
    }
    host.ejectedUntil = untilMs;
    host.healthy = false;
    this.ejected++;
    this.listener.onHostHealthChanged();
  }

  private eject(host: Host): boolean {
    const settings = this.settings;
    const active = this.ejected;
    if (active > 0 && (active + 1) * 100 > settings.maxEjectionPercent * this.hosts.length) {
      this.stats.outlierEjectionsOverflow++;
      return false;
    }
    const maxMultiplier = Math.ceil(settings.maxEjectionMs / settings.baseEjectionMs);
    host.ejectionMultiplier = Math.min(host.ejectionMultiplier + 1, maxMultiplier);
    const duration = Math.min(settings.baseEjectionMs * host.ejectionMultiplier, settings.maxEjectionMs);
    host.ejectedUntil = this.now() + duration;
    host.ejectedHere = true;
    host.healthy = false;
    host.ejectionsTotal++;
    resetCounters(host);
    this.ejected++;
    this.stats.outlierEjectionsActive++;
    this.stats.outlierEjectionsTotal++;
    this.listener.onHostHealthChanged();
    this.onEjected?.(host, host.ejectedUntil, host.ejectionMultiplier);
    return true;
  }
}

function resetCounters(host: Host): void {
  host.consecutiveErrors = 0;
  host.consecutiveGatewayErrors = 0;
}

function onTick(detector: OutlierDetector): void {
  detector.tick();
}
