/**
 * Reads the proxy's admin API of a running `aeraki up` (its address is in the "ready" log line):
 * listener and cluster counters, for tests that check what the proxy counted.
 */
import type { AerakiProcess } from './aeraki-process.js';

/** `GET <path>` on the admin API of `aeraki`, parsed as JSON. */
export async function adminGet<T>(aeraki: AerakiProcess, path: string): Promise<T> {
  const ready = aeraki.logs.find(l => l.msg === 'ready');
  const admin = ready?.['admin'];
  if (typeof admin !== 'string') throw new Error('aeraki logged no admin address');
  const response = await fetch(`http://${admin}${path}`);
  if (!response.ok) throw new Error(`GET ${path}: HTTP ${response.status}`);
  return (await response.json()) as T;
}

/** The counters of the listener on `address:port`. */
export async function listenerStats(
  aeraki: AerakiProcess,
  address: string,
  port: number,
): Promise<Record<string, unknown>> {
  const listeners = await adminGet<Array<{ name: string; stats: Record<string, unknown> }>>(
    aeraki,
    '/listeners',
  );
  const found = listeners.find(l => l.name === `${address}_${port}`);
  if (found === undefined) throw new Error(`no listener ${address}_${port}`);
  return found.stats;
}

/** The counters of cluster `name`. */
export async function clusterStats(aeraki: AerakiProcess, name: string): Promise<Record<string, number>> {
  const clusters = await adminGet<Array<{ name: string; stats: Record<string, number> }>>(
    aeraki,
    '/clusters',
  );
  const found = clusters.find(c => c.name === name);
  if (found === undefined) throw new Error(`no cluster ${name}`);
  return found.stats;
}
