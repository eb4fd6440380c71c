/**
 * An edit translates again only the scopes of proxies it can change (model/scope-changes.ts): the
 * other scopes keep their very snapshot, and every scope's snapshot is the one a control plane
 * started afresh on the edited config serves.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { ControlPlane } from '../../../src/control-plane/control-plane.js';
import type { ResourceSnapshot } from '../../../src/control-plane/cache/resource-snapshot.js';
import { ALL_NODES } from '../../../src/control-plane/cache/snapshot-cache.js';
import { AdsClient } from '../../../src/xds/ads-client.js';
import type { XdsNode } from '../../../src/xds/index.js';
import { renameOver } from '../../e2e/harness/config-edits.js';
import { CONFIG_FIXTURES } from './fixtures.js';
import { configDir } from './temp-config.js';

const SCOPING = join(CONFIG_FIXTURES, 'scoping');
const logger = pino({ enabled: false });

const files: Record<string, string> = {};
for (const name of readdirSync(SCOPING).filter(f => f.endsWith('.yaml')))
  files[name] = readFileSync(join(SCOPING, name), 'utf8');
const dir = configDir(files);

/** One proxy per scope: shop, shop's frontend (its own Sidecar), pay, ops. */
const NODES: readonly XdsNode[] = [
  { id: 'shop-proxy', metadata: { NAMESPACE: 'shop' } },
  { id: 'frontend-proxy', metadata: { NAMESPACE: 'shop', LABELS: { app: 'frontend' } } },
  { id: 'pay-proxy', metadata: { NAMESPACE: 'pay' } },
  { id: 'ops-proxy', metadata: { NAMESPACE: 'ops' } },
];

const controlPlane = new ControlPlane({ dir, logger, source: { rescanIntervalMs: 0 } });
const clients: AdsClient[] = [];
let xdsPort = 0;

async function until(done: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!done()) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Each proxy's scope key and the snapshot served to it, by node id. */
function served(cp: ControlPlane): Map<string, { key: string; snapshot: ResourceSnapshot | undefined }> {
  const out = new Map<string, { key: string; snapshot: ResourceSnapshot | undefined }>();
  cp.server.cache.flush();
  for (const node of NODES) {
    const key = cp.keyFor(node, undefined);
    out.set(node.id, { key, snapshot: cp.server.cache.snapshotOf(key) });
  }
  return out;
}

before(async () => {
  const { port } = await controlPlane.start('127.0.0.1', 0);
  xdsPort = port;
  for (const node of NODES) {
    const client = new AdsClient({
      target: `127.0.0.1:${port}`,
      api: 'delta',
      node,
      logger,
      backoff: { initialMs: 20, maxMs: 100 },
      onSnapshot: async () => {},
    });
    client.start();
    clients.push(client);
  }
  await until(() => controlPlane.server.connectedProxies() === NODES.length, 'the proxies');
});

after(async () => {
  for (const client of clients) client.stop();
  await controlPlane.stop();
});

/** Rewrites `file` with `from` replaced by `to`, and waits until the control plane serves it. */
async function edit(file: string, from: string, to: string): Promise<void> {
  const loaded = controlPlane.configStatus().lastLoad;
  const text = readFileSync(join(dir, file), 'utf8');
  assert.ok(text.includes(from), `${file} holds ${from}`);
  await renameOver(join(dir, file), text.replace(from, to));
  // The whole mesh's version may stay (it ignores exportTo): wait for the load itself.
  await until(() => controlPlane.configStatus().lastLoad !== loaded, 'the edit to be loaded');
  assert.equal(controlPlane.configStatus().lastLoad?.result, 'accepted');
}

/** Every scope's snapshot is what a control plane started on the same files serves. */
async function assertAsFresh(): Promise<void> {
  const fresh = new ControlPlane({ dir, logger, watch: false });
  try {
    await fresh.start(null);
    const expected = served(fresh);
    for (const [node, { key, snapshot }] of served(controlPlane)) {
      assert.equal(key, expected.get(node)!.key);
      assert.equal(snapshot?.version, expected.get(node)!.snapshot?.version, `${node}'s snapshot`);
    }
  } finally {
    await fresh.stop();
  }
}

test('an edit of objects exported to some namespaces translates only their scopes again', async () => {
  await assertAsFresh();
  let before = served(controlPlane);
  const kept = (after: ReturnType<typeof served>, node: string): boolean =>
    after.get(node)!.snapshot === before.get(node)!.snapshot;

  // A router exported to pay only.
  await edit('pay.yaml', 'name: pay-v1', 'name: pay-v1-renamed');
  let after = served(controlPlane);
  assert.deepEqual(
    NODES.map(n => kept(after, n.id)),
    [true, true, false, true],
  );
  await assertAsFresh();

  // A service private to shop: both of shop's scopes, nobody else.
  before = after;
  await edit('shop.yaml', 'address: 127.0.0.1, ports', 'address: 127.0.0.7, ports');
  after = served(controlPlane);
  assert.deepEqual(
    NODES.map(n => kept(after, n.id)),
    [false, false, true, true],
  );
  await assertAsFresh();

  // A router exported to everyone: every scope is translated again (and changes where it sees it).
  before = after;
  await edit('pay.yaml', 'name: ledger-v1', 'name: ledger-v1-renamed');
  await assertAsFresh();

  // A service that stops being exported to shop: shop's scopes lose it.
  before = served(controlPlane);
  await edit('pay.yaml', "exportTo: ['.', shop]", "exportTo: ['.']");
  after = served(controlPlane);
  assert.equal(kept(after, 'shop-proxy'), false);
  assert.equal(kept(after, 'ops-proxy'), true);
  await assertAsFresh();
});

test('the whole mesh is translated for an edit only once asked for while no proxy without a namespace is connected', async () => {
  const { cache } = controlPlane.server;
  const waitForPay = async (): Promise<void> => {
    const before = served(controlPlane).get('pay-proxy')!.snapshot;
    await until(() => served(controlPlane).get('pay-proxy')!.snapshot !== before, 'the edit to reach pay');
  };
  cache.flush();
  const unscoped = cache.snapshotOf(ALL_NODES);
  assert.ok(unscoped !== undefined);
  // A router every namespace sees, so the whole mesh's snapshot changes too.
  const text = readFileSync(join(dir, 'pay.yaml'), 'utf8');
  const edited = waitForPay();
  await renameOver(join(dir, 'pay.yaml'), text.replace('name: ledger-v1-renamed', 'name: ledger-v1-lazy'));
  await edited;
  cache.flush();
  assert.equal(cache.snapshotOf(ALL_NODES), unscoped, 'not made for the edit');

  // A proxy without a namespace is served the edited config from its first response on.
  const received: string[] = [];
  const client = new AdsClient({
    target: `127.0.0.1:${xdsPort}`,
    api: 'delta',
    node: { id: 'mesh-proxy' },
    logger,
    backoff: { initialMs: 20, maxMs: 100 },
    onSnapshot: async snapshot => void received.push(JSON.stringify(snapshot)),
  });
  client.start();
  try {
    await until(() => received.some(r => r.includes('ledger-v1-lazy')), 'the proxy without a namespace');
    assert.ok(
      !received.some(r => r.includes('ledger-v1-renamed')),
      'never served the config before the edit',
    );
    await assertAsFresh();

    // While it is connected, an edit makes the whole mesh's snapshot at once.
    const made = cache.snapshotOf(ALL_NODES);
    const next = waitForPay();
    await renameOver(join(dir, 'pay.yaml'), text.replace('name: ledger-v1-renamed', 'name: ledger-v1-eager'));
    await next;
    cache.flush();
    assert.notEqual(cache.snapshotOf(ALL_NODES), made);
    await until(() => received.at(-1)!.includes('ledger-v1-eager'), 'the edit to reach it');
    const fresh = new ControlPlane({ dir, logger, watch: false });
    try {
      await fresh.start(null);
      assert.equal(cache.snapshotOf(ALL_NODES)?.version, fresh.version);
      assert.equal(controlPlane.version, fresh.version);
      assert.deepEqual(controlPlane.snapshot, fresh.snapshot);
    } finally {
      await fresh.stop();
    }
  } finally {
    client.stop();
  }
});
