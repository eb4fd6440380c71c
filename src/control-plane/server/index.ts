/** The xDS server side of the control plane: ADS over gRPC and the per-node ACK/NACK view. */
export {
  AdsServer,
  DEFAULT_XDS_PORT,
  RDS_METHOD_PATH,
  DELTA_RDS_METHOD_PATH,
  type AdsServerOptions,
  type AckEvent,
  type NackEvent,
} from './ads-server.js';
export type { XdsServerStatus, NodeStatus, TypeStatus, NackRecord } from './xds-status.js';
