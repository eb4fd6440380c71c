/**
 * The pieces of a mesh on the API stand-in: `aeraki control-plane --kubernetes` replicas and proxies
 * connected to them, as child processes.
 */
import { freePort, startAerakiCommand, type AerakiProcess, type Listening } from '../harness/index.js';
import type { TestCluster } from '../../kubernetes-stand-in/index.js';

/** A control plane reading the cluster, with its xDS and admin addresses. */
export interface KubeControlPlane {
  readonly process: AerakiProcess;
  readonly xdsPort: number;
  readonly admin: string;
}

export async function startKubeControlPlane(
  cluster: TestCluster,
  extraArgs: readonly string[] = [],
  readyMsg = 'ready',
): Promise<KubeControlPlane> {
  const xdsPort = await freePort('127.0.0.1');
  const process = await startAerakiCommand(
    [
      'control-plane',
      '--kubernetes',
      '--kubeconfig',
      cluster.kubeconfigPath,
      '--listen',
      `127.0.0.1:${xdsPort}`,
      '--admin',
      '127.0.0.1:0',
      ...extraArgs,
    ],
    readyMsg,
  );
  const ready = process.logs.find(l => l.msg === 'ready');
  return { process, xdsPort, admin: String(ready?.['admin'] ?? '') };
}

export async function startProxy(
  xdsPort: number,
  nodeId: string,
  listeners: readonly Listening[],
): Promise<AerakiProcess> {
  return startAerakiCommand(
    ['proxy', '--xds', `127.0.0.1:${xdsPort}`, '--node-id', nodeId, '--admin', '127.0.0.1:0'],
    'proxy started; waiting for config',
    { listeners: [...listeners] },
  );
}
