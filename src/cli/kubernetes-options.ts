/**
 * The Kubernetes config source as the command line asks for it (`aeraki control-plane --kubernetes`).
 */
import type { Logger } from 'pino';
import { KubernetesConfigLoader } from '../control-plane/kubernetes-config.js';
import { KubeClient } from '../control-plane/sources/kubernetes/kube-client.js';
import { KubernetesSource } from '../control-plane/sources/kubernetes/kubernetes-source.js';

/** The loader, and how `/config` names where config comes from. */
export function kubernetesLoader(
  kubeconfig: string | undefined,
  context: string | undefined,
  clusterDomain: string,
  logger: Logger,
): { loader: KubernetesConfigLoader; client: KubeClient; description: string } {
  const client = KubeClient.load({
    ...(kubeconfig === undefined ? {} : { kubeconfig }),
    ...(context === undefined ? {} : { context }),
  });
  const source = new KubernetesSource({ client, logger, clusterDomain });
  return { loader: new KubernetesConfigLoader(source), client, description: `kubernetes ${client.server}` };
}
