/**
 * The program of one worker process of `aeraki proxy --workers N` / `aeraki up --workers N` (forked
 * by WorkerPool): a whole data plane serving every listener, configured by the primary over IPC.
 * Its admin API listens on a loopback port of its own, which only the primary asks. Signals are
 * the primary's to handle (Ctrl-C reaches the whole process group): a worker drains when the
 * primary says so, or when the primary is gone.
 */
import { AdminServer } from '../proxy/admin-server.js';
import { WorkerBindProbes } from '../proxy/workers/bind-probe.js';
import { WorkerClusterPeers } from '../proxy/workers/shared-cluster-limits.js';
import { WorkerTokenBuckets } from '../proxy/workers/shared-token-buckets.js';
import {
  WORKER_SETTINGS_ENV,
  type PrimaryMessage,
  type WorkerMessage,
} from '../proxy/workers/worker-messages.js';
import { limitOptions } from './limit-options.js';
import { createLogger } from './logger.js';
import { buildProxy } from './build-proxy.js';
import { DRAIN_MS } from './signals.js';
import { telemetryOptions } from './telemetry-options.js';
import type { ProxyWorkerSettings } from './workers-option.js';

interface WorkerEnv {
  readonly index: number;
  readonly settings: ProxyWorkerSettings;
}

const { index, settings } = JSON.parse(process.env[WORKER_SETTINGS_ENV] ?? '{}') as WorkerEnv;
// Its own children (none today) must not take it for theirs.
delete process.env[WORKER_SETTINGS_ENV];
const values = settings.values;
const logger = createLogger(values['log-level']).child({ worker: index });
const send = (message: WorkerMessage): void => {
  process.send?.(message);
};

process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});

// The plugin loader only when there are plugins (the primary has already checked that they load).
const plugins =
  values.plugin === undefined || values.plugin.length === 0
    ? undefined
    : await (await import('./plugin-options.js')).loadCliCodecs(values.plugin);
const tokenBuckets = new WorkerTokenBuckets(send);
const built = await buildProxy(
  {
    logger,
    telemetry: telemetryOptions(values),
    limits: limitOptions(values),
    ...(plugins === undefined ? {} : { codecs: plugins.codecs, filters: plugins.filters }),
  },
  scope => tokenBuckets.storeFor(scope),
);
const proxy = built.proxy;
// Circuit-breaker limits and outlier ejections hold for the whole proxy, not for this worker alone.
const peers = new WorkerClusterPeers(send, {
  hostEjectedElsewhere: (name, host, untilMs, multiplier) =>
    proxy.clusters.get(name)?.hostEjectedElsewhere(host, untilMs, multiplier),
});
proxy.clusters.setPeers(peers);
// A failed bind is retried only when the primary says the address can be had (see bind-probe.ts).
const bindProbes = new WorkerBindProbes(send);
proxy.bindRetryGate = listener => bindProbes.gate(listener);
const admin = new AdminServer(proxy);
const adminPort = await admin.listen('127.0.0.1', 0);

// Snapshots apply one after the other, in the order the primary sent them.
let applying: Promise<void> = Promise.resolve();
let draining = false;

/**
 * While some listener is rejected, its state can change without a new snapshot (a busy address is
 * retried with backoff and binds once free): the primary is told within RECHECK_MS, so that `/xds`
 * and `aeraki status` name only the listeners rejected now.
 */
const RECHECK_MS = 200;
let appliedSeq = 0;
let reported = '';
const recheck = setInterval(() => {
  const rejected = proxy.rejectedListeners();
  const now = JSON.stringify(rejected.map(r => [r.name, r.code, r.reason]));
  if (now === reported) return;
  reported = now;
  send({ type: 'listeners', seq: appliedSeq, rejected });
}, RECHECK_MS);
recheck.unref();

async function drain(graceMs: number): Promise<void> {
  if (draining) return;
  draining = true;
  clearInterval(recheck);
  peers.close();
  tokenBuckets.refuseAll();
  await Promise.all([built.close(graceMs), admin.close()]);
  process.exit(0);
}

process.on('message', (message: PrimaryMessage) => {
  switch (message.type) {
    case 'apply':
      // The parts at once, in the order the primary sent them and its grants: clusters the snapshot
      // creates compare with them from their first request.
      peers.update(message.shares);
      applying = applying.then(async () => {
        try {
          const { rejected } = await proxy.apply(message.snapshot);
          const settled = [
            ...proxy.listenerMap.keys(),
            ...proxy.redis.listenerMap.keys(),
            ...rejected.map(r => r.name),
          ];
          appliedSeq = message.seq;
          reported = JSON.stringify(rejected.map(r => [r.name, r.code, r.reason]));
          send({ type: 'applied', seq: message.seq, settled, rejected });
        } catch (err) {
          logger.error({ err }, 'config not applied');
          send({ type: 'applied', seq: message.seq, settled: [], rejected: [], error: String(err) });
        }
      });
      return;
    case 'token':
      tokenBuckets.decided(message);
      return;
    case 'probed':
      bindProbes.answered(message);
      return;
    case 'drain':
      void drain(message.graceMs);
      return;
    default:
      peers.onMessage(message);
  }
});
process.on('disconnect', () => {
  logger.warn('the proxy primary is gone; draining');
  void drain(DRAIN_MS);
});
send({ type: 'ready', adminPort });
