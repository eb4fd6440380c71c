/**
 * Validates one config document on its own: envelope (apiVersion, kind, metadata), schema of the
 * spec, then the kind's rules. Documents of kinds this control plane does not use
 * (AuthorizationPolicy, PeerAuthentication, …) are ignored with a warning, since they often share a directory with ours.
 */
import { z } from 'zod';
import { applicationProtocolSpecSchema, type ApplicationProtocol } from '../application-protocol.js';
import { destinationRuleSpecSchema, type DestinationRule } from '../destination-rule.js';
import type { FieldIssue } from '../issue.js';
import { metaRouterSpecSchema, type MetaRouter } from '../meta-router.js';
import { DEFAULT_NAMESPACE, objectMetaSchema, type ObjectMeta } from '../metadata.js';
import { isDns1123Label, isDns1123Subdomain } from '../names.js';
import {
  redisDestinationSpecSchema,
  redisServiceSpecSchema,
  type RedisDestination,
  type RedisService,
} from '../redis.js';
import { secretFieldsSchema, type Secret } from '../secret.js';
import { gatewaySpecSchema, type Gateway } from '../gateway.js';
import {
  dubboAuthorizationPolicySpecSchema,
  type DubboAuthorizationPolicy,
} from '../dubbo-authorization-policy.js';
import { virtualServiceSpecSchema, type VirtualService } from '../virtual-service.js';
import { validateGateway, validateVirtualService } from './istio-routing.js';
import { validateDubboAuthorizationPolicy } from './dubbo-authorization-policy.js';
import { serviceEntrySpecSchema, type ServiceEntry } from '../service-entry.js';
import { sidecarSpecSchema, type Sidecar } from '../sidecar.js';
import { validateApplicationProtocol } from './application-protocol.js';
import { validateDestinationRule } from './destination-rule.js';
import { validateMetaRouter } from './meta-router.js';
import { validateRedisDestination, validateRedisService } from './redis.js';
import { isPlainObject, parseWithSchema, pruneNulls } from './schema-issues.js';
import { validateServiceEntry } from './service-entry.js';
import { validateSidecar } from './sidecar.js';

/** The kinds this control plane reads. */
export type KnownResource =
  | ServiceEntry
  | DestinationRule
  | MetaRouter
  | ApplicationProtocol
  | RedisService
  | RedisDestination
  | Secret
  | Sidecar
  | Gateway
  | VirtualService
  | DubboAuthorizationPolicy;
export type KnownKind = KnownResource['kind'];

interface KindInfo {
  readonly apiVersions: readonly string[];
  readonly namespaced: boolean;
  readonly spec: z.ZodType;
  readonly validate: (spec: never, namespace: string) => FieldIssue[];
  /**
   * The kind has no `spec`: `spec` describes its top-level fields besides apiVersion, kind and
   * metadata (a Kubernetes Secret's `data`, `stringData`, …), gathered into the resource's `spec`.
   */
  readonly topLevel?: true;
}

const istioVersions = [
  'networking.istio.io/v1alpha3',
  'networking.istio.io/v1beta1',
  'networking.istio.io/v1',
];
const aerakiVersions = ['metaprotocol.aeraki.io/v1alpha1'];
const aerakiRedisVersions = ['redis.aeraki.io/v1alpha1'];

const kinds: Readonly<Record<KnownKind, KindInfo>> = {
  ServiceEntry: {
    apiVersions: istioVersions,
    namespaced: true,
    spec: serviceEntrySpecSchema,
    validate: validateServiceEntry,
  },
  DestinationRule: {
    apiVersions: istioVersions,
    namespaced: true,
    spec: destinationRuleSpecSchema,
    validate: validateDestinationRule,
  },
  MetaRouter: {
    apiVersions: aerakiVersions,
    namespaced: true,
    spec: metaRouterSpecSchema,
    validate: validateMetaRouter,
  },
  ApplicationProtocol: {
    apiVersions: aerakiVersions,
    namespaced: false,
    spec: applicationProtocolSpecSchema,
    validate: validateApplicationProtocol,
  },
  RedisService: {
    apiVersions: aerakiRedisVersions,
    namespaced: true,
    spec: redisServiceSpecSchema,
    validate: validateRedisService,
  },
  RedisDestination: {
    apiVersions: aerakiRedisVersions,
    namespaced: true,
    spec: redisDestinationSpecSchema,
    validate: validateRedisDestination,
  },
  Sidecar: {
    apiVersions: istioVersions,
    namespaced: true,
    spec: sidecarSpecSchema,
    validate: validateSidecar,
  },
  Gateway: {
    apiVersions: istioVersions,
    namespaced: true,
    spec: gatewaySpecSchema,
    validate: validateGateway,
  },
  VirtualService: {
    apiVersions: istioVersions,
    namespaced: true,
    spec: virtualServiceSpecSchema,
    validate: validateVirtualService,
  },
  DubboAuthorizationPolicy: {
    apiVersions: ['dubbo.aeraki.io/v1alpha1'],
    namespaced: true,
    spec: dubboAuthorizationPolicySpecSchema,
    validate: validateDubboAuthorizationPolicy,
  },
  Secret: {
    apiVersions: ['v1'],
    namespaced: true,
    spec: secretFieldsSchema,
    validate: () => [],
    topLevel: true,
  },
};

/** True for kinds this control plane reads. */
export function isKnownKind(kind: string): kind is KnownKind {
  return Object.hasOwn(kinds, kind);
}

/**
 * The schema of a kind's `spec`: what `aeraki validate` checks first, and what the Kubernetes
 * CustomResourceDefinitions are generated from, so the two never disagree.
 */
export function specSchemaOf(kind: KnownKind): z.ZodType {
  return kinds[kind].spec;
}

/** True for kinds that live in a namespace (all but ApplicationProtocol). */
export function isNamespacedKind(kind: KnownKind): boolean {
  return kinds[kind].namespaced;
}

export interface DocumentResult {
  /** The document's kind as written; empty when it has none. */
  readonly kind: string;
  /** `namespace/name` (namespaced kinds) or `name`; empty when the document has no usable name. */
  readonly name: string;
  /** The validated object, absent when the document has errors or is of a kind not used here. */
  readonly resource?: KnownResource;
  readonly issues: FieldIssue[];
}

const envelopes = new Map<KnownKind, z.ZodType>();

function envelopeSchema(kind: KnownKind): z.ZodType {
  let schema = envelopes.get(kind);
  if (schema === undefined) {
    const info = kinds[kind];
    const common = { apiVersion: z.string(), kind: z.string(), metadata: objectMetaSchema };
    schema =
      info.topLevel === true
        ? z.strictObject({ ...common, ...(info.spec as z.ZodObject).shape })
        : z.strictObject({ ...common, spec: info.spec, status: z.unknown().optional() });
    envelopes.set(kind, schema);
  }
  return schema;
}

/**
 * Validates one parsed document. `defaultNamespace` is used for namespaced kinds without one.
 * Null map values are dropped first, as the Kubernetes API server does.
 */
export function validateDocument(data: unknown, defaultNamespace = DEFAULT_NAMESPACE): DocumentResult {
  if (!isPlainObject(data)) {
    return {
      kind: '',
      name: '',
      issues: [
        {
          severity: 'error',
          path: [],
          rule: 'not-an-object',
          message: 'a config document must be a map with apiVersion, kind, metadata and spec',
        },
      ],
    };
  }
  const raw = pruneNulls(data) as Record<string, unknown>;
  const kind = typeof raw['kind'] === 'string' ? raw['kind'] : '';
  const rawMeta = isPlainObject(raw['metadata']) ? raw['metadata'] : {};
  const rawName = typeof rawMeta['name'] === 'string' ? rawMeta['name'] : '';
  const namespaced = !isKnownKind(kind) || kinds[kind].namespaced;
  const namespace =
    typeof rawMeta['namespace'] === 'string' && rawMeta['namespace'] !== ''
      ? rawMeta['namespace']
      : defaultNamespace;
  const name = rawName === '' ? '' : namespaced ? `${namespace}/${rawName}` : rawName;
  const result = (issues: FieldIssue[], resource?: KnownResource): DocumentResult =>
    resource === undefined ? { kind, name, issues } : { kind, name, issues, resource };

  if (kind === '') {
    return result([{ severity: 'error', path: ['kind'], rule: 'missing-kind', message: 'kind is required' }]);
  }
  if (typeof raw['apiVersion'] !== 'string' || raw['apiVersion'] === '') {
    return result([
      {
        severity: 'error',
        path: ['apiVersion'],
        rule: 'missing-api-version',
        message: 'apiVersion is required',
      },
    ]);
  }
  const apiVersion = raw['apiVersion'];
  if (!isKnownKind(kind)) {
    return result([
      {
        severity: 'warning',
        path: ['kind'],
        rule: 'unknown-kind',
        message: `${kind} (${apiVersion}) is not used by this control plane; the document is ignored`,
      },
    ]);
  }
  const info = kinds[kind];
  if (!info.apiVersions.includes(apiVersion)) {
    return result([
      {
        severity: 'error',
        path: ['apiVersion'],
        rule: 'api-version',
        message: `${kind} must have apiVersion ${info.apiVersions.join(', ')}, not ${apiVersion}`,
      },
    ]);
  }

  const parsed = parseWithSchema(envelopeSchema(kind), raw, []);
  const issues = parsed.issues;
  let value = parsed.value as (KnownResource & { metadata: ObjectMeta }) | undefined;
  if (value === undefined) return result(issues);
  if (info.topLevel === true) {
    const { apiVersion: version, kind: k, metadata, ...fields } = value as unknown as Record<string, unknown>;
    value = { apiVersion: version, kind: k, metadata, spec: fields } as unknown as KnownResource & {
      metadata: ObjectMeta;
    };
  }
  if (!isDns1123Subdomain(value.metadata.name)) {
    issues.push({
      severity: 'error',
      path: ['metadata', 'name'],
      rule: 'metadata-name',
      message: `name '${value.metadata.name}' must be lower-case letters, digits, '-' and '.', at most 253 characters`,
    });
  }
  if (
    info.namespaced &&
    value.metadata.namespace !== undefined &&
    !isDns1123Label(value.metadata.namespace)
  ) {
    issues.push({
      severity: 'error',
      path: ['metadata', 'namespace'],
      rule: 'metadata-namespace',
      message: `namespace '${value.metadata.namespace}' must be a DNS-1123 label`,
    });
  }
  issues.push(...info.validate(value.spec as never, namespace));
  if (issues.some(issue => issue.severity === 'error')) return result(issues);
  const resource = (
    info.namespaced ? { ...value, metadata: { ...value.metadata, namespace } } : value
  ) as KnownResource;
  return result(issues, resource);
}
