/**
 * Istio's own schemas for the objects Istio mode writes, from `@kubernetes-models/istio` 2.3.0 (made
 * from Istio 1.18.0's CRDs, the Istio the original Aeraki 1.4 runs with; the package's 3.x needs
 * Node 22): its validation (types, enums, required fields), plus the pruning the API server applies
 * with a structural schema, which the package does not check: a field the schema does not declare
 * would be dropped silently by the API server, so here it is an error.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { EnvoyFilter } from '@kubernetes-models/istio/networking.istio.io/v1alpha3/EnvoyFilter';
import { VirtualService } from '@kubernetes-models/istio/networking.istio.io/v1alpha3/VirtualService';

interface SchemaNode {
  readonly type?: string;
  readonly properties?: Readonly<Record<string, SchemaNode>>;
  readonly additionalProperties?: SchemaNode | boolean;
  readonly items?: SchemaNode;
}

const require = createRequire(import.meta.url);

/** The JSON schema literal inside one of the package's model files. */
function schemaOf(model: string): SchemaNode {
  const text = readFileSync(
    require.resolve(`@kubernetes-models/istio/networking.istio.io/v1alpha3/${model}`),
    'utf8',
  );
  const start = text.indexOf('const schema = ');
  const end = text.indexOf('\n};\n', start);
  if (start < 0 || end < 0) throw new Error(`no schema literal in the ${model} model`);
  return JSON.parse(text.slice(start + 'const schema = '.length, end + 2)) as SchemaNode;
}

/** Paths of the fields an API server would prune (an object schema with properties declares them all). */
function prunedFields(value: unknown, schema: SchemaNode, path: string, out: string[]): void {
  if (Array.isArray(value)) {
    value.forEach(
      (item, i) => schema.items !== undefined && prunedFields(item, schema.items, `${path}[${i}]`, out),
    );
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  const properties = schema.properties ?? {};
  const declared = Object.keys(properties);
  // `properties: {}` without additionalProperties is x-kubernetes-preserve-unknown-fields (patch.value).
  if (declared.length === 0) return;
  for (const [key, item] of Object.entries(value)) {
    const child = properties[key];
    if (child === undefined) {
      if (key === 'metadata' && path === '') continue;
      out.push(path === '' ? key : `${path}.${key}`);
    } else prunedFields(item, child, path === '' ? key : `${path}.${key}`, out);
  }
}

function check(model: string, object: { validate(): void }, data: unknown): void {
  object.validate();
  const pruned: string[] = [];
  prunedFields(data, schemaOf(model), '', pruned);
  if (pruned.length > 0)
    throw new Error(`${model}: fields Istio's schema does not declare: ${pruned.join(', ')}`);
}

/** Throws unless `data` is a valid Istio 1.18 EnvoyFilter with no undeclared field. */
export function checkEnvoyFilter(data: Record<string, unknown>): void {
  check('EnvoyFilter', new EnvoyFilter(data as never), data);
}

/** Throws unless `data` is a valid Istio 1.18 VirtualService with no undeclared field. */
export function checkVirtualService(data: Record<string, unknown>): void {
  check('VirtualService', new VirtualService(data as never), data);
}
