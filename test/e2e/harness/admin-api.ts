/**
 * Reads the proxy's admin API of a running `aeraki up` (its address is in the `ready` log line), as an
 * operator would with curl: `/clusters` for endpoints, ejections and counters, `/listeners` for the
 * listeners' counters.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { runAeraki, type AerakiProcess } from './aeraki-process.js';
import { canConnect } from './net-utils.js';

/** One endpoint as `/clusters` shows it. */
export interface AdminHost {
  readonly address: string;
  readonly healthy: boolean;
  readonly activeRequests: number;
  readonly ejected: boolean;
  /** ISO time the ejection ends, while ejected. */
  readonly ejectedUntil?: string;
  readonly ejections: number;
  readonly consecutiveErrors: number;
  readonly consecutiveGatewayErrors: number;
}

/** One cluster as `/clusters` shows it. */
export interface AdminCluster {
  readonly name: string;
  readonly lbPolicy: string;
  readonly circuitBreakers?: Readonly<Record<string, number>>;
  readonly outlierDetection?: Readonly<Record<string, number>>;
  readonly hosts: readonly AdminHost[];
  readonly stats: Readonly<Record<string, number>>;
}

/**
 * `host:port` of the proxy's admin API (`admin`), or of the control plane's (`controlPlaneAdmin`,
 * `aeraki up`), from the process's `ready` log line.
 */
export function adminAddress(aeraki: AerakiProcess, field: 'admin' | 'controlPlaneAdmin' = 'admin'): string {
  const ready = aeraki.logs.find(l => l.msg === 'ready');
  const admin = ready?.[field];
  // `aeraki proxy` logs the port alone; the tests start it with `--admin 127.0.0.1:0`.
  if (typeof admin === 'number') return `127.0.0.1:${admin}`;
  if (typeof admin !== 'string')
    throw new Error(`no ${field} address in the ready log\n${aeraki.outputTail()}`);
  return admin;
}

/** Every cluster of the proxy. */
export async function adminClusters(aeraki: AerakiProcess): Promise<AdminCluster[]> {
  const response = await fetch(`http://${adminAddress(aeraki)}/clusters`);
  return (await response.json()) as AdminCluster[];
}

/** `GET <path>` on the admin API of `aeraki`, parsed as JSON. */
export async function adminGet<T>(aeraki: AerakiProcess, path: string): Promise<T> {
  const response = await fetch(`http://${adminAddress(aeraki)}${path}`);
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
export async function clusterStats(
  aeraki: AerakiProcess,
  name: string,
): Promise<Readonly<Record<string, number>>> {
  return (await adminCluster(aeraki, name)).stats;
}

/** The cluster named `name`; throws if the proxy has none. */
export async function adminCluster(aeraki: AerakiProcess, name: string): Promise<AdminCluster> {
  const cluster = (await adminClusters(aeraki)).find(c => c.name === name);
  if (cluster === undefined) throw new Error(`the proxy has no cluster ${name}`);
  return cluster;
}

/** The listeners a proxy names as rejected, as `aeraki status --json` reports them. */
export interface StatusView {
  readonly rejectedListeners: ReadonlyArray<{
    readonly name: string;
    readonly code: string;
    readonly reason: string;
    readonly serving: string;
  }>;
}

/** `aeraki status --proxy <admin> --json`, as an operator's script would run it. */
export async function proxyStatus(admin: string): Promise<StatusView> {
  const result = await runAeraki(['status', '--proxy', admin, '--json']);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as StatusView;
}

/**
 * Waits until a listener whose address was taken has bound: `host:port` accepts connections and the
 * proxy names no listener as rejected any more (`aeraki status --proxy`); fails after 15 s with the
 * rejections still reported and the proxy's last output.
 */
export async function untilListenerBound(aeraki: AerakiProcess, host: string, port: number): Promise<void> {
  const admin = adminAddress(aeraki);
  const freed = Date.now();
  while (!(await canConnect(host, port)) || (await proxyStatus(admin)).rejectedListeners.length > 0) {
    if (Date.now() - freed > 15_000) {
      throw new Error(
        `the listener on ${host}:${port} did not bind; rejected: ${JSON.stringify((await proxyStatus(admin)).rejectedListeners)}\n${aeraki.outputTail()}`,
      );
    }
    await sleep(100);
  }
}
