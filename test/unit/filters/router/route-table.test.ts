import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Metadata } from '../../../../src/codec/index.js';
import { RouteTable } from '../../../../src/filters/router/route-table.js';
import type { RouteResource } from '../../../../src/xds/resources.js';

function route(name: string, overrides: Partial<RouteResource>): RouteResource {
  return {
    name,
    match: [],
    action: { cluster: name },
    hashPolicy: [],
    mirrors: [],
    requestMutation: [],
    responseMutation: [],
    ...overrides,
  };
}

function meta(values: Record<string, string>): Metadata {
  const m = new Metadata();
  for (const [k, v] of Object.entries(values)) m.set(k, v);
  return m;
}

describe('RouteTable', () => {
  const table = new RouteTable({
    name: 't',
    routes: [
      route('exact-and-prefix', {
        match: [
          { name: 'method', kind: 'exact', value: 'sayHello' },
          { name: 'interface', kind: 'prefix', value: 'org.apache' },
        ],
      }),
      route('regex', { match: [{ name: 'method', kind: 'regex', value: '^s.*o$' }] }),
      route('present', { match: [{ name: 'x-canary', kind: 'present' }] }),
      route('catch-all', {}),
    ],
  });

  test('all matchers of a route must match (AND), first matching route wins', () => {
    assert.equal(
      table.match(meta({ method: 'sayHello', interface: 'org.apache.Demo' }))?.name,
      'exact-and-prefix',
    );
    assert.equal(table.match(meta({ method: 'sayHello', interface: 'com.other' }))?.name, 'regex');
  });

  test('regex matches the whole value with RE2 semantics', () => {
    assert.equal(table.match(meta({ method: 'sayNo' }))?.name, 'regex');
    assert.equal(table.match(meta({ method: 'xsayNo' }))?.name, 'catch-all', '^ anchors');
    assert.equal(table.match(meta({ method: 'sayNope' }))?.name, 'catch-all', 'whole value');
  });

  test('presence matches any value, including empty', () => {
    assert.equal(table.match(meta({ 'x-canary': '' }))?.name, 'present');
  });

  test('regexes RE2 rejects cannot be compiled', () => {
    assert.throws(
      () =>
        new RouteTable({
          name: 'bad',
          routes: [route('r', { match: [{ name: 'a', kind: 'regex', value: '(a)\\1' }] })],
        }),
    );
  });

  test('explain says why earlier routes did not match', () => {
    const explained = table.explain(meta({ method: 'other' }));
    assert.equal(explained.matched, 'catch-all');
    assert.deepEqual(explained.skipped[0]!.reasons, [
      "attribute 'method' is 'other', not 'sayHello'",
      "attribute 'interface' is absent",
    ]);
  });

  test('weighted clusters follow their weights', () => {
    const split = new RouteTable({
      name: 's',
      routes: [
        route('split', {
          action: {
            weightedClusters: [
              { name: 'a', weight: 20 },
              { name: 'b', weight: 80 },
            ],
            totalWeight: 100,
          },
        }),
      ],
    }).routes[0]!;
    const n = 20000;
    let a = 0;
    for (let i = 0; i < n; i++) if (split.pickCluster() === 'a') a++;
    // Binomial(n, 0.2): a 99.9% two-sided bound is ±3.29 standard deviations.
    const sd = Math.sqrt(n * 0.2 * 0.8);
    assert.ok(Math.abs(a - n * 0.2) <= 3.29 * sd, `a=${a}`);
  });

  test('hash keys ignore the order of hash-policy keys', () => {
    const r1 = new RouteTable({ name: 'h', routes: [route('h', { hashPolicy: ['a', 'b'] })] }).routes[0]!;
    const r2 = new RouteTable({ name: 'h', routes: [route('h', { hashPolicy: ['b', 'a'] })] }).routes[0]!;
    const m = meta({ a: 'x', b: 'y' });
    assert.equal(r1.hashKey(m), r2.hashKey(m));
    assert.notEqual(r1.hashKey(m), r1.hashKey(meta({ a: 'x', b: 'z' })));
  });
});
