/**
 * An immutable set of xDS resources for one proxy (or all), grouped by type, each resource encoded
 * once: its digest, its bytes ready to splice into a DiscoveryResponse, and the clusters it names.
 * A type's version is a hash of its content (names and digests), so equal content gives equal
 * versions on every control-plane replica and any change gives a new one.
 */
import { createHash, hash } from 'node:crypto';
import { AerakiError, ErrorCodes } from '../../errors.js';
import { ChunkedHash } from '../chunked-hash.js';
import {
  responseResourceSize,
  routeConfigurationClusterRefs,
  TypeUrls,
  writeResponseResource,
  type XdsResource,
} from '../../xds/index.js';

/** One resource of a snapshot. */
export interface SnapshotEntry {
  readonly name: string;
  readonly typeUrl: string;
  /** Hash of the encoded resource (128 bits of SHA-256, hex). */
  readonly digest: string;
  /** The resource as DiscoveryResponse field 2 (an Any). */
  readonly wire: Buffer;
  readonly clusterRefs: readonly string[];
}

/** The resources of one type. */
export interface TypeResources {
  readonly version: string;
  /** By name, in name order. */
  readonly entries: ReadonlyMap<string, SnapshotEntry>;
}

const byName = (a: SnapshotEntry, b: SnapshotEntry): number =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

/** Content version of a list of entries: a hash of their names and digests in name order. */
export function versionOf(entries: Iterable<SnapshotEntry>): string {
  return versionOfSorted([...entries].sort(byName));
}

function versionOfSorted(sorted: readonly SnapshotEntry[]): string {
  const hash = new ChunkedHash();
  for (const e of sorted) hash.add(e.name).add('\0').add(e.digest).add('\n');
  return hash.hex(16);
}

/** Whether `type` holds exactly `sorted` (the same entry objects, in name order). */
function holdsExactly(type: TypeResources, sorted: readonly SnapshotEntry[]): boolean {
  if (type.entries.size !== sorted.length) return false;
  let i = 0;
  for (const entry of type.entries.values()) if (entry !== sorted[i++]) return false;
  return true;
}

/** Shared by the entries that name no cluster (clusters and endpoints: most of them). */
const NO_REFS: readonly string[] = [];

/**
 * 128 bits of SHA-256 are plenty to tell contents apart, and written out (not a slice of the whole
 * 64-digit hex, which a slice keeps alive) they take 48 bytes instead of 80 per resource. The hash
 * is of the resource's wire bytes (its Any: type URL and value), in one call: a Hash object per
 * resource cost a third more at 80,000 resources.
 */
function wireDigest(wire: Buffer): string {
  return hash('sha256', wire, 'buffer').toString('hex', 0, 16);
}

function clusterRefsOf(resource: XdsResource): readonly string[] {
  let refs = resource.clusterRefs;
  if (refs === undefined && resource.typeUrl === TypeUrls.routeConfiguration) {
    try {
      refs = routeConfigurationClusterRefs(resource.value);
    } catch {
      // Undecodable: the proxy will NACK it; it names nothing we can keep alive.
    }
  }
  return refs === undefined || refs.length === 0 ? NO_REFS : refs;
}

/**
 * Entries by the resource they were made from: a resource handed over again unchanged (the same
 * object, as ResourceEncoder does) is not hashed and wrapped again.
 */
const entries = new WeakMap<XdsResource, SnapshotEntry>();

/**
 * An entry whose wire bytes are a range of the allocation they were written into (see makeEntries).
 * The view is made when asked for (a response is assembled once and shared): kept, a view per entry
 * would weigh about 80 bytes each, 6 MB at 10,000 services.
 */
class SlabEntry implements SnapshotEntry {
  constructor(
    readonly name: string,
    readonly typeUrl: string,
    readonly digest: string,
    readonly clusterRefs: readonly string[],
    private readonly slab: Buffer,
    private readonly start: number,
    private readonly end: number,
  ) {}

  get wire(): Buffer {
    return this.slab.subarray(this.start, this.end);
  }
}

/** An encoded resource whose value is the tail of its entry's wire bytes, viewed when read. */
class EntryResource implements XdsResource {
  declare readonly clusterRefs?: readonly string[];

  constructor(
    readonly typeUrl: string,
    readonly name: string,
    clusterRefs: readonly string[] | undefined,
    private readonly entry: SlabEntry,
    private readonly valueLength: number,
  ) {
    if (clusterRefs !== undefined) this.clusterRefs = clusterRefs;
  }

  get value(): Buffer {
    const wire = this.entry.wire;
    return wire.subarray(wire.length - this.valueLength);
  }
}

/**
 * Entries for new resources, their wire bytes written side by side into one exact allocation: no
 * per-resource buffers to collect (at 10,000 services, 80,000 resources and 31 MB), and no slice of
 * Node's shared pool keeping a slab of garbage alive.
 */
function makeEntries(resources: readonly XdsResource[], remember: boolean): SlabEntry[] {
  let total = 0;
  const sizes = resources.map(r => responseResourceSize(r.typeUrl, r.value.length));
  for (const size of sizes) total += size;
  const slab = Buffer.allocUnsafeSlow(total);
  let offset = 0;
  return resources.map((resource, i) => {
    const end = writeResponseResource(slab, offset, resource.typeUrl, resource.value);
    if (end - offset !== sizes[i]) throw new Error(`resource ${resource.name}: wire size mismatch`);
    const entry = new SlabEntry(
      resource.name,
      resource.typeUrl,
      wireDigest(slab.subarray(offset, end)),
      clusterRefsOf(resource),
      slab,
      offset,
      end,
    );
    offset = end;
    if (remember) entries.set(resource, entry);
    return entry;
  });
}

/**
 * Makes the snapshot entries of freshly encoded resources now, and returns the resources with their
 * `value` viewed, when read, in the entry's wire bytes (same content). Whoever keeps the resources (the
 * ResourceEncoder keeps them to hand unchanged ones over again) then holds no second copy of them, and
 * ResourceSnapshot.from finds their entries made.
 */
export function withEntries(resources: readonly XdsResource[]): XdsResource[] {
  // The resources given are dropped for the ones returned: only those are remembered.
  const made = makeEntries(resources, false);
  return resources.map((resource, i) => {
    const entry = made[i]!;
    const shared = new EntryResource(
      resource.typeUrl,
      resource.name,
      resource.clusterRefs,
      entry,
      resource.value.length,
    );
    entries.set(shared, entry);
    return shared;
  });
}

export class ResourceSnapshot {
  /** Resources by type URL. */
  readonly types: ReadonlyMap<string, TypeResources>;
  /** Hash of every type's version: identifies the whole snapshot. */
  readonly version: string;

  private constructor(types: Map<string, TypeResources>) {
    this.types = types;
    const hash = createHash('sha256');
    for (const [typeUrl, t] of [...types].sort(([a], [b]) => (a < b ? -1 : 1)))
      hash.update(`${typeUrl}=${t.version}\n`);
    this.version = hash.digest('hex').slice(0, 16);
  }

  /**
   * Builds a snapshot. Throws AERAKI_ERR_XDS_INCONSISTENT_SNAPSHOT when a resource names a cluster the
   * set does not contain, and AERAKI_ERR_XDS_INVALID_RESOURCE for a duplicate or empty name.
   *
   * A type whose entries are exactly those of `previous` keeps `previous`'s TypeResources (its map and
   * version): an edit of one MetaRouter among 10,000 services builds one type's map of 10,000 route
   * tables, not four maps of 80,000 resources, and the ADS server sees the others unchanged at once.
   *
   * `invisibleClusters` may be named without being in the set: the clusters of services a scope of
   * proxies may not see, which its routes still name (as an Envoy route names a cluster it lacks).
   */
  static from(
    resources: Iterable<XdsResource>,
    previous?: ResourceSnapshot,
    invisibleClusters?: ReadonlySet<string>,
  ): ResourceSnapshot {
    const all = [...resources];
    const fresh: XdsResource[] = [];
    for (const resource of all) {
      if (resource.name === '') {
        throw new AerakiError(ErrorCodes.XDS_INVALID_RESOURCE, `a ${resource.typeUrl} resource has no name`);
      }
      if (!entries.has(resource)) fresh.push(resource);
    }
    if (fresh.length > 0) makeEntries(fresh, true);
    const byType = new Map<string, SnapshotEntry[]>();
    for (const resource of all) {
      const entry = entries.get(resource);
      if (entry === undefined) throw new Error(`no entry for ${resource.name}`);
      const list = byType.get(resource.typeUrl) ?? [];
      list.push(entry);
      byType.set(resource.typeUrl, list);
    }
    const types = new Map<string, TypeResources>();
    // Types made anew have their cluster references checked; a kept type's were checked against the
    // same clusters, unless the clusters are new too.
    const made = new Set<TypeResources>();
    for (const [typeUrl, list] of byType) {
      list.sort(byName);
      const kept = previous?.types.get(typeUrl);
      if (kept !== undefined && holdsExactly(kept, list)) {
        types.set(typeUrl, kept);
        continue;
      }
      const entries = new Map<string, SnapshotEntry>();
      for (const e of list) {
        if (entries.has(e.name)) {
          throw new AerakiError(
            ErrorCodes.XDS_INVALID_RESOURCE,
            `duplicate ${typeUrl} resource ${JSON.stringify(e.name)}`,
          );
        }
        entries.set(e.name, e);
      }
      const type = { version: versionOfSorted(list), entries };
      types.set(typeUrl, type);
      made.add(type);
    }
    const clusterType = types.get(TypeUrls.cluster);
    const clusters = clusterType?.entries;
    const checkAll = clusterType === undefined || made.has(clusterType);
    const missing: string[] = [];
    for (const t of types.values()) {
      if (!checkAll && !made.has(t)) continue;
      for (const e of t.entries.values()) {
        for (const ref of e.clusterRefs) {
          if (clusters?.has(ref) !== true && invisibleClusters?.has(ref) !== true)
            missing.push(`${e.name} → ${ref}`);
        }
      }
    }
    if (missing.length > 0) {
      throw new AerakiError(
        ErrorCodes.XDS_INCONSISTENT_SNAPSHOT,
        `snapshot names clusters it does not contain: ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', …' : ''}`,
      );
    }
    return new ResourceSnapshot(types);
  }
}
