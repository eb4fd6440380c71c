/**
 * Runs a zod schema over a document and words its complaints for people. Unknown fields are warnings,
 * not errors: Kubernetes would drop them silently, and a typo deserves to be pointed out, with a
 * suggestion when a known field is close.
 */
import type { z } from 'zod';
import type { FieldIssue, FieldPath } from '../issue.js';

/** The parsed value (absent when any error was found) and every issue. */
export interface SchemaResult<T> {
  readonly value: T | undefined;
  readonly issues: FieldIssue[];
}

/** Parses `data` with `schema`; issue paths start with `basePath`. */
export function parseWithSchema<T>(
  schema: z.ZodType<T>,
  data: unknown,
  basePath: FieldPath,
): SchemaResult<T> {
  const first = schema.safeParse(data, { reportInput: true });
  if (first.success) return { value: first.data, issues: [] };
  const issues: FieldIssue[] = [];
  const unknownFields: FieldPath[] = [];
  let failed = false;
  for (const issue of first.error.issues) {
    const path = toPath(issue.path);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        unknownFields.push([...path, key]);
        issues.push(unknownField(schema, path, key, basePath));
      }
    } else {
      failed = true;
      issues.push(describeIssue(issue, path, basePath));
    }
  }
  if (failed) return { value: undefined, issues };
  const pruned = structuredClone(data);
  for (const path of unknownFields) deleteAt(pruned, path);
  const second = schema.safeParse(pruned, { reportInput: true });
  if (second.success) return { value: second.data, issues };
  for (const issue of second.error.issues) issues.push(describeIssue(issue, toPath(issue.path), basePath));
  return { value: undefined, issues };
}

/** Removes `null` map values, as the Kubernetes API server does before validation. */
export function pruneNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(pruneNulls);
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) if (item !== null) out[key] = pruneNulls(item);
    return out;
  }
  return value;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function toPath(path: readonly PropertyKey[]): (string | number)[] {
  return path.map(segment => (typeof segment === 'number' ? segment : String(segment)));
}

function deleteAt(root: unknown, path: FieldPath): void {
  let node = root;
  for (let i = 0; i < path.length - 1; i++) {
    if (!isPlainObject(node) && !Array.isArray(node)) return;
    node = (node as Record<string | number, unknown>)[path[i] as string | number];
  }
  const last = path[path.length - 1];
  if (isPlainObject(node) && typeof last === 'string') delete node[last];
}

function describeIssue(issue: z.core.$ZodIssue, path: FieldPath, basePath: FieldPath): FieldIssue {
  const fullPath = [...basePath, ...path];
  const field = String(path[path.length - 1] ?? basePath[basePath.length - 1] ?? 'value');
  const error = (rule: string, message: string): FieldIssue => ({
    severity: 'error',
    path: fullPath,
    rule,
    message,
  });
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case 'invalid_type':
      if (input === undefined) return error('required', `${field} is required`);
      return error(
        'invalid-type',
        `${field} must be ${typeName(issue.expected)}, not ${describeValue(input)}`,
      );
    case 'too_small':
    case 'too_big': {
      const small = issue.code === 'too_small';
      const bound = Number(small ? issue.minimum : issue.maximum);
      if (issue.origin === 'string') return error('empty-value', `${field} must not be empty`);
      if (issue.origin === 'array') {
        return error('too-few-items', `${field} must have at least ${bound} item${bound === 1 ? '' : 's'}`);
      }
      const relation = small
        ? issue.inclusive
          ? 'at least'
          : 'more than'
        : issue.inclusive
          ? 'at most'
          : 'less than';
      return error('out-of-range', `${field} must be ${relation} ${bound}, not ${describeValue(input)}`);
    }
    case 'invalid_value':
      return error(
        'invalid-enum',
        `${field} must be one of ${issue.values.map(v => String(v)).join(', ')}, not ${describeValue(input)}`,
      );
    case 'custom': {
      const rule = (issue.params as { rule?: unknown } | undefined)?.rule;
      return error(typeof rule === 'string' ? rule : 'invalid-value', `${field} ${issue.message}`);
    }
    default:
      return error('invalid-value', `${field}: ${issue.message}`);
  }
}

function typeName(expected: string): string {
  switch (expected) {
    case 'int':
      return 'a whole number';
    case 'number':
      return 'a number';
    case 'string':
      return 'a string';
    case 'boolean':
      return 'true or false';
    case 'array':
      return 'a list';
    case 'object':
    case 'record':
      return 'a map';
    default:
      return expected;
  }
}

function describeValue(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (isPlainObject(value)) return 'a map';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

function unknownField(schema: z.ZodType, path: FieldPath, key: string, basePath: FieldPath): FieldIssue {
  const known = knownKeysAt(schema, path);
  const suggestion = suggest(key, known);
  return {
    severity: 'warning',
    path: [...basePath, ...path, key],
    rule: 'unknown-field',
    message:
      `unknown field '${key}' is ignored (Kubernetes would drop it)` +
      (suggestion === undefined ? '' : `; did you mean '${suggestion}'?`),
  };
}

interface DefView {
  readonly type: string;
  readonly shape?: Record<string, z.ZodType>;
  readonly innerType?: z.ZodType;
  readonly element?: z.ZodType;
  readonly valueType?: z.ZodType;
  readonly in?: z.ZodType;
}

function defOf(schema: z.ZodType): DefView {
  return (schema as unknown as { _zod: { def: DefView } })._zod.def;
}

/** Field names the schema allows at `path` (following optionals, arrays and maps). */
function knownKeysAt(schema: z.ZodType, path: FieldPath): string[] {
  let node: z.ZodType | undefined = schema;
  let index = 0;
  while (node !== undefined) {
    const def = defOf(node);
    if (def.innerType !== undefined) {
      node = def.innerType;
    } else if (def.type === 'pipe') {
      node = def.in;
    } else if (index === path.length) {
      return def.type === 'object' ? Object.keys(def.shape ?? {}) : [];
    } else if (def.type === 'object') {
      node = def.shape?.[String(path[index++])];
    } else if (def.type === 'array') {
      node = def.element;
      index++;
    } else if (def.type === 'record') {
      node = def.valueType;
      index++;
    } else {
      return [];
    }
  }
  return [];
}

function suggest(key: string, known: readonly string[]): string | undefined {
  const camel = key.replace(/[_-]([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  const lower = key.toLowerCase();
  const exact = known.find(k => k === camel || k.toLowerCase() === lower);
  if (exact !== undefined) return exact;
  const extended = key.length >= 4 ? known.find(k => k.toLowerCase().startsWith(lower)) : undefined;
  if (extended !== undefined) return extended;
  let best: string | undefined;
  let bestDistance = Math.min(3, Math.floor(key.length / 3) + 1);
  for (const candidate of known) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current.push(
        Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost),
      );
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
