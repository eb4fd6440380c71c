/**
 * The user-facing config kinds (Istio ServiceEntry and DestinationRule, Aeraki MetaRouter,
 * ApplicationProtocol, RedisService and RedisDestination, Kubernetes Secret): types, schemas and
 * single-document validation.
 */
export type { ConfigIssue, FieldIssue, FieldPath, Severity } from './issue.js';
export { compareIssues, formatFieldPath } from './issue.js';
export type { ObjectMeta, Resource } from './metadata.js';
export { DEFAULT_NAMESPACE } from './metadata.js';
export type { ServiceEntry, ServiceEntrySpec, ServicePort, WorkloadEntry } from './service-entry.js';
export type {
  ConnectionPoolSettings,
  ConsistentHashLB,
  DestinationRule,
  DestinationRuleSpec,
  LoadBalancerSettings,
  OutlierDetection,
  PolicyFields,
  PortTrafficPolicy,
  SimpleLoadBalancer,
  Subset,
  TcpSettings,
  TrafficPolicy,
} from './destination-rule.js';
export type {
  Destination,
  KeyValue,
  MetaFilter,
  MetaRoute,
  MetaRouteDestination,
  MetaRouteMatch,
  MetaRouter,
  MetaRouterSpec,
  StringMatch,
} from './meta-router.js';
export type {
  GlobalRateLimit,
  GlobalRateLimitDescriptor,
  LocalRateLimit,
  LocalRateLimitCondition,
  TokenBucket,
} from './rate-limit.js';
export type {
  FaultAbort,
  FaultDelay,
  FaultErrorKind,
  FaultInjection,
  Percentage,
  RetryOn,
  RetryPolicy,
} from './route-policies.js';
export {
  DEFAULT_RETRY_ON,
  FAULT_ERROR_KINDS,
  MAX_RETRY_ATTEMPTS,
  RETRY_ON_IGNORED,
  RETRY_ON_VALUES,
  retryOnTokens,
} from './route-policies.js';
export type { ApplicationProtocol, ApplicationProtocolSpec } from './application-protocol.js';
export type {
  RedisAuth,
  RedisDestination,
  RedisDestinationSpec,
  RedisFault,
  RedisPlainAuth,
  RedisReadPolicyName,
  RedisRoute,
  RedisRouteDestination,
  RedisSecretReference,
  RedisService,
  RedisServiceSettings,
  RedisServiceSpec,
} from './redis.js';
export { REDIS_READ_POLICIES, faultTypeName, readPolicyName, redisModeName } from './redis.js';
export type { Secret, SecretSpec } from './secret.js';
export type { EgressHost, Sidecar, SidecarEgressListener, SidecarSpec } from './sidecar.js';
export { parseEgressHost } from './sidecar.js';
export type { Gateway, GatewayPort, GatewayServer, GatewaySpec } from './gateway.js';
export type {
  DubboAuthorizationPolicy,
  DubboAuthorizationPolicySpec,
  DubboAuthorizationRule,
  DubboOperation,
  DubboSource,
} from './dubbo-authorization-policy.js';
export type {
  HttpMatchRequest,
  HttpRoute,
  HttpRouteDestination,
  VirtualService,
  VirtualServiceDestination,
  VirtualServiceSpec,
} from './virtual-service.js';
export { secretValue } from './secret.js';
export { parseHostPort } from './validation/redis.js';
export {
  BUILTIN_APPLICATION_PROTOCOLS,
  CODEC_NAME_PREFIX,
  DECLARATIVE_CODEC,
} from './application-protocol.js';
export { durationMs, parseDurationMs } from './duration.js';
export { selectPortProtocol, type PortProtocol } from './port-protocol.js';
export { fqdnProblem, hostProblem, isWildcardHost, parseClusterName, singleAddress } from './names.js';
export {
  isKnownKind,
  isNamespacedKind,
  specSchemaOf,
  validateDocument,
  type DocumentResult,
  type KnownKind,
  type KnownResource,
} from './validation/document.js';
export { re2Problem } from './validation/regex.js';
export { unknownCodecIssue } from './validation/application-protocol.js';
