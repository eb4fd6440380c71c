/**
 * Scoping golden test: what each of several proxies of test/fixtures/config/scoping receives
 * (listeners, clusters with the DestinationRule policy they got, route tables with their routes),
 * for exportTo on ServiceEntries, DestinationRules and MetaRouters, Sidecar egress hosts, istiod's
 * DestinationRule precedence, and a proxy that names no namespace. Regenerate with
 * `UPDATE_GOLDEN=1`, then review every changed line by hand.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../../../src/control-plane/load-config.js';
import { ConfigIndex } from '../../../../src/control-plane/model/config-index.js';
import { DEFAULT_MESH_OPTIONS } from '../../../../src/control-plane/model/mesh-options.js';
import { proxyInfoFromNode } from '../../../../src/control-plane/model/proxy-info.js';
import { ScopeIndex } from '../../../../src/control-plane/model/proxy-scope.js';
import { translateScope } from '../../../../src/control-plane/translate/translate.js';
import { TranslationMemo } from '../../../../src/control-plane/translate/translation-memo.js';
import type { ProxySnapshot } from '../../../../src/xds/resources.js';
import { CONFIG_FIXTURES } from '../fixtures.js';

const DIR = join(CONFIG_FIXTURES, 'scoping');
const update = process.env['UPDATE_GOLDEN'] === '1';

/** The proxies of the golden file: node id and metadata, as `aeraki proxy` sends them. */
const PROXIES: Record<string, { id: string; metadata?: Record<string, unknown> }> = {
  'shop (cart)': {
    id: 'sidecar~10.0.0.1~cart-1.shop~shop.svc.cluster.local',
    metadata: { LABELS: { app: 'cart' } },
  },
  'shop (frontend)': { id: 'frontend-1', metadata: { NAMESPACE: 'shop', LABELS: { app: 'frontend' } } },
  pay: { id: 'sidecar~10.0.0.2~ledger-1.pay~pay.svc.cluster.local' },
  ops: { id: 'monitor-1', metadata: { NAMESPACE: 'ops' } },
  'other namespace': { id: 'x', metadata: { NAMESPACE: 'other' } },
  'no namespace (whole mesh)': { id: 'local-proxy' },
};

/** What a proxy runs, in a few readable lines per resource. */
function summary(snapshot: ProxySnapshot, invisible: ReadonlySet<string>): unknown {
  return {
    listeners: snapshot.listeners.map(l => `${l.name} -> ${l.routeConfigName}`),
    clusters: snapshot.clusters.map(c => `${c.name} (${c.lbPolicy}, connect ${c.connectTimeoutMs} ms)`),
    routes: Object.fromEntries(
      snapshot.routes.map(r => [
        r.name,
        r.routes.map(route => {
          const action = route.action;
          const to =
            'cluster' in action ? action.cluster : action.weightedClusters.map(w => w.name).join(' + ');
          return `${route.name} -> ${to}`;
        }),
      ]),
    ),
    ...(invisible.size === 0 ? {} : { namedButNotSent: [...invisible].sort() }),
  };
}

describe('proxy scopes (golden)', () => {
  it('sends each proxy what its namespace, identity and Sidecar let it see', async () => {
    const loaded = await loadConfig(DIR);
    assert.deepEqual(
      loaded.issues.filter(i => i.severity === 'error'),
      [],
      'the scoping fixture has no errors',
    );
    const index = loaded.index ?? new ConfigIndex(loaded.config);
    const scopes = new ScopeIndex(index, DEFAULT_MESH_OPTIONS);
    const memo = new TranslationMemo();
    const actual: Record<string, unknown> = {};
    for (const [name, node] of Object.entries(PROXIES)) {
      const scope = scopes.scopeOf(proxyInfoFromNode(node));
      const { snapshot, invisibleClusters } = translateScope(loaded.config, memo, index, scope);
      actual[name] = { scope: scope?.key ?? '*', ...(summary(snapshot, invisibleClusters) as object) };
    }
    const file = join(DIR, 'expected.json');
    if (update) writeFileSync(file, JSON.stringify(actual, null, 2) + '\n');
    assert.deepEqual(actual, JSON.parse(readFileSync(file, 'utf8')));
  });

  it('shares translated resources between scopes that see the same inputs', async () => {
    const loaded = await loadConfig(DIR);
    const index = loaded.index!;
    const scopes = new ScopeIndex(index, DEFAULT_MESH_OPTIONS);
    const memo = new TranslationMemo();
    memo.begin();
    const other = translateScope(
      loaded.config,
      memo,
      index,
      scopes.scopeOf({ nodeId: 'a', claimedNamespace: 'other', labels: {} }),
    );
    const ops = translateScope(
      loaded.config,
      memo,
      index,
      scopes.scopeOf({ nodeId: 'b', claimedNamespace: 'ops', labels: {} }),
    );
    memo.end();
    // Both see catalog with its default route and shop's DestinationRule: the very same objects.
    const table = (s: ProxySnapshot) => s.routes.find(r => r.name.startsWith('catalog'));
    assert.ok(table(other.snapshot) !== undefined);
    assert.equal(table(other.snapshot), table(ops.snapshot));
    const cluster = (s: ProxySnapshot) =>
      s.clusters.find(c => c.name === 'outbound|20880|v1|catalog.shop.svc.cluster.local');
    assert.equal(cluster(other.snapshot), cluster(ops.snapshot));
  });

  it('explains why a proxy does or does not see a service', async () => {
    const loaded = await loadConfig(DIR);
    const scopes = new ScopeIndex(loaded.index!, DEFAULT_MESH_OPTIONS);
    const ops = proxyInfoFromNode({ id: 'm', metadata: { NAMESPACE: 'ops' } });
    const ledger = scopes.explain(ops, 'ledger.pay.svc.cluster.local');
    assert.equal(ledger.visible, false);
    assert.ok(
      ledger.reasons.some(r => r.includes('exportTo: [., shop]') && r.includes('not to ops')),
      ledger.reasons.join('\n'),
    );
    const cart = scopes.explain(
      proxyInfoFromNode({ id: 'f', metadata: { NAMESPACE: 'other' } }),
      'cart.shop.svc.cluster.local',
    );
    assert.equal(cart.visible, false);
    const frontend = proxyInfoFromNode({
      id: 'f',
      metadata: { NAMESPACE: 'shop', LABELS: { app: 'frontend' } },
    });
    const notImported = scopes.explain(frontend, 'ledger.pay.svc.cluster.local');
    assert.equal(notImported.visible, false);
    assert.equal(notImported.sidecar, 'shop/frontend');
    assert.ok(
      notImported.reasons.some(r => r.includes('does not import it')),
      notImported.reasons.join('\n'),
    );
    const catalog = scopes.explain(
      proxyInfoFromNode({ id: 'p', metadata: { NAMESPACE: 'pay' } }),
      'catalog.shop.svc.cluster.local',
    );
    assert.equal(catalog.visible, true);
    assert.equal(catalog.metaRouter, 'pay/catalog-for-pay');
    assert.equal(catalog.destinationRule, 'shop/catalog');
    const identity = scopes.explain(
      proxyInfoFromNode(
        { id: 'sidecar~1.2.3.4~x.shop~shop.svc.cluster.local' },
        {
          namespace: 'ops',
          serviceAccount: 'default',
          trustDomain: 'cluster.local',
          principal: 'spiffe://cluster.local/ns/ops/sa/default',
          method: 'mtls',
        },
      ),
      'cart.shop.svc.cluster.local',
    );
    assert.equal(identity.namespace, 'ops');
    assert.equal(identity.namespaceFrom, 'identity');
    assert.equal(identity.visible, false);
    assert.ok(identity.reasons[0]!.includes('its node claims shop, which is ignored'));
  });
});
