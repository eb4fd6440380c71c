/**
 * Translation with a memo, through the reload path the control plane uses (one FileSource listed
 * again after an edit): the result always equals a fresh translation, what the edit did not touch
 * keeps its objects, and what it touched (directly or through a lookup) is rebuilt.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { buildConfig, FileSource, translate } from '../../../../src/control-plane/index.js';
import type { ConfigSet } from '../../../../src/control-plane/index.js';
import { TranslationMemo } from '../../../../src/control-plane/translate/translation-memo.js';
import type { ProxySnapshot } from '../../../../src/xds/index.js';
import { configDir, serviceEntry } from '../temp-config.js';

const HELLO = 'hello.demo.svc.cluster.local';
const WORLD = 'world.demo.svc.cluster.local';

function router(host: string, subset: string, weightTo = ''): string {
  const route =
    weightTo === ''
      ? `        - destination: {host: ${host}, subset: ${subset}}`
      : `        - destination: {host: ${host}, subset: ${subset}}\n          weight: 50\n        - destination: {host: ${weightTo}}\n          weight: 50`;
  return `apiVersion: metaprotocol.aeraki.io/v1alpha1
kind: MetaRouter
metadata: {name: ${host.split('.')[0]}, namespace: demo}
spec:
  hosts: [${host}]
  routes:
    - name: main
      route:
${route}
`;
}

function rule(host: string, hashOn = ''): string {
  return `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ${host.split('.')[0]}, namespace: demo}
spec:
  host: ${host}
${hashOn === '' ? '' : `  trafficPolicy:\n    loadBalancer:\n      consistentHash: {httpHeaderName: ${hashOn}}\n`}  subsets:
    - {name: v1, labels: {version: v1}}
    - {name: v2, labels: {version: v2}}
`;
}

const files = {
  'hello/service.yaml': serviceEntry({ name: 'hello', host: HELLO, address: '127.0.0.9' }),
  'hello/rule.yaml': rule(HELLO),
  'hello/router.yaml': router(HELLO, 'v1'),
  'world/service.yaml': serviceEntry({ name: 'world', host: WORLD, address: '127.0.0.10' }),
  'world/rule.yaml': rule(WORLD),
  'world/router.yaml': router(WORLD, 'v1'),
};

/** Every resource of a snapshot by kind and name. */
function byName(snapshot: ProxySnapshot): Map<string, object> {
  const out = new Map<string, object>();
  for (const l of snapshot.listeners) out.set(`listener ${l.name}`, l);
  for (const c of snapshot.clusters) out.set(`cluster ${c.name}`, c);
  for (const e of snapshot.endpoints) out.set(`endpoints ${e.clusterName}`, e);
  for (const r of snapshot.routes) out.set(`routes ${r.name}`, r);
  return out;
}

/** Names of the resources of `after` that are not the very objects of `before`. */
function rebuilt(before: ProxySnapshot, after: ProxySnapshot): string[] {
  const old = byName(before);
  return [...byName(after)].filter(([name, resource]) => old.get(name) !== resource).map(([name]) => name);
}

describe('translation memo', () => {
  test('reuses exactly what an edit did not touch, and always equals a fresh translation', async () => {
    const dir = configDir(files);
    const source = new FileSource(dir);
    const memo = new TranslationMemo();
    const load = async (): Promise<ConfigSet> => {
      const loaded = buildConfig(await source.list());
      assert.deepEqual(
        loaded.issues.filter(i => i.severity === 'error'),
        [],
      );
      return loaded.config;
    };
    const step = async (edit: () => void): Promise<{ before: ProxySnapshot; after: ProxySnapshot }> => {
      const before = translate(await load(), memo);
      edit();
      const config = await load();
      const after = translate(config, memo);
      const fresh = translate(config);
      assert.deepEqual(after, fresh, 'the memo never changes the result');
      assert.equal(after.version, fresh.version);
      return { before, after };
    };

    // Nothing changed: every resource is the same object.
    const same = await step(() => undefined);
    assert.deepEqual(rebuilt(same.before, same.after), []);
    assert.equal(memo.built, 0);

    // A MetaRouter edit: that service port's route table and listener (which carries the router's rate
    // limits), nothing else.
    const routed = await step(() => writeFileSync(join(dir, 'hello/router.yaml'), router(HELLO, 'v2')));
    assert.deepEqual(rebuilt(routed.before, routed.after), [
      'listener 127.0.0.9_9090',
      `routes ${HELLO}_9090`,
    ]);

    // A DestinationRule edit that changes hashing: its clusters, and every service port whose routes
    // go to its host (hello's own, and world's once world splits traffic to hello).
    await step(() => writeFileSync(join(dir, 'world/router.yaml'), router(WORLD, 'v1', HELLO)));
    const hashed = await step(() => writeFileSync(join(dir, 'hello/rule.yaml'), rule(HELLO, 'method')));
    assert.deepEqual(
      rebuilt(hashed.before, hashed.after).sort(),
      [
        `cluster outbound|9090|v1|${HELLO}`,
        `cluster outbound|9090|v2|${HELLO}`,
        `cluster outbound|9090||${HELLO}`,
        `endpoints outbound|9090|v1|${HELLO}`,
        `endpoints outbound|9090|v2|${HELLO}`,
        `endpoints outbound|9090||${HELLO}`,
        'listener 127.0.0.10_9090',
        'listener 127.0.0.9_9090',
        `routes ${HELLO}_9090`,
        `routes ${WORLD}_9090`,
      ].sort(),
    );

    // A ServiceEntry edit (new address): its listener, route table and clusters; world's route table
    // only looked hello's host up, which still resolves the same, so it stays.
    const moved = await step(() =>
      writeFileSync(
        join(dir, 'hello/service.yaml'),
        serviceEntry({ name: 'hello', host: HELLO, address: '127.0.0.19' }),
      ),
    );
    const changed = rebuilt(moved.before, moved.after);
    assert.ok(changed.includes('listener 127.0.0.19_9090'));
    assert.ok(changed.includes(`routes ${HELLO}_9090`));
    assert.ok(changed.includes(`cluster outbound|9090|v1|${HELLO}`));
    assert.ok(!changed.some(name => name.includes(WORLD)), changed.join(', '));
    assert.ok(!moved.after.listeners.some(l => l.name === '127.0.0.9_9090'), 'the old listener is gone');

    // A removed MetaRouter: hello falls back to its default route.
    const unrouted = await step(() => writeFileSync(join(dir, 'hello/router.yaml'), ''));
    assert.deepEqual(rebuilt(unrouted.before, unrouted.after), [
      'listener 127.0.0.19_9090',
      `routes ${HELLO}_9090`,
    ]);
  });
});
