/**
 * The indexed lookups of ConfigIndex give the same answers as a scan of every object (the way they
 * were computed before the index), on every golden and invalid config and on a config that mixes
 * exact, short and wildcard hosts across namespaces.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { DestinationRule, MetaRouter } from '../../../../src/api/index.js';
import { loadConfig } from '../../../../src/control-plane/index.js';
import type { ConfigObject, ConfigSet } from '../../../../src/control-plane/model/config-set.js';
import { ConfigIndex, hostMatches } from '../../../../src/control-plane/model/config-index.js';
import { CONFIG_FIXTURES } from '../fixtures.js';
import { configDir, serviceEntry } from '../temp-config.js';

/** The scan: every DestinationRule tested against the host, most specific first, then config order. */
function scanDestinationRules(config: ConfigSet, host: string): ConfigObject<DestinationRule>[] {
  const rank = (dr: ConfigObject<DestinationRule>): number =>
    dr.resource.spec.host.startsWith('*') ? dr.resource.spec.host.length : Number.MAX_SAFE_INTEGER;
  return config.destinationRules
    .filter(dr => hostMatches(dr.resource.spec.host, dr.namespace, host))
    .map((dr, order) => ({ dr, order, rank: rank(dr) }))
    .sort((a, b) => b.rank - a.rank || a.order - b.order)
    .map(x => x.dr);
}

/** The scan: every MetaRouter whose first host resolves to `host`, in config order. */
function scanMetaRouters(config: ConfigSet, index: ConfigIndex, host: string): ConfigObject<MetaRouter>[] {
  return config.metaRouters.filter(router => {
    const written = router.resource.spec.hosts[0];
    return written !== undefined && index.resolveHost(written, router.namespace) === host;
  });
}

/** Every host the config mentions, plus a few it does not. */
function hostsOf(config: ConfigSet): string[] {
  const hosts = new Set<string>(['nowhere.example.com', 'x.y.svc.cluster.local']);
  for (const se of config.serviceEntries) for (const h of se.resource.spec.hosts) hosts.add(h);
  for (const dr of config.destinationRules) hosts.add(dr.resource.spec.host);
  for (const mr of config.metaRouters) for (const h of mr.resource.spec.hosts) hosts.add(h);
  return [...hosts];
}

async function assertSameAnswers(dir: string): Promise<void> {
  const { config } = await loadConfig(dir);
  const index = new ConfigIndex(config);
  for (const host of hostsOf(config)) {
    assert.deepEqual(
      index.destinationRulesFor(host),
      scanDestinationRules(config, host),
      `rules for ${host}`,
    );
    assert.deepEqual(index.metaRoutersFor(host), scanMetaRouters(config, index, host), `routers for ${host}`);
  }
}

function fixtureDirs(kind: 'golden' | 'invalid'): string[] {
  const root = join(CONFIG_FIXTURES, kind);
  return readdirSync(root, { withFileTypes: true })
    .filter(e => e.isDirectory())
    .map(e => join(root, e.name))
    .sort();
}

describe('ConfigIndex answers as a scan does', () => {
  for (const dir of [...fixtureDirs('golden'), ...fixtureDirs('invalid')]) {
    test(dir.slice(CONFIG_FIXTURES.length + 1), () => assertSameAnswers(dir));
  }

  test('exact, short and wildcard hosts in several namespaces', async () => {
    const rule = (
      name: string,
      namespace: string,
      host: string,
    ): string => `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: ${name}, namespace: ${namespace} }
spec:
  host: "${host}"
`;
    const router = (
      name: string,
      namespace: string,
      host: string,
    ): string => `apiVersion: metaprotocol.aeraki.io/v1alpha1
kind: MetaRouter
metadata: { name: ${name}, namespace: ${namespace} }
spec:
  hosts: ["${host}"]
  routes:
    - route: [{ destination: { host: "${host}" } }]
`;
    const dir = configDir({
      'se.yaml': [
        serviceEntry({ name: 'a', host: 'a.demo.svc.cluster.local', address: '10.0.0.1' }),
        serviceEntry({
          name: 'b',
          host: 'b.other.svc.cluster.local',
          address: '10.0.0.2',
          namespace: 'other',
        }),
        serviceEntry({ name: 'c', host: 'c.example.com', address: '10.0.0.3' }),
        serviceEntry({ name: 'd', host: 'short', address: '10.0.0.4' }),
      ].join('---\n'),
      'dr.yaml': [
        rule('wide', 'demo', '*.svc.cluster.local'),
        rule('narrow', 'demo', '*.demo.svc.cluster.local'),
        rule('a-short', 'demo', 'a'),
        rule('a-full', 'other', 'a.demo.svc.cluster.local'),
        rule('b-short-wrong-ns', 'demo', 'b'),
        rule('b-short', 'other', 'b'),
        rule('c', 'demo', 'c.example.com'),
        rule('short', 'demo', 'short'),
      ].join('---\n'),
      'mr.yaml': [
        router('a1', 'demo', 'a'),
        router('a2', 'other', 'a.demo.svc.cluster.local'),
        router('b1', 'demo', 'b'),
        router('b2', 'other', 'b'),
        router('c', 'demo', 'c.example.com'),
        router('short', 'demo', 'short'),
      ].join('---\n'),
    });
    await assertSameAnswers(dir);
    const { config } = await loadConfig(dir);
    const index = new ConfigIndex(config);
    const names = (host: string): string[] => index.destinationRulesFor(host).map(dr => dr.key);
    assert.deepEqual(names('a.demo.svc.cluster.local'), [
      'demo/a-short',
      'other/a-full',
      'demo/narrow',
      'demo/wide',
    ]);
    assert.deepEqual(
      index.metaRoutersFor('a.demo.svc.cluster.local').map(r => r.key),
      ['demo/a1', 'other/a2'],
    );
  });
});
