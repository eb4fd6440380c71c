/**
 * A faithful stand-in for the Kubernetes API server, for tests (see api-server.ts for what it
 * implements and what it leaves out).
 */
export {
  KubernetesApiStandIn,
  type RequestRecord,
  type StandInOptions,
  type UserInfo,
} from './api-server.js';
export type { ResourceType } from './resources.js';
export type { StoredObject } from './store.js';
export { TestCluster, istioCrds, kubectlPath, type KubectlResult } from './test-cluster.js';
