import { fileURLToPath } from 'node:url';
import { bindAdmin } from '../net/http-admin.js';
import { WorkerPool } from '../proxy/workers/worker-pool.js';
import { WorkersAdminServer } from '../proxy/workers/workers-admin-server.js';
import type { DataPlane, ProxyRuntimeOptions } from './proxy-runtime.js';
import type { ProxyWorkerSettings } from './workers-option.js';

/** The module every worker process runs: compiled, or the TypeScript source when run through tsx. */
const WORKER_MAIN = fileURLToPath(
  new URL(import.meta.url.endsWith('.ts') ? './proxy-worker.ts' : './proxy-worker.js', import.meta.url),
);

/**
 * The data plane of a proxy with `count` worker processes: this process (the primary) binds the
 * admin API, forks the workers and feeds them; see WorkerPool.
 */
export async function startWorkers(
  options: ProxyRuntimeOptions,
  count: number,
  settings: ProxyWorkerSettings,
): Promise<DataPlane> {
  const pool = new WorkerPool({ count, exec: WORKER_MAIN, settings, logger: options.logger });
  const admin = new WorkersAdminServer(pool);
  // The admin address first: a busy one fails the command before any worker starts.
  const adminPort = await bindAdmin(admin, 'admin API', options.admin.host, options.admin.port);
  try {
    await pool.start();
  } catch (err) {
    await Promise.all([pool.close(0), admin.close()]);
    throw err;
  }
  options.logger.info({ workers: pool.workers().map(w => w.pid) }, 'proxy workers started');
  return {
    apply: snapshot => pool.apply(snapshot),
    rejectedListeners: () => pool.rejectedListeners(),
    settledListeners: () => pool.settledListeners(),
    admin,
    adminPort,
    async close(graceMs) {
      await pool.close(graceMs);
      await admin.close();
    },
  };
}
