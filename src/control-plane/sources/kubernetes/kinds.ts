/**
 * Every kind the Kubernetes source reads, in one table: where it lives in the API (group, versions,
 * resource name, scope) and what the source does with it. The Aeraki kinds also carry what their
 * CustomResourceDefinition is made of (names, short names, categories, printer columns; the schema
 * comes from the same zod schema `aeraki validate` checks), so the CRDs, the source, the status
 * writer and the admission webhook all follow this table.
 *
 * A new Aeraki kind registers here: one entry in {@link AERAKI_KINDS} (plus its validation in
 * src/api/, as for the file source), and it is watched, validated, installed as a CRD, given status
 * and checked at admission.
 */
import type { KnownKind } from '../../../api/index.js';

/** What the source does with the objects of a kind. */
export type KindRole =
  /** Handed to the model as config documents, as the file source hands over YAML documents. */
  | 'config'
  /** Turned, with its EndpointSlices, into a ServiceEntry when a port names a protocol we serve. */
  | 'service'
  /** Endpoints of Services (joined to their Service by the `kubernetes.io/service-name` label). */
  | 'endpoint-slice'
  /** Known namespaces (kept for scoping; not config). */
  | 'namespace'
  /** Read one by one, only those that config refers to (never every Secret of the cluster). */
  | 'referenced-secret';

/** A kind as the API server serves it. */
export interface WatchedKind {
  readonly kind: string;
  /** API group; empty for the core group. */
  readonly group: string;
  /**
   * Versions this control plane can read, preferred first. The source uses the first one the API
   * server serves, so objects written under any served version are read.
   */
  readonly versions: readonly string[];
  /** The resource name in URLs (lower-case plural). */
  readonly plural: string;
  readonly namespaced: boolean;
  readonly role: KindRole;
}

/** A printer column of a CRD (`kubectl get` shows them). */
export interface PrinterColumn {
  readonly name: string;
  readonly type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  readonly jsonPath: string;
  readonly description?: string;
  readonly priority?: number;
}

/** Where a kind's objects name a Secret (in their own namespace). */
export type SecretReferences = (object: { readonly spec?: unknown }) => readonly string[];

/** An Aeraki kind: served by our CRD, validated by our rules, given status by the leader. */
export interface AerakiKind extends WatchedKind {
  readonly kind: KnownKind;
  /** The version our CRD serves and stores (the original's, so existing objects stay valid). */
  readonly crdVersion: string;
  readonly singular: string;
  readonly shortNames: readonly string[];
  readonly categories: readonly string[];
  /** Columns after NAME (and NAMESPACE); Age comes last on its own. */
  readonly printerColumns: readonly PrinterColumn[];
  /** Secrets an object refers to (read by name, kept current); absent when it refers to none. */
  readonly secretReferences?: SecretReferences;
}

/** Columns every Aeraki kind shows: whether it was accepted and how many proxies run it. */
export const STATUS_PRINTER_COLUMNS: readonly PrinterColumn[] = [
  {
    name: 'Accepted',
    type: 'string',
    jsonPath: '.status.conditions[?(@.type=="Accepted")].status',
    description: 'Whether the control plane accepted this generation',
  },
  {
    name: 'Proxies',
    type: 'integer',
    jsonPath: '.status.proxies',
    description: 'Proxies that acknowledged a config containing this generation',
  },
];

const AERAKI_CATEGORIES = ['aeraki-io', 'metaprotocol-aeraki-io'];

/** The Secret a Redis auth block names, if any. */
function authSecret(auth: unknown): string[] {
  const name = (auth as { secret?: { name?: unknown } } | undefined)?.secret?.name;
  return typeof name === 'string' && name !== '' ? [name] : [];
}

/** The Aeraki kinds, with the original's groups, versions, names, short names and scopes. */
export const AERAKI_KINDS: readonly AerakiKind[] = [
  {
    kind: 'ApplicationProtocol',
    group: 'metaprotocol.aeraki.io',
    versions: ['v1alpha1'],
    crdVersion: 'v1alpha1',
    plural: 'applicationprotocols',
    singular: 'applicationprotocol',
    shortNames: [],
    categories: AERAKI_CATEGORIES,
    namespaced: false,
    role: 'config',
    printerColumns: [
      { name: 'Protocol', type: 'string', jsonPath: '.spec.protocol' },
      { name: 'Codec', type: 'string', jsonPath: '.spec.codec' },
      ...STATUS_PRINTER_COLUMNS,
    ],
  },
  {
    kind: 'MetaRouter',
    group: 'metaprotocol.aeraki.io',
    versions: ['v1alpha1'],
    crdVersion: 'v1alpha1',
    plural: 'metarouters',
    singular: 'metarouter',
    shortNames: [],
    categories: AERAKI_CATEGORIES,
    namespaced: true,
    role: 'config',
    printerColumns: [{ name: 'Hosts', type: 'string', jsonPath: '.spec.hosts' }, ...STATUS_PRINTER_COLUMNS],
  },
  {
    kind: 'RedisService',
    group: 'redis.aeraki.io',
    versions: ['v1alpha1'],
    crdVersion: 'v1alpha1',
    plural: 'redisservices',
    singular: 'redisservice',
    shortNames: ['rsvc'],
    categories: ['redis-aeraki-io'],
    namespaced: true,
    role: 'config',
    // The original's column reads `.spec.hosts`, a field RedisService does not have (it is `host`).
    printerColumns: [{ name: 'Hosts', type: 'string', jsonPath: '.spec.host' }, ...STATUS_PRINTER_COLUMNS],
    secretReferences: object =>
      authSecret((object.spec as { settings?: { auth?: unknown } } | undefined)?.settings?.auth),
  },
  {
    kind: 'RedisDestination',
    group: 'redis.aeraki.io',
    versions: ['v1alpha1'],
    crdVersion: 'v1alpha1',
    plural: 'redisdestinations',
    singular: 'redisdestination',
    shortNames: ['rd'],
    categories: ['redis-aeraki-io'],
    namespaced: true,
    role: 'config',
    printerColumns: [{ name: 'Host', type: 'string', jsonPath: '.spec.host' }, ...STATUS_PRINTER_COLUMNS],
    secretReferences: object =>
      authSecret(
        (object.spec as { trafficPolicy?: { connectionPool?: { redis?: { auth?: unknown } } } } | undefined)
          ?.trafficPolicy?.connectionPool?.redis?.auth,
      ),
  },
  {
    kind: 'DubboAuthorizationPolicy',
    group: 'dubbo.aeraki.io',
    versions: ['v1alpha1'],
    crdVersion: 'v1alpha1',
    plural: 'dubboauthorizationpolicies',
    singular: 'dubboauthorizationpolicy',
    shortNames: ['dap'],
    categories: ['dubbo-aeraki-io'],
    namespaced: true,
    role: 'config',
    printerColumns: [{ name: 'Action', type: 'string', jsonPath: '.spec.action' }, ...STATUS_PRINTER_COLUMNS],
  },
];

/** Istio's versions, newest first: Istio 1.22 and later serve `v1`, every release `v1alpha3`. */
const ISTIO_VERSIONS = ['v1', 'v1beta1', 'v1alpha3'];

/** Everything the source watches: Istio's kinds, Kubernetes' own, and the Aeraki kinds. */
export const WATCHED_KINDS: readonly WatchedKind[] = [
  {
    kind: 'ServiceEntry',
    group: 'networking.istio.io',
    versions: ISTIO_VERSIONS,
    plural: 'serviceentries',
    namespaced: true,
    role: 'config',
  },
  {
    kind: 'DestinationRule',
    group: 'networking.istio.io',
    versions: ISTIO_VERSIONS,
    plural: 'destinationrules',
    namespaced: true,
    role: 'config',
  },
  {
    kind: 'Gateway',
    group: 'networking.istio.io',
    versions: ISTIO_VERSIONS,
    plural: 'gateways',
    namespaced: true,
    role: 'config',
  },
  {
    kind: 'Sidecar',
    group: 'networking.istio.io',
    versions: ISTIO_VERSIONS,
    plural: 'sidecars',
    namespaced: true,
    role: 'config',
  },
  {
    kind: 'VirtualService',
    group: 'networking.istio.io',
    versions: ISTIO_VERSIONS,
    plural: 'virtualservices',
    namespaced: true,
    role: 'config',
  },
  { kind: 'Service', group: '', versions: ['v1'], plural: 'services', namespaced: true, role: 'service' },
  {
    kind: 'EndpointSlice',
    group: 'discovery.k8s.io',
    versions: ['v1'],
    plural: 'endpointslices',
    namespaced: true,
    role: 'endpoint-slice',
  },
  {
    kind: 'Namespace',
    group: '',
    versions: ['v1'],
    plural: 'namespaces',
    namespaced: false,
    role: 'namespace',
  },
  {
    kind: 'Secret',
    group: '',
    versions: ['v1'],
    plural: 'secrets',
    namespaced: true,
    role: 'referenced-secret',
  },
  ...AERAKI_KINDS,
];

/** `group/version`, or `version` for the core group. */
export function apiVersionOf(group: string, version: string): string {
  return group === '' ? version : `${group}/${version}`;
}

/** The URL path of a resource collection: all namespaces, or one when `namespace` is given. */
export function collectionPath(
  kind: Pick<WatchedKind, 'group' | 'plural'>,
  version: string,
  namespace?: string,
): string {
  const root = kind.group === '' ? `/api/${version}` : `/apis/${kind.group}/${version}`;
  return namespace === undefined
    ? `${root}/${kind.plural}`
    : `${root}/namespaces/${encodeURIComponent(namespace)}/${kind.plural}`;
}

/** The Aeraki kind named `kind`, if it is one. */
export function aerakiKind(kind: string): AerakiKind | undefined {
  return AERAKI_KINDS.find(k => k.kind === kind);
}

/** `<plural>.<group>`: a CRD's name. */
export function crdName(kind: Pick<WatchedKind, 'group' | 'plural'>): string {
  return `${kind.plural}.${kind.group}`;
}
