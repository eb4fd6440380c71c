/**
 * encodeSnapshot with a memory: a resource whose content did not change since the last snapshot is
 * not encoded again, and keeps the very same XdsResource object (so ResourceSnapshot reuses its digest
 * and wire bytes too). An edit of one MetaRouter among 10,000 services re-encodes one route table.
 */
import { encodeSnapshot, type ProxySnapshot, type XdsResource } from '../../xds/index.js';

type Kind = 'clusters' | 'endpoints' | 'listeners' | 'routes';

/** The snapshot's parts in encodeSnapshot's output order. */
const KINDS: readonly Kind[] = ['clusters', 'endpoints', 'listeners', 'routes'];

export class ResourceEncoder {
  /** Encoded resources of the last snapshot by kind, keyed by the JSON of the resource. */
  private previous = new Map<Kind, Map<string, XdsResource>>();
  private encodedCount = 0;

  /** How many resources were actually encoded (not found unchanged) since this encoder was made. */
  get encoded(): number {
    return this.encodedCount;
  }

  /** What encodeSnapshot(snapshot) returns, reusing the unchanged resources of the last call. */
  encode(snapshot: ProxySnapshot): XdsResource[] {
    const keys = new Map<Kind, string[]>();
    const missing: { [K in Kind]: ProxySnapshot[K][number][] } = {
      clusters: [],
      endpoints: [],
      listeners: [],
      routes: [],
    };
    for (const kind of KINDS) {
      const seen = this.previous.get(kind);
      const list: string[] = [];
      keys.set(kind, list);
      const wanted = new Set<string>();
      for (const resource of snapshot[kind]) {
        const key = JSON.stringify(resource);
        list.push(key);
        if (seen?.has(key) === true || wanted.has(key)) continue;
        wanted.add(key);
        (missing[kind] as unknown[]).push(resource);
      }
    }
    // encodeSnapshot keeps its input order within each kind, kinds in KINDS order.
    const fresh = encodeSnapshot({ version: '', ...missing });
    this.encodedCount += fresh.length;
    let next = 0;
    const out: XdsResource[] = [];
    const current = new Map<Kind, Map<string, XdsResource>>();
    for (const kind of KINDS) {
      const seen = this.previous.get(kind);
      const byKey = new Map<string, XdsResource>();
      current.set(kind, byKey);
      for (const key of keys.get(kind) ?? []) {
        let resource = seen?.get(key) ?? byKey.get(key);
        if (resource === undefined) {
          resource = fresh[next++];
          if (resource === undefined) throw new Error(`encodeSnapshot returned too few ${kind}`);
        }
        byKey.set(key, resource);
        out.push(resource);
      }
    }
    this.previous = current;
    return out;
  }
}
