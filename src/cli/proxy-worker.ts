/**
 * The program of one worker process of `aeraki proxy --workers N` / `aeraki up --workers N` (forked
 * by WorkerPool): a whole data plane serving every listener, configured by the primary over IPC.
 * Its admin API listens on a loopback port of its own, which only the primary asks. Signals are
 * the primary's to handle (Ctrl-C reaches the whole process group): a worker drains when the
 * primary says so, or when the primary is gone.
 */
import { AdminServer } from '../proxy/admin-server.js';
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
const admin = new AdminServer(proxy);
const adminPort = await admin.listen('127.0.0.1', 0);

// Snapshots apply one after the other, in the order the primary sent them.
let applying: Promise<void> = Promise.resolve();
let draining = false;

async function drain(graceMs: number): Promise<void> {
  if (draining) return;
  draining = true;
  tokenBuckets.refuseAll();
  await Promise.all([built.close(graceMs), admin.close()]);
  process.exit(0);
}

process.on('message', (message: PrimaryMessage) => {
  switch (message.type) {
    case 'apply':
      applying = applying.then(async () => {
        try {
          const { rejected } = await proxy.apply(message.snapshot);
          const settled = [
            ...proxy.listenerMap.keys(),
            ...proxy.redis.listenerMap.keys(),
            ...rejected.map(r => r.name),
          ];
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
    case 'drain':
      void drain(message.graceMs);
      return;
  }
});
process.on('disconnect', () => {
  logger.warn('the proxy primary is gone; draining');
  void drain(DRAIN_MS);
});
send({ type: 'ready', adminPort });
