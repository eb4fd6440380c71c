/**
 * The validated config: every object of the kinds this control plane reads, with where it came from.
 */
import type {
  ApplicationProtocol,
  ConfigIssue,
  DestinationRule,
  DubboAuthorizationPolicy,
  Gateway,
  KnownResource,
  MetaRouter,
  RedisDestination,
  RedisService,
  Secret,
  ServiceEntry,
  Sidecar,
  VirtualService,
} from '../../api/index.js';
import type { DocumentOrigin } from '../sources/config-source.js';
import type { ConfigIndex } from './config-index.js';

/** One validated object. */
export interface ConfigObject<T extends KnownResource> {
  readonly resource: T;
  /** Effective namespace (`default` when the document names none); empty for cluster-scoped kinds. */
  readonly namespace: string;
  /** `namespace/name`, or `name` for cluster-scoped kinds. */
  readonly key: string;
  readonly origin: DocumentOrigin;
}

/**
 * Objects by kind, each list ordered by `key` (namespace, then name), as a Kubernetes list returns
 * them. Where Aeraki takes "the first" of several candidates, this order decides.
 */
export interface ConfigSet {
  readonly serviceEntries: readonly ConfigObject<ServiceEntry>[];
  readonly destinationRules: readonly ConfigObject<DestinationRule>[];
  readonly metaRouters: readonly ConfigObject<MetaRouter>[];
  readonly applicationProtocols: readonly ConfigObject<ApplicationProtocol>[];
  readonly redisServices: readonly ConfigObject<RedisService>[];
  readonly redisDestinations: readonly ConfigObject<RedisDestination>[];
  /** Kubernetes Secrets (the credentials RedisServices and RedisDestinations name). */
  readonly secrets: readonly ConfigObject<Secret>[];
  /** Istio Sidecars: the egress scope of the proxies they select (absent: none). */
  readonly sidecars?: readonly ConfigObject<Sidecar>[];
  /** Istio Gateways (MetaProtocol entry points for Envoy gateways in Istio mode). */
  readonly gateways: readonly ConfigObject<Gateway>[];
  /** Istio VirtualServices (routes of Envoy's Dubbo and Thrift filters in Istio mode). */
  readonly virtualServices: readonly ConfigObject<VirtualService>[];
  /** Who may call which Dubbo interfaces (Envoy's Dubbo filter, Istio mode). */
  readonly dubboAuthorizationPolicies: readonly ConfigObject<DubboAuthorizationPolicy>[];
}

/**
 * The result of loading a config: the objects that passed single-document validation, and every issue
 * (including cross-document ones). A config with any `error` issue must not be served; `translate`
 * still accepts it without throwing.
 */
export interface LoadedConfig {
  readonly config: ConfigSet;
  /** Ordered by file, line, column. */
  readonly issues: readonly ConfigIssue[];
  /** The lookups built over `config` to check it, handed on so translation need not build them again. */
  readonly index?: ConfigIndex;
  /** The files (or URIs) the config was read from, in the order read; absent when not known. */
  readonly files?: readonly string[];
  /**
   * Where admission is per object (the Kubernetes API): the errors of the objects left out of
   * `config`, or serving their last accepted version. They do not refuse the load.
   */
  readonly leftOut?: readonly ConfigIssue[];
  /** How many objects `leftOut` concerns. */
  readonly leftOutObjects?: number;
}

/** An empty config. */
export const EMPTY_CONFIG_SET: ConfigSet = {
  serviceEntries: [],
  destinationRules: [],
  metaRouters: [],
  applicationProtocols: [],
  redisServices: [],
  redisDestinations: [],
  secrets: [],
  sidecars: [],
  gateways: [],
  virtualServices: [],
  dubboAuthorizationPolicies: [],
};
