/**
 * Where a `--plugin MODULE` argument points: a file (an ES module, or a YAML codec description), a
 * folder holding a package, or the name of an npm package installed where aeraki is started.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { extname, isAbsolute, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AerakiError, ErrorCodes } from '../errors.js';

/** What a plugin argument resolved to. */
export interface PluginEntry {
  /** The argument as given. */
  readonly spec: string;
  /** The absolute path of the file to load. */
  readonly path: string;
  /** Its file URL, for import(). */
  readonly url: string;
  /** An ES module to import, or a declarative codec description to compile. */
  readonly kind: 'module' | 'description';
}

const MODULE_EXTENSIONS = new Set(['.js', '.mjs']);
const DESCRIPTION_EXTENSIONS = new Set(['.yaml', '.yml']);

function loadFailed(spec: string, cause: string, err?: unknown): AerakiError {
  return new AerakiError(
    ErrorCodes.PLUGIN_LOAD_FAILED,
    `plugin '${spec}': ${cause}`,
    err === undefined ? undefined : { cause: err },
  );
}

/** Whether the argument names a file or folder rather than an npm package. */
function isPath(spec: string, cwd: string): boolean {
  if (spec.startsWith('.') || isAbsolute(spec) || spec.startsWith('file:')) return true;
  // `plugin.mjs` or `codecs/memcached.yaml` without a leading ./: a path when it exists.
  return existsSync(resolve(cwd, spec)) && !spec.startsWith('@');
}

/** Resolves `spec` from `cwd`; throws AERAKI_ERR_PLUGIN_LOAD_FAILED naming it and the cause. */
export function resolvePluginEntry(spec: string, cwd: string): PluginEntry {
  if (spec.trim() === '') throw loadFailed(spec, 'empty plugin argument');
  if (isPath(spec, cwd)) {
    const path = spec.startsWith('file:') ? new URL(spec).pathname : resolve(cwd, spec);
    return fromPath(spec, path);
  }
  return fromPath(spec, packageDir(spec, cwd));
}

function fromPath(spec: string, path: string): PluginEntry {
  let stat;
  try {
    stat = statSync(path);
  } catch (err) {
    throw loadFailed(spec, `${path} does not exist`, err);
  }
  if (stat.isDirectory()) return fromPath(spec, packageEntry(spec, path));
  const ext = extname(path).toLowerCase();
  if (MODULE_EXTENSIONS.has(ext)) return { spec, path, url: pathToFileURL(path).href, kind: 'module' };
  if (DESCRIPTION_EXTENSIONS.has(ext)) {
    return { spec, path, url: pathToFileURL(path).href, kind: 'description' };
  }
  throw loadFailed(
    spec,
    `${path} is neither an ES module (.js, .mjs; compile TypeScript first) nor a codec description (.yaml, .yml)`,
  );
}

/** The folder of the package `name` as Node would find it from `cwd` (node_modules up the tree). */
function packageDir(name: string, cwd: string): string {
  const lookup = createRequire(join(cwd, 'aeraki-plugin-lookup.js')).resolve.paths(name) ?? [];
  for (const dir of lookup) {
    const candidate = join(dir, name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
  }
  throw loadFailed(
    name,
    `no file or installed package of that name from ${cwd} (looked in ${lookup.slice(0, 3).join(', ')}${lookup.length > 3 ? ', …' : ''})`,
  );
}

/** The entry file of the package in `dir`: its `exports` (the `import` or `default` condition), else `main`. */
function packageEntry(spec: string, dir: string): string {
  const manifestPath = join(dir, 'package.json');
  if (!existsSync(manifestPath)) {
    throw loadFailed(spec, `${dir} is a folder without a package.json; name the plugin's file instead`);
  }
  let manifest: { exports?: unknown; main?: unknown };
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as typeof manifest;
  } catch (err) {
    throw loadFailed(spec, `${manifestPath} cannot be read: ${(err as Error).message}`, err);
  }
  const target =
    exportTarget(manifest.exports) ?? (typeof manifest.main === 'string' ? manifest.main : 'index.js');
  const path = resolve(dir, target);
  if (relative(dir, path).startsWith('..')) {
    throw loadFailed(spec, `${manifestPath} points outside its package (${target})`);
  }
  return path;
}

/** The root export of a package.json `exports` value, preferring the `import` condition. */
function exportTarget(exports: unknown): string | undefined {
  if (typeof exports === 'string') return exports;
  if (Array.isArray(exports)) {
    for (const item of exports) {
      const target = exportTarget(item);
      if (target !== undefined) return target;
    }
    return undefined;
  }
  if (exports === null || typeof exports !== 'object') return undefined;
  const map = exports as Record<string, unknown>;
  if ('.' in map) return exportTarget(map['.']);
  for (const condition of ['import', 'node', 'default']) {
    if (condition in map) {
      const target = exportTarget(map[condition]);
      if (target !== undefined) return target;
    }
  }
  return undefined;
}
