import type { Cluster } from './cluster.js';
import type { Host } from './host.js';

/** Balancer picks tried before falling back to the next host in the list. */
const RESELECT_ATTEMPTS = 3;

/**
 * The host for a retry: the load balancer's choice, but not `failed` when the cluster has other hosts
 * (Envoy's `previous_hosts` predicate). A hashing balancer keeps choosing the same host for a key, so
 * after a few picks the next healthy host in the list is taken instead.
 */
export function chooseRetryHost(
  cluster: Cluster,
  hashKey: number | undefined,
  failed: Host | undefined,
): Host | undefined {
  const hosts = cluster.hosts;
  if (failed === undefined || hosts.length < 2) return cluster.chooseHost(hashKey);
  for (let i = 0; i < RESELECT_ATTEMPTS; i++) {
    const host = cluster.chooseHost(hashKey);
    if (host !== undefined && host !== failed) return host;
  }
  const start = hosts.indexOf(failed);
  let fallback: Host | undefined;
  for (let i = 1; i < hosts.length; i++) {
    const host = hosts[(start + i) % hosts.length]!;
    if (host === failed) continue;
    if (host.healthy) return host;
    fallback ??= host;
  }
  return fallback;
}
