/**
 * encodeSnapshot with a memory: a resource whose content did not change since the last snapshot is
 * not encoded again, and keeps the very same XdsResource object (so ResourceSnapshot reuses its digest
 * and wire bytes too). An edit of one MetaRouter among 10,000 services re-encodes one route table.
 * One encoder per snapshot served (the whole mesh, each scope of proxies); a translated object any of
 * them encoded is not encoded again by another.
 */
import { encodeSnapshot, type ProxySnapshot, type XdsResource } from '../../xds/index.js';
import { sameJson } from '../same-json.js';
import { withEntries } from './resource-snapshot.js';

export { sameJson };

type Kind = 'clusters' | 'endpoints' | 'listeners' | 'redisListeners' | 'routes';
type Resource = NonNullable<ProxySnapshot[Kind]>[number];

/** Resources encoded per batch (see encode). */
const ENCODE_BATCH = 2000;

/** The snapshot's parts in encodeSnapshot's output order. */
const KINDS: readonly Kind[] = ['clusters', 'endpoints', 'listeners', 'redisListeners', 'routes'];

function nameOf(resource: Resource): string {
  return 'clusterName' in resource ? resource.clusterName : resource.name;
}

interface Encoded {
  readonly resource: Resource;
  readonly encoded: XdsResource;
}

/**
 * Encodings by the translated object they were made from, shared by every encoder: the snapshots of
 * several scopes of proxies hold the same translated objects (a TranslationMemo hands them to each
 * scope that sees the same inputs), and each is encoded, hashed and held once, whatever the scopes.
 */
const encodedObjects = new WeakMap<Resource, XdsResource>();

export class ResourceEncoder {
  /** The resources of the last snapshot and their encodings, by kind and name. */
  private previous = new Map<Kind, Map<string, Encoded>>();
  private encodedCount = 0;

  /** How many resources were actually encoded (not found unchanged) since this encoder was made. */
  get encoded(): number {
    return this.encodedCount;
  }

  /** What encodeSnapshot(snapshot) returns, reusing the unchanged resources of the last call. */
  encode(snapshot: ProxySnapshot): XdsResource[] {
    // One pass finds each resource's previous encoding (kept by the very same Encoded when the
    // resource is the same object, as a TranslationMemo hands it over) and leaves a hole for the rest.
    const out: (XdsResource | undefined)[] = [];
    const holes: number[] = [];
    const missing: Record<Kind, Resource[]> = {
      clusters: [],
      endpoints: [],
      listeners: [],
      redisListeners: [],
      routes: [],
    };
    const current = new Map<Kind, Map<string, Encoded>>();
    for (const kind of KINDS) {
      const seen = this.previous.get(kind);
      const byName = new Map<string, Encoded>();
      current.set(kind, byName);
      for (const resource of snapshot[kind] ?? []) {
        const name = nameOf(resource);
        const known = encodedObjects.get(resource);
        if (known !== undefined) {
          byName.set(name, { resource, encoded: known });
          out.push(known);
          continue;
        }
        const before = seen?.get(name);
        if (before !== undefined && sameJson(before.resource, resource)) {
          encodedObjects.set(resource, before.encoded);
          byName.set(name, before.resource === resource ? before : { resource, encoded: before.encoded });
          out.push(before.encoded);
        } else {
          missing[kind].push(resource);
          holes.push(out.length);
          out.push(undefined);
        }
      }
    }
    // encodeSnapshot keeps its input order within each kind, kinds in KINDS order, so the fresh
    // resources fill the holes in order. Encoded a batch at a time, each batch copied into its wire
    // bytes at once (kept until the resource changes, as views into the snapshot entries' wire
    // bytes): the encoder's own buffers (slices of Node's pool) are garbage batch by batch, not all
    // held until the whole config is encoded.
    let hole = 0;
    for (const kind of KINDS) {
      const byName = current.get(kind)!;
      for (let i = 0; i < missing[kind].length; i += ENCODE_BATCH) {
        const resources = missing[kind].slice(i, i + ENCODE_BATCH);
        const part = { version: '', clusters: [], endpoints: [], listeners: [], routes: [] } as ProxySnapshot;
        const batch = withEntries(encodeSnapshot({ ...part, [kind]: resources }));
        resources.forEach((resource, j) => {
          const encoded = batch[j];
          const name = nameOf(resource);
          if (encoded?.name !== name)
            throw new Error(`encodeSnapshot did not return ${kind} ${name} in order`);
          byName.set(name, { resource, encoded });
          encodedObjects.set(resource, encoded);
          out[holes[hole++]!] = encoded;
        });
      }
    }
    this.encodedCount += hole;
    this.previous = current;
    return out as XdsResource[];
  }
}
