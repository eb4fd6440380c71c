/** The xDS server side of the control plane: ADS over gRPC and the per-node ACK/NACK view. */
export {
  AdsServer,
  DEFAULT_XDS_PORT,
  DEFAULT_XDS_TLS_PORT,
  RDS_METHOD_PATH,
  DELTA_RDS_METHOD_PATH,
  type AdsServerOptions,
  type AckEvent,
  type NackEvent,
  type StreamScoper,
} from './ads-server.js';
export type { XdsServerStatus, NodeStatus, NodeScope, TypeStatus, NackRecord } from './xds-status.js';
export {
  AuthenticatorChain,
  type AuthOutcome,
  type Authentication,
  type XdsAuthenticator,
  type XdsCredentials,
} from './xds-authenticator.js';
export { DEFAULT_TRUST_DOMAIN, SpiffeCertificateAuthenticator } from './spiffe-authenticator.js';
export {
  DEFAULT_TOKEN_AUDIENCE,
  TokenReviewAuthenticator,
  type TokenReviewOptions,
} from './token-review-authenticator.js';
export { ReloadingCertificates, type TlsFiles } from './certificate-files.js';
