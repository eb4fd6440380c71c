/**
 * The control plane's metrics, under Istio's names where Istio has one (istiod's `pilot_*`):
 *
 * - `pilot_xds` (gauge): proxies connected now;
 * - `pilot_xds_pushes{type}`: responses sent, by xDS type (lds, cds, eds, rds);
 * - `pilot_xds_push_time{type}` (seconds): from a response sent to the proxy's ACK or NACK;
 * - `pilot_proxy_convergence_time` (seconds): from a config change published to a proxy's ACK of a
 *   response that carries it;
 * - `pilot_total_xds_rejects{type}`: NACKs;
 * - `aeraki_config_reloads_total{result}`: config loads applied or rejected (errors);
 * - `aeraki_config_errors` (gauge): errors in the last load (0 once a load is applied).
 *
 * Events here are per push, not per request: prom-client's own metrics are cheap enough.
 */
import { Counter, Gauge, Histogram, Registry, collectProcessMetrics } from '../net/prom-client.js';
import { discoveryServiceOf } from '../xds/type-urls.js';
import type { XdsObserver } from './server/xds-status.js';

function typeName(typeUrl: string): string {
  return discoveryServiceOf(typeUrl) ?? typeUrl.slice(typeUrl.lastIndexOf('.') + 1).toLowerCase();
}

/** Istio's buckets for push and convergence times, in seconds. */
const PUSH_BUCKETS_S = [0.01, 0.1, 0.5, 1, 3, 5, 10, 20, 30];

export class ControlPlaneMetrics implements XdsObserver {
  readonly registry = new Registry();
  private readonly pushes: Counter<'type'>;
  private readonly pushTime: Histogram<'type'>;
  private readonly convergence: Histogram;
  private readonly rejects: Counter<'type'>;
  private readonly reloads: Counter<'result'>;
  private readonly configErrors: Gauge;
  private lastPublishedAt = 0;

  /** @param connectedProxies how many proxies have an open stream now, read when scraped */
  constructor(connectedProxies: () => number) {
    const registers = [this.registry];
    new Gauge({
      name: 'pilot_xds',
      help: 'Proxies connected to this control plane over xDS.',
      registers,
      collect() {
        this.set(connectedProxies());
      },
    });
    this.pushes = new Counter({
      name: 'pilot_xds_pushes',
      help: 'xDS responses sent, by type.',
      labelNames: ['type'],
      registers,
    });
    this.pushTime = new Histogram({
      name: 'pilot_xds_push_time',
      help: 'Seconds from an xDS response sent to its ACK or NACK, by type.',
      labelNames: ['type'],
      buckets: PUSH_BUCKETS_S,
      registers,
    });
    this.convergence = new Histogram({
      name: 'pilot_proxy_convergence_time',
      help: "Seconds from a config change published to a proxy's ACK of it.",
      buckets: PUSH_BUCKETS_S,
      registers,
    });
    this.rejects = new Counter({
      name: 'pilot_total_xds_rejects',
      help: 'xDS responses NACKed, by type.',
      labelNames: ['type'],
      registers,
    });
    this.reloads = new Counter({
      name: 'aeraki_config_reloads_total',
      help: 'Config loads, applied or rejected because of errors.',
      labelNames: ['result'],
      registers,
    });
    this.configErrors = new Gauge({
      name: 'aeraki_config_errors',
      help: 'Errors in the last config load.',
      registers,
    });
    collectProcessMetrics(this.registry);
  }

  /** A config load was applied (`errors` 0) or rejected. */
  configLoaded(errors: number): void {
    this.reloads.inc({ result: errors === 0 ? 'applied' : 'rejected' });
    this.configErrors.set(errors);
  }

  /** A new snapshot was handed to the xDS server. */
  published(now = Date.now()): void {
    this.lastPublishedAt = now;
  }

  sent(typeUrl: string): void {
    this.pushes.inc({ type: typeName(typeUrl) });
  }

  answered(typeUrl: string, acked: boolean, sentAt: number, latest: boolean): void {
    const type = typeName(typeUrl);
    if (!acked) this.rejects.inc({ type });
    if (!latest || sentAt === 0) return;
    const now = Date.now();
    this.pushTime.observe({ type }, (now - sentAt) / 1000);
    if (acked && this.lastPublishedAt > 0 && sentAt >= this.lastPublishedAt) {
      this.convergence.observe((now - this.lastPublishedAt) / 1000);
    }
  }
}
