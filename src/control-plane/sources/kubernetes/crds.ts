/**
 * The CustomResourceDefinitions of the Aeraki kinds, made from the zod schemas `aeraki validate`
 * checks (one source of truth) and the table in kinds.ts: the original's groups, versions, names,
 * short names, categories and scopes, so that objects written for the original stay valid.
 *
 * zod's JSON Schema (draft 2020-12) becomes a structural OpenAPI v3 schema as apiextensions.k8s.io/v1
 * requires: every node has a type; `additionalProperties: false` goes (the API server prunes unknown
 * fields, and `kubectl apply` rejects them with its default strict field validation); a free-form
 * JSON value (a `$ref` to itself, a union of types) becomes `x-kubernetes-preserve-unknown-fields`;
 * a union of objects becomes one object with every branch's properties. What the schema cannot say
 * (weights summing to 100, RE2 regexes, host names) the admission webhook checks with the same rules.
 */
import { z } from 'zod';
import { specSchemaOf } from '../../../api/index.js';
import { AERAKI_KINDS, crdName, type AerakiKind } from './kinds.js';

/** An OpenAPI v3 schema node as CRDs take it. */
export interface JsonSchemaProps {
  type?: string;
  description?: string;
  properties?: Record<string, JsonSchemaProps>;
  additionalProperties?: JsonSchemaProps;
  items?: JsonSchemaProps;
  required?: string[];
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  nullable?: boolean;
  format?: string;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
}

type JsonSchema = Record<string, unknown>;

/** Bounds zod puts on every number, which say nothing to a reader of the CRD. */
const SAFE_INTEGER_BOUND = Number.MAX_SAFE_INTEGER;

/** A zod JSON Schema node as a structural schema node. */
export function structuralSchema(node: JsonSchema): JsonSchemaProps {
  if (node['$ref'] !== undefined) return { 'x-kubernetes-preserve-unknown-fields': true };
  const union = (node['anyOf'] ?? node['oneOf']) as JsonSchema[] | undefined;
  if (union !== undefined) return unionSchema(union, node);
  const out: JsonSchemaProps = {};
  if (typeof node['description'] === 'string') out.description = node['description'];
  const type = node['type'];
  if (Array.isArray(type)) return { 'x-kubernetes-preserve-unknown-fields': true };
  if (node['const'] !== undefined) {
    out.type = typeof node['const'] === 'number' ? 'number' : typeof node['const'];
    out.enum = [node['const']];
    return out;
  }
  if (typeof type === 'string') out.type = type === 'null' ? 'object' : type;
  if (Array.isArray(node['enum'])) out.enum = node['enum'] as unknown[];
  for (const key of ['minLength', 'maxLength', 'minItems', 'maxItems'] as const) {
    if (typeof node[key] === 'number') out[key] = node[key] as number;
  }
  if (typeof node['minimum'] === 'number' && node['minimum'] > -SAFE_INTEGER_BOUND)
    out.minimum = node['minimum'];
  if (typeof node['maximum'] === 'number' && node['maximum'] < SAFE_INTEGER_BOUND)
    out.maximum = node['maximum'];
  if (typeof node['exclusiveMinimum'] === 'number') out.minimum = node['exclusiveMinimum'];
  if (typeof node['exclusiveMaximum'] === 'number') out.maximum = node['exclusiveMaximum'];
  if (type === 'object' || node['properties'] !== undefined) {
    out.type = 'object';
    const properties = node['properties'] as Record<string, JsonSchema> | undefined;
    const additional = node['additionalProperties'];
    if (properties !== undefined) {
      out.properties = Object.fromEntries(
        Object.entries(properties).map(([key, value]) => [key, structuralSchema(value)]),
      );
      const required = node['required'] as string[] | undefined;
      if (required !== undefined && required.length > 0) out.required = [...required];
    } else if (typeof additional === 'object' && additional !== null) {
      out.additionalProperties = structuralSchema(additional as JsonSchema);
    } else {
      out['x-kubernetes-preserve-unknown-fields'] = true;
    }
  }
  if (type === 'array') {
    const items = node['items'] as JsonSchema | undefined;
    out.items =
      items === undefined ? { 'x-kubernetes-preserve-unknown-fields': true } : structuralSchema(items);
  }
  if (out.type === undefined && out['x-kubernetes-preserve-unknown-fields'] === undefined)
    out['x-kubernetes-preserve-unknown-fields'] = true;
  return out;
}

function unionSchema(branches: readonly JsonSchema[], node: JsonSchema): JsonSchemaProps {
  const types = new Set(branches.map(b => b['type']));
  const description = typeof node['description'] === 'string' ? { description: node['description'] } : {};
  if (types.size === 1 && types.has('object')) {
    // One object with every branch's fields; which combination is allowed is the webhook's business.
    const properties: Record<string, JsonSchemaProps> = {};
    for (const branch of branches) {
      const schema = structuralSchema(branch);
      Object.assign(properties, schema.properties ?? {});
    }
    return { ...description, type: 'object', properties };
  }
  if (types.size === 1 && typeof [...types][0] === 'string') {
    const first = branches[0];
    return { ...description, ...structuralSchema(first === undefined ? {} : { ...first, enum: undefined }) };
  }
  if (types.size === 2 && types.has('string') && (types.has('integer') || types.has('number')))
    return { ...description, 'x-kubernetes-int-or-string': true };
  return { ...description, 'x-kubernetes-preserve-unknown-fields': true };
}

/** The structural schema of a kind's `spec`. */
export function specSchema(kind: AerakiKind): JsonSchemaProps {
  const json = z.toJSONSchema(specSchemaOf(kind.kind), { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return structuralSchema(json);
}

/** A CustomResourceDefinition (apiextensions.k8s.io/v1). */
export interface CustomResourceDefinition {
  readonly apiVersion: 'apiextensions.k8s.io/v1';
  readonly kind: 'CustomResourceDefinition';
  readonly metadata: { readonly name: string; readonly labels: Readonly<Record<string, string>> };
  readonly spec: Record<string, unknown>;
}

/** Labels on everything `aeraki install` makes. */
export const AERAKI_LABELS: Readonly<Record<string, string>> = {
  'app.kubernetes.io/name': 'aeraki',
  'app.kubernetes.io/part-of': 'aeraki',
};

/** The CRD of one Aeraki kind. */
export function crdOf(kind: AerakiKind): CustomResourceDefinition {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: crdName(kind), labels: { ...AERAKI_LABELS } },
    spec: {
      group: kind.group,
      names: {
        kind: kind.kind,
        listKind: `${kind.kind}List`,
        plural: kind.plural,
        singular: kind.singular,
        ...(kind.shortNames.length > 0 ? { shortNames: [...kind.shortNames] } : {}),
        categories: [...kind.categories],
      },
      scope: kind.namespaced ? 'Namespaced' : 'Cluster',
      versions: [
        {
          name: kind.crdVersion,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            ...kind.printerColumns,
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description: `Aeraki ${kind.kind}: see https://aeraki.net for the API.`,
              properties: {
                spec: specSchema(kind),
                // The original's status is free-form (Istio's IstioStatus); ours adds conditions,
                // observedGeneration and proxies, and keeps whatever else is there.
                status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
              },
              required: ['spec'],
            },
          },
        },
      ],
    },
  };
}

/** The CRDs of every Aeraki kind, in table order. */
export function aerakiCrds(): CustomResourceDefinition[] {
  return AERAKI_KINDS.map(crdOf);
}
