/**
 * Per-proxy pushes, counted on the wire: proxies of four namespaces (real ADS clients, delta and
 * state of the world) synced from a watched copy of the scoping fixture; an edit of a MetaRouter
 * private to one namespace reaches that namespace's proxies, and every other proxy receives no
 * response at all; an edit of one exported to everyone reaches exactly the proxies that see it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { ControlPlane } from '../../src/control-plane/control-plane.js';
import { startAdsProxy, waitFor, type AdsProxy } from './harness/ads-proxies.js';
import { renameOver } from './harness/config-edits.js';
import { repoRoot } from './harness/repo-root.js';

const FIXTURE = join(repoRoot(), 'test', 'fixtures', 'config', 'scoping');
const logger = pino({ level: 'silent' });

interface Proxy extends AdsProxy {
  readonly namespace: string;
}

/** Responses a proxy has received, of every type. */
function received(proxy: Proxy): number {
  let total = 0;
  for (const counters of Object.values(proxy.client.status().updates)) total += counters.attempt;
  return total;
}

/** The routes of one of a proxy's route tables, by name and destination. */
function routesOf(proxy: Proxy, table: string): string[] {
  const found = proxy.snapshot?.routes.find(r => r.name === table);
  return (found?.routes ?? []).map(r => `${r.name} -> ${'cluster' in r.action ? r.action.cluster : 'split'}`);
}

describe('scoped pushes', () => {
  let dir: string;
  let controlPlane: ControlPlane;
  const proxies: Proxy[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aeraki-scoped-'));
    await cp(FIXTURE, dir, { recursive: true });
    controlPlane = new ControlPlane({
      dir,
      logger,
      debounce: { quietPeriodMs: 20, maxDelayMs: 200 },
      source: { rescanIntervalMs: 0 },
    });
    const started = await controlPlane.start('127.0.0.1', 0);
    const port = started.port;
    for (const namespace of ['shop', 'pay', 'ops', 'other']) {
      for (let i = 0; i < 3; i++) {
        const proxy = startAdsProxy({
          target: `127.0.0.1:${port}`,
          api: i === 2 ? 'sotw' : 'delta',
          node: { id: `sidecar~10.1.0.${i}~p${i}.${namespace}~${namespace}.svc.cluster.local` },
        });
        proxies.push(Object.assign(proxy, { namespace }));
      }
    }
    await waitFor('every proxy synced', () =>
      proxies.every(p => p.snapshot !== undefined && (p.snapshot.routes.length ?? 0) > 0),
    );
  });

  after(async () => {
    for (const proxy of proxies) proxy.client.stop();
    await controlPlane?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** Waits until nothing more arrives, then counts what each proxy received. */
  async function settledCounts(): Promise<Map<Proxy, number>> {
    let before = proxies.map(received);
    for (;;) {
      await new Promise(resolve => setTimeout(resolve, 300));
      const now = proxies.map(received);
      if (now.every((n, i) => n === before[i])) return new Map(proxies.map((p, i) => [p, now[i]!]));
      before = now;
    }
  }

  it('pushes an edit of a MetaRouter private to shop to the proxies of shop only', async () => {
    const counts = await settledCounts();
    const table = 'catalog.shop.svc.cluster.local_20880';
    const shop = proxies.filter(p => p.namespace === 'shop');
    for (const p of shop)
      assert.deepEqual(routesOf(p, table), ['shop-v2 -> outbound|20880|v2|catalog.shop.svc.cluster.local']);
    const file = join(dir, 'shop.yaml');
    await renameOver(file, (await readFile(file, 'utf8')).replace('subset: v2 } }]', 'subset: v1 } }]'));
    await waitFor('shop proxies routed to v1', () =>
      shop.every(
        p => routesOf(p, table)[0] === 'shop-v2 -> outbound|20880|v1|catalog.shop.svc.cluster.local',
      ),
    );
    const after = await settledCounts();
    for (const p of proxies) {
      const got = after.get(p)! - counts.get(p)!;
      if (p.namespace === 'shop') assert.ok(got >= 1, `${p.namespace} proxy got the route table`);
      else assert.equal(got, 0, `a proxy of ${p.namespace} received ${got} responses`);
    }
  });

  it('pushes an edit of a MetaRouter exported to everyone to the proxies that see its service', async () => {
    const counts = await settledCounts();
    const table = 'ledger.pay.svc.cluster.local_9091';
    const file = join(dir, 'pay.yaml');
    await renameOver(
      file,
      (await readFile(file, 'utf8')).replace('name: ledger-v1', 'name: ledger-v1-edited'),
    );
    const sees = (p: Proxy): boolean => p.namespace === 'shop' || p.namespace === 'pay';
    await waitFor('shop and pay proxies got the edit', () =>
      proxies.filter(sees).every(p => routesOf(p, table)[0]?.startsWith('ledger-v1-edited') === true),
    );
    const after = await settledCounts();
    for (const p of proxies) {
      const got = after.get(p)! - counts.get(p)!;
      if (sees(p)) assert.ok(got >= 1);
      else assert.equal(got, 0, `a proxy of ${p.namespace} received ${got} responses`);
    }
    // ops and other never had the ledger (exported to pay and shop only).
    for (const p of proxies.filter(q => !sees(q))) assert.deepEqual(routesOf(p, table), []);
  });
});
