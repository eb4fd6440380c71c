/**
 * Virtual IPs for ServiceEntries without addresses, written back into the entries (Istio mode; only
 * the leader writes). Outbound EnvoyFilters match Istio's listener `<vip>_<port>`, and Istio's own
 * address auto-allocation differs per sidecar scope, so — as the original Aeraki does — each entry
 * gets a stable, mesh-unique address from 240.240.0.0/16 in `spec.addresses`:
 *
 * - only entries with a port Aeraki serves (by port name) are considered: an HTTP entry keeps what
 *   Istio does with it (the original gave every entry of the mesh an address); entries with
 *   `resolution: NONE`, with addresses outside the pool, or that are not ServiceEntry objects
 *   (Services' synthetic entries) are left alone;
 * - an entry without addresses gets the lowest free address, in the original's order: 240.240.0.1,
 *   …, 240.240.0.254, 240.240.1.1, … (last octet 1–254);
 * - an entry whose first address in the pool is held by an older entry (creation time, then
 *   namespace/name) gets a new one.
 *
 * Unlike the original, which kept its allocations in memory and reclaimed an address only when it
 * met the deleted entry's event, the allocations are read back from the entries every round: a new
 * leader or a restart knows every address in use, and a deleted entry's address is free at once.
 *
 * Each write replaces the entry with the resourceVersion read (field manager `aeraki`); a conflict
 * is retried on the next round.
 */
import type { Logger } from 'pino';
import { KubeApiError, type KubeClient, type KubeObject } from '../sources/kubernetes/kube-client.js';
import { collectionPath, WATCHED_KINDS } from '../sources/kubernetes/kinds.js';
import { istioPortFamily } from '../translate/istio/port-family.js';
import { FIELD_MANAGER } from './istio-objects.js';

const POOL_PREFIX = '240.240.';
const LAST_OCTETS = 254;
const POOL_SIZE = 256 * LAST_OCTETS;

/** The pool address of allocation number `n` (0-based). */
export function poolAddress(n: number): string {
  return `${POOL_PREFIX}${Math.floor(n / LAST_OCTETS)}.${(n % LAST_OCTETS) + 1}`;
}

/** The allocation number of a pool address; undefined outside the pool's usable addresses. */
export function poolIndex(address: string): number | undefined {
  const m = /^240\.240\.(\d{1,3})\.(\d{1,3})$/.exec(address);
  if (m === null) return undefined;
  const third = Number(m[1]);
  const fourth = Number(m[2]);
  if (third > 255 || fourth < 1 || fourth > LAST_OCTETS) return undefined;
  return third * LAST_OCTETS + fourth - 1;
}

interface EntrySpec {
  readonly addresses?: readonly string[];
  readonly resolution?: string;
  readonly ports?: readonly { readonly name?: string }[];
}

/** One address to write: which entry, and its new address. */
export interface VipAssignment {
  readonly entry: KubeObject;
  readonly address: string;
}

function createdOrder(a: KubeObject, b: KubeObject): number {
  const ta = String(a.metadata?.['creationTimestamp'] ?? '');
  const tb = String(b.metadata?.['creationTimestamp'] ?? '');
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ka = `${a.metadata?.namespace ?? ''}/${a.metadata?.name ?? ''}`;
  const kb = `${b.metadata?.namespace ?? ''}/${b.metadata?.name ?? ''}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** The addresses to write so that every entry that needs one has its own (pure). */
export function assignVips(entries: readonly KubeObject[]): VipAssignment[] {
  const taken = new Set<number>();
  const needing: KubeObject[] = [];
  for (const entry of [...entries].sort(createdOrder)) {
    if (entry.metadata?.deletionTimestamp !== undefined) continue;
    const spec = (entry['spec'] ?? {}) as EntrySpec;
    if (
      spec.resolution === 'NONE' ||
      !(spec.ports ?? []).some(p => istioPortFamily(p.name ?? '').kind !== 'none')
    )
      continue;
    const first = spec.addresses?.[0];
    if (first === undefined) {
      needing.push(entry);
      continue;
    }
    const index = poolIndex(first);
    if (index === undefined) continue;
    if (taken.has(index)) needing.push(entry);
    else taken.add(index);
  }
  const out: VipAssignment[] = [];
  let next = 0;
  for (const entry of needing) {
    while (next < POOL_SIZE && taken.has(next)) next++;
    if (next >= POOL_SIZE) break;
    taken.add(next);
    out.push({ entry, address: poolAddress(next) });
  }
  return out;
}

export interface VipAllocatorOptions {
  readonly client: KubeClient;
  readonly logger: Logger;
  /** The ServiceEntry objects as last read. */
  readonly entries: () => readonly KubeObject[];
}

const SERVICE_ENTRY = WATCHED_KINDS.find(k => k.kind === 'ServiceEntry')!;

export class VipAllocator {
  private active = false;
  private chain: Promise<void> = Promise.resolve();
  private queued: Promise<void> | undefined;
  /** Addresses written (for tests and `/config`). */
  writes = 0;

  constructor(private readonly options: VipAllocatorOptions) {}

  setActive(active: boolean): void {
    this.active = active;
    if (active) void this.round();
  }

  /** The entries changed (a new config was read). */
  changed(): void {
    if (this.active) void this.round();
  }

  /**
   * One round: assign and write. Rounds run one at a time; a call while one runs queues one more
   * (calls meanwhile share it). Resolves when the round asked for is done.
   */
  round(): Promise<void> {
    if (this.queued !== undefined) return this.queued;
    const next = this.chain.then(() => {
      this.queued = undefined;
      return this.once();
    });
    this.queued = next;
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async once(): Promise<void> {
    for (const { entry, address } of assignVips(this.options.entries())) {
      if (!this.active) return;
      await this.write(entry, address);
    }
  }

  private async write(entry: KubeObject, address: string): Promise<void> {
    const meta = entry.metadata ?? {};
    const version = String(entry.apiVersion ?? '').split('/')[1] ?? 'v1alpha3';
    const path = `${collectionPath(SERVICE_ENTRY, version, meta.namespace)}/${encodeURIComponent(meta.name ?? '')}`;
    const { managedFields: _managed, ...metadata } = meta;
    const spec = { ...(entry['spec'] as object), addresses: [address] };
    try {
      await this.options.client.request('PUT', path, {
        query: { fieldManager: FIELD_MANAGER },
        body: { ...entry, metadata, spec },
      });
      this.writes++;
      this.options.logger.info(
        { serviceEntry: `${meta.namespace ?? ''}/${meta.name ?? ''}`, address },
        'ServiceEntry address allocated',
      );
    } catch (err) {
      // 404: deleted meanwhile; 409: changed meanwhile, the next round sees the change.
      if (err instanceof KubeApiError && (err.status === 404 || err.status === 409)) return;
      this.options.logger.warn(
        { err: (err as Error).message, serviceEntry: `${meta.namespace ?? ''}/${meta.name ?? ''}` },
        'could not write a ServiceEntry address',
      );
    }
  }
}
