import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { AerakiError, ErrorCodes } from '../errors.js';
import type { ProxySnapshot } from '../xds/resources.js';
import { resourceFromJson } from '../xds/resource-json.js';
import { decodeSnapshot } from '../xds/snapshot-codec.js';

/**
 * Reads a static bootstrap: a JSON file holding Envoy v3 resources as JSON objects with `@type`
 * (Listener, Cluster, ClusterLoadAssignment, RouteConfiguration — the format of the golden files and
 * of Envoy's config dumps), either as an array or as `{"resources": [...]}`. The set is validated as an
 * xDS update would be; every problem is reported at once.
 */
export async function readStaticConfig(file: string): Promise<ProxySnapshot> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new AerakiError(ErrorCodes.CONFIG_IO, `cannot read ${file}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new AerakiError(ErrorCodes.CONFIG_PARSE, `${file}: not JSON: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const list = Array.isArray(json) ? json : (json as { resources?: unknown } | null)?.resources;
  if (!Array.isArray(list)) {
    throw new AerakiError(
      ErrorCodes.CONFIG_INVALID,
      `${file}: expected an array of resources or {"resources": [...]}`,
    );
  }
  const errors: string[] = [];
  const resources = list.flatMap((item: unknown, i) => {
    try {
      return [resourceFromJson(item as Record<string, unknown>)];
    } catch (err) {
      errors.push(`resource ${i}: ${(err as Error).message}`);
      return [];
    }
  });
  const version = createHash('sha256').update(text).digest('hex').slice(0, 16);
  const decoded = decodeSnapshot(version, resources);
  errors.push(...decoded.errors);
  if (errors.length > 0 || decoded.snapshot === undefined) {
    throw new AerakiError(ErrorCodes.CONFIG_INVALID, `${file}: invalid config:\n  ${errors.join('\n  ')}`);
  }
  return decoded.snapshot;
}
