/**
 * Part of the Kubernetes API stand-in used by the tests (see api-server.ts): what the API server does
 * with a custom resource's body against its CRD's structural OpenAPI v3 schema, following the
 * apiextensions documentation — fields the schema does not know are pruned (an error with
 * `fieldValidation=Strict`, a warning with `Warn`, the default), except under
 * `x-kubernetes-preserve-unknown-fields`; then types, `required`, `enum`, bounds, `nullable` and
 * `x-kubernetes-int-or-string` are checked, and each failure is reported with its field path as the
 * API server words it ("spec.x in body must be of type integer: \"string\"").
 */

export interface JsonSchemaProps {
  readonly type?: string;
  readonly properties?: Readonly<Record<string, JsonSchemaProps>>;
  readonly additionalProperties?: JsonSchemaProps | boolean;
  readonly items?: JsonSchemaProps;
  readonly required?: readonly string[];
  readonly enum?: readonly unknown[];
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly nullable?: boolean;
  readonly 'x-kubernetes-preserve-unknown-fields'?: boolean;
  readonly 'x-kubernetes-int-or-string'?: boolean;
  readonly [key: string]: unknown;
}

/** The outcome of checking one body. */
export interface SchemaResult {
  /** The body with unknown fields pruned. */
  readonly value: unknown;
  /** `path: message` for each failure. */
  readonly errors: string[];
  /** Paths of unknown fields (pruned). */
  readonly unknown: string[];
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function matchesType(type: string, value: unknown): boolean {
  const actual = typeName(value);
  if (type === 'number') return actual === 'number' || actual === 'integer';
  return actual === type;
}

/** Checks and prunes `value` (the whole object: apiVersion, kind and metadata are left alone). */
export function checkCustomResource(schema: JsonSchemaProps, value: Record<string, unknown>): SchemaResult {
  const errors: string[] = [];
  const unknown: string[] = [];
  const out: Record<string, unknown> = {};
  const properties = schema.properties ?? {};
  for (const [key, field] of Object.entries(value)) {
    if (key === 'apiVersion' || key === 'kind' || key === 'metadata') {
      out[key] = field;
      continue;
    }
    const sub = properties[key];
    if (sub === undefined && schema['x-kubernetes-preserve-unknown-fields'] !== true) {
      unknown.push(key);
      continue;
    }
    out[key] = sub === undefined ? field : walk(sub, field, key, errors, unknown);
  }
  for (const name of schema.required ?? []) {
    if (out[name] === undefined) errors.push(`${name}: Required value`);
  }
  return { value: out, errors, unknown };
}

function walk(
  schema: JsonSchemaProps,
  value: unknown,
  path: string,
  errors: string[],
  unknown: string[],
): unknown {
  if (value === null) {
    if (schema.nullable !== true)
      errors.push(
        `${path}: Invalid value: "null": ${path} in body must be of type ${schema.type ?? 'object'}: "null"`,
      );
    return value;
  }
  if (schema['x-kubernetes-int-or-string'] === true) {
    if (typeof value !== 'string' && !(typeof value === 'number' && Number.isInteger(value)))
      errors.push(
        `${path}: Invalid value: "${typeName(value)}": ${path} in body must be of type int-or-string: "${typeName(value)}"`,
      );
    return value;
  }
  if (schema.type !== undefined && !matchesType(schema.type, value)) {
    errors.push(
      `${path}: Invalid value: "${typeName(value)}": ${path} in body must be of type ${schema.type}: "${typeName(value)}"`,
    );
    return value;
  }
  if (schema.enum !== undefined && !schema.enum.some(e => e === value)) {
    errors.push(
      `${path}: Unsupported value: ${JSON.stringify(value)}: supported values: ${schema.enum.map(e => JSON.stringify(e)).join(', ')}`,
    );
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum)
      errors.push(
        `${path}: Invalid value: ${value}: ${path} in body should be greater than or equal to ${schema.minimum}`,
      );
    if (schema.maximum !== undefined && value > schema.maximum)
      errors.push(
        `${path}: Invalid value: ${value}: ${path} in body should be less than or equal to ${schema.maximum}`,
      );
  }
  if (typeof value === 'string') {
    if (schema.minLength !== undefined && value.length < schema.minLength)
      errors.push(
        `${path}: Invalid value: ${JSON.stringify(value)}: ${path} in body should be at least ${schema.minLength} chars long`,
      );
    if (schema.maxLength !== undefined && value.length > schema.maxLength)
      errors.push(`${path}: Too long: may not be longer than ${schema.maxLength}`);
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems)
      errors.push(
        `${path}: Invalid value: ${value.length}: ${path} in body should have at least ${schema.minItems} items`,
      );
    if (schema.maxItems !== undefined && value.length > schema.maxItems)
      errors.push(`${path}: Too many: ${value.length}: must have at most ${schema.maxItems} items`);
    const items = schema.items;
    return items === undefined
      ? value
      : value.map((item, i) => walk(items, item, `${path}[${i}]`, errors, unknown));
  }
  if (typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
    const out: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(record)) {
      const sub =
        schema.properties?.[key] ??
        (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
      if (sub === undefined) {
        if (preserve || schema.additionalProperties === true) out[key] = field;
        else unknown.push(`${path}.${key}`);
        continue;
      }
      out[key] = walk(sub, field, `${path}.${key}`, errors, unknown);
    }
    for (const name of schema.required ?? []) {
      if (out[name] === undefined) errors.push(`${path}.${name}: Required value`);
    }
    return out;
  }
  return value;
}

/**
 * The structural-schema rules of apiextensions.k8s.io/v1 that a CRD must meet to be created: every
 * node has a type (or preserves unknown fields, or is int-or-string), no `$ref`, no
 * `additionalProperties: false`, and `properties` never beside `additionalProperties`.
 */
export function structuralProblems(schema: JsonSchemaProps, path = 'openAPIV3Schema'): string[] {
  const problems: string[] = [];
  if (
    schema.type === undefined &&
    schema['x-kubernetes-preserve-unknown-fields'] !== true &&
    schema['x-kubernetes-int-or-string'] !== true
  )
    problems.push(`${path}.type: Required value: must not be empty for specified object fields`);
  for (const key of ['$ref', 'anyOf', 'oneOf', 'allOf', 'not', '$schema', '$defs', 'definitions', 'const']) {
    if (schema[key] !== undefined) problems.push(`${path}.${key}: Forbidden: ${key} is not supported here`);
  }
  if (schema.additionalProperties === false)
    problems.push(`${path}.additionalProperties: Forbidden: additionalProperties cannot be set to false`);
  if (schema.properties !== undefined && schema.additionalProperties !== undefined)
    problems.push(
      `${path}.additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive`,
    );
  for (const [key, sub] of Object.entries(schema.properties ?? {}))
    problems.push(...structuralProblems(sub, `${path}.properties[${key}]`));
  if (typeof schema.additionalProperties === 'object')
    problems.push(...structuralProblems(schema.additionalProperties, `${path}.additionalProperties`));
  if (schema.items !== undefined) problems.push(...structuralProblems(schema.items, `${path}.items`));
  if (schema.type === 'array' && schema.items === undefined)
    problems.push(`${path}.items: Required value: must be specified`);
  return problems;
}
