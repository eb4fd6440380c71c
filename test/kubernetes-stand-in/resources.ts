/**
 * Part of the Kubernetes API stand-in used by the tests (see api-server.ts): the resource types it
 * serves — the built-in ones the control plane, `aeraki install` and kubectl use, and those that
 * CustomResourceDefinitions add (each served version of a CRD, with its schema, scope, names and
 * status subresource).
 */
import type { JsonSchemaProps } from './schema.js';

export interface ResourceType {
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly singular: string;
  readonly kind: string;
  readonly namespaced: boolean;
  readonly shortNames: readonly string[];
  readonly categories: readonly string[];
  readonly verbs: readonly string[];
  /** Has a `/status` subresource: status is written only there, and spec changes bump `generation`. */
  readonly statusSubresource: boolean;
  /** Keeps `metadata.generation` (CRDs and the kinds whose strategies do). */
  readonly generation: boolean;
  /** Served by a CRD: strategic merge patch is refused, the schema is checked. */
  readonly custom: boolean;
  /** A custom resource's structural schema. */
  readonly schema?: JsonSchemaProps;
  /** Columns a Table of this resource shows (custom resources' additionalPrinterColumns). */
  readonly printerColumns?: ReadonlyArray<{
    name: string;
    type: string;
    jsonPath: string;
    priority?: number;
  }>;
  /** Only `create` (TokenReview): nothing is stored. */
  readonly createOnly?: boolean;
}

const CRUD = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function builtin(
  group: string,
  version: string,
  kind: string,
  plural: string,
  namespaced: boolean,
  extra: Partial<ResourceType> = {},
): ResourceType {
  return {
    group,
    version,
    kind,
    plural,
    singular: kind.toLowerCase(),
    namespaced,
    shortNames: [],
    categories: [],
    verbs: CRUD,
    statusSubresource: false,
    generation: false,
    custom: false,
    ...extra,
  };
}

/** The built-in resources the stand-in serves. */
export const BUILTIN_RESOURCES: readonly ResourceType[] = [
  builtin('', 'v1', 'Namespace', 'namespaces', false, { shortNames: ['ns'], statusSubresource: true }),
  builtin('', 'v1', 'Service', 'services', true, {
    shortNames: ['svc'],
    statusSubresource: true,
    categories: ['all'],
  }),
  builtin('', 'v1', 'Secret', 'secrets', true),
  builtin('', 'v1', 'ConfigMap', 'configmaps', true, { shortNames: ['cm'] }),
  builtin('', 'v1', 'ServiceAccount', 'serviceaccounts', true, { shortNames: ['sa'] }),
  builtin('', 'v1', 'Pod', 'pods', true, {
    shortNames: ['po'],
    statusSubresource: true,
    categories: ['all'],
  }),
  builtin('apps', 'v1', 'Deployment', 'deployments', true, {
    shortNames: ['deploy'],
    statusSubresource: true,
    generation: true,
    categories: ['all'],
  }),
  builtin('policy', 'v1', 'PodDisruptionBudget', 'poddisruptionbudgets', true, {
    shortNames: ['pdb'],
    statusSubresource: true,
    generation: true,
  }),
  builtin('rbac.authorization.k8s.io', 'v1', 'ClusterRole', 'clusterroles', false),
  builtin('rbac.authorization.k8s.io', 'v1', 'ClusterRoleBinding', 'clusterrolebindings', false),
  builtin('rbac.authorization.k8s.io', 'v1', 'Role', 'roles', true),
  builtin('rbac.authorization.k8s.io', 'v1', 'RoleBinding', 'rolebindings', true),
  builtin(
    'admissionregistration.k8s.io',
    'v1',
    'ValidatingWebhookConfiguration',
    'validatingwebhookconfigurations',
    false,
    {
      generation: true,
    },
  ),
  builtin('apiextensions.k8s.io', 'v1', 'CustomResourceDefinition', 'customresourcedefinitions', false, {
    shortNames: ['crd', 'crds'],
    statusSubresource: true,
    generation: true,
  }),
  builtin('coordination.k8s.io', 'v1', 'Lease', 'leases', true),
  builtin('discovery.k8s.io', 'v1', 'EndpointSlice', 'endpointslices', true),
  builtin('authentication.k8s.io', 'v1', 'TokenReview', 'tokenreviews', false, {
    verbs: ['create'],
    createOnly: true,
  }),
];

interface CrdVersion {
  readonly name: string;
  readonly served?: boolean;
  readonly storage?: boolean;
  readonly schema?: { readonly openAPIV3Schema?: JsonSchemaProps };
  readonly subresources?: { readonly status?: unknown };
  readonly additionalPrinterColumns?: ReadonlyArray<{
    name: string;
    type: string;
    jsonPath: string;
    priority?: number;
  }>;
}

/** A CustomResourceDefinition's spec, as far as serving its resources needs. */
export interface CrdSpec {
  readonly group: string;
  readonly scope: 'Namespaced' | 'Cluster';
  readonly names: {
    readonly plural: string;
    readonly singular?: string;
    readonly kind: string;
    readonly shortNames?: readonly string[];
    readonly categories?: readonly string[];
  };
  readonly versions: readonly CrdVersion[];
}

/** The resource types a CRD serves: one per served version. */
export function crdResources(spec: CrdSpec): ResourceType[] {
  return spec.versions
    .filter(v => v.served !== false)
    .map(v => ({
      group: spec.group,
      version: v.name,
      kind: spec.names.kind,
      plural: spec.names.plural,
      singular: spec.names.singular ?? spec.names.kind.toLowerCase(),
      namespaced: spec.scope === 'Namespaced',
      shortNames: spec.names.shortNames ?? [],
      categories: spec.names.categories ?? [],
      verbs: CRUD,
      statusSubresource: v.subresources?.status !== undefined,
      generation: true,
      custom: true,
      ...(v.schema?.openAPIV3Schema === undefined ? {} : { schema: v.schema.openAPIV3Schema }),
      ...(v.additionalPrinterColumns === undefined ? {} : { printerColumns: v.additionalPrinterColumns }),
    }));
}

/** `group/version`, or `version` for the core group. */
export function groupVersion(type: Pick<ResourceType, 'group' | 'version'>): string {
  return type.group === '' ? type.version : `${type.group}/${type.version}`;
}

/** Identifies a resource across its versions: `plural.group`. */
export function resourceId(type: Pick<ResourceType, 'group' | 'plural'>): string {
  return type.group === '' ? type.plural : `${type.plural}.${type.group}`;
}
