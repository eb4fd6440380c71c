/**
 * Part of the Kubernetes API stand-in used by the tests (see api-server.ts): the patch types the API
 * server accepts on PATCH, by Content-Type —
 *
 * - `application/merge-patch+json`: JSON Merge Patch (RFC 7386); `kubectl apply` and `edit` send it
 *   for custom resources;
 * - `application/json-patch+json`: JSON Patch (RFC 6902: add, remove, replace, move, copy, test);
 * - `application/strategic-merge-patch+json` (built-in kinds only; 415 for custom resources, as the
 *   real server answers): a merge patch in which lists of objects are merged by their merge key (the
 *   few keys the built-in kinds used here declare), `$patch: delete|replace` directives are honoured
 *   and `$setElementOrder`/`$retainKeys` directives are read but order is not enforced.
 */

type Json = unknown;

function isObject(value: Json): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** RFC 7386. */
export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return patch;
  const out: Record<string, Json> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

/** An error the API server reports as 422 (or 409 for a failed `test`). */
export class PatchError extends Error {
  constructor(
    message: string,
    readonly status = 422,
  ) {
    super(message);
  }
}

function unescape(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new PatchError(`invalid JSON pointer ${JSON.stringify(path)}`);
  return path.slice(1).split('/').map(unescape);
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

function getAt(doc: Json, tokens: readonly string[]): Json {
  let node = doc;
  for (const token of tokens) {
    if (Array.isArray(node)) node = node[Number(token)];
    else if (isObject(node)) node = node[token];
    else return undefined;
  }
  return node;
}

function parentOf(doc: Json, tokens: readonly string[]): { parent: Json; key: string } {
  const parent = getAt(doc, tokens.slice(0, -1));
  if (parent === undefined) throw new PatchError(`path /${tokens.join('/')} has no parent`);
  return { parent, key: tokens[tokens.length - 1] ?? '' };
}

function add(doc: Json, tokens: readonly string[], value: Json): Json {
  if (tokens.length === 0) return value;
  const { parent, key } = parentOf(doc, tokens);
  if (Array.isArray(parent)) {
    const index = key === '-' ? parent.length : Number(key);
    if (!(index >= 0 && index <= parent.length)) throw new PatchError(`index ${key} out of range`);
    parent.splice(index, 0, value);
  } else if (isObject(parent)) parent[key] = value;
  else throw new PatchError(`cannot add at /${tokens.join('/')}`);
  return doc;
}

function remove(doc: Json, tokens: readonly string[]): Json {
  const { parent, key } = parentOf(doc, tokens);
  if (Array.isArray(parent)) {
    const index = Number(key);
    if (!(index >= 0 && index < parent.length)) throw new PatchError(`index ${key} out of range`);
    parent.splice(index, 1);
  } else if (isObject(parent) && key in parent) delete parent[key];
  else throw new PatchError(`missing value at /${tokens.join('/')}`);
  return doc;
}

/** RFC 6902. */
export function jsonPatch(target: Json, operations: Json): Json {
  if (!Array.isArray(operations)) throw new PatchError('a JSON patch must be a list of operations', 400);
  let doc = clone(target);
  for (const op of operations as Array<Record<string, Json>>) {
    const path = pointer(String(op['path'] ?? ''));
    switch (op['op']) {
      case 'add':
        doc = add(doc, path, clone(op['value']));
        break;
      case 'remove':
        doc = remove(doc, path);
        break;
      case 'replace':
        doc = add(remove(doc, path), path, clone(op['value']));
        break;
      case 'move': {
        const from = pointer(String(op['from'] ?? ''));
        const value = getAt(doc, from);
        doc = add(remove(doc, from), path, value);
        break;
      }
      case 'copy':
        doc = add(doc, path, clone(getAt(doc, pointer(String(op['from'] ?? '')))));
        break;
      case 'test':
        if (JSON.stringify(getAt(doc, path)) !== JSON.stringify(op['value']))
          throw new PatchError(`test failed at ${String(op['path'])}`, 422);
        break;
      default:
        throw new PatchError(`unknown JSON patch operation ${JSON.stringify(op['op'])}`, 400);
    }
  }
  return doc;
}

/** Merge keys of the built-in kinds' lists that tests and kubectl patch, by field name. */
const MERGE_KEYS: Readonly<Record<string, string>> = {
  containers: 'name',
  initContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  ports: 'port',
  endpoints: '',
  webhooks: 'name',
  conditions: 'type',
};

/** The merge key of list `field` in `context`: container ports merge by containerPort. */
function mergeKeyOf(field: string, items: readonly Json[]): string | undefined {
  if (field === 'ports' && items.some(i => isObject(i) && 'containerPort' in i)) return 'containerPort';
  const key = MERGE_KEYS[field];
  return key === '' ? undefined : key;
}

/** A strategic merge patch, as far as the built-in kinds used here need it. */
export function strategicMergePatch(target: Json, patch: Json, field = ''): Json {
  if (!isObject(patch)) {
    if (Array.isArray(patch) && Array.isArray(target)) return mergeList(target, patch, field);
    return patch;
  }
  if (patch['$patch'] === 'delete') return undefined;
  if (patch['$patch'] === 'replace') {
    const { $patch: _replace, ...rest } = patch;
    return rest;
  }
  const out: Record<string, Json> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$setElementOrder/') || key === '$retainKeys' || key === '$patch') continue;
    if (key.startsWith('$deleteFromPrimitiveList/')) {
      const name = key.slice('$deleteFromPrimitiveList/'.length);
      const drop = new Set((value as Json[]).map(v => JSON.stringify(v)));
      out[name] = ((out[name] as Json[] | undefined) ?? []).filter(v => !drop.has(JSON.stringify(v)));
      continue;
    }
    if (value === null) {
      delete out[key];
      continue;
    }
    const merged = strategicMergePatch(out[key], value, key);
    if (merged === undefined) delete out[key];
    else out[key] = merged;
  }
  return out;
}

function mergeList(target: readonly Json[], patch: readonly Json[], field: string): Json {
  const key = mergeKeyOf(field, [...target, ...patch]);
  if (key === undefined || !patch.every(isObject)) {
    if (patch.some(p => isObject(p) && p['$patch'] === 'replace'))
      return patch.filter(p => !(isObject(p) && p['$patch'] === 'replace'));
    return patch;
  }
  const out = target.map(clone);
  for (const item of patch as Array<Record<string, Json>>) {
    const index = out.findIndex(t => isObject(t) && t[key] === item[key]);
    if (item['$patch'] === 'delete') {
      if (index >= 0) out.splice(index, 1);
      continue;
    }
    if (index >= 0) out[index] = strategicMergePatch(out[index], item, field);
    else out.push(strategicMergePatch(undefined, item, field));
  }
  return out;
}
