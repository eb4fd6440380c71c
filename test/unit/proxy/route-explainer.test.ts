import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RouteTable } from '../../../src/filters/router/route-table.js';
import { explainRoute, routeTablesForService } from '../../../src/proxy/route-explainer.js';
import type { RouteResource } from '../../../src/xds/resources.js';

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

const table = new RouteTable({
  name: 'svc.ns_9090',
  routes: [
    route('canary-header', { match: [{ name: 'x-canary', kind: 'present' }] }),
    route('say-hello', {
      match: [
        { name: 'method', kind: 'exact', value: 'sayHello' },
        { name: 'version', kind: 'prefix', value: '2.' },
      ],
      requestMutation: [{ key: 'x-routed', value: 'yes' }],
      timeoutMs: 500,
    }),
    route('split', {
      action: {
        weightedClusters: [
          { name: 'v1', weight: 30 },
          { name: 'v2', weight: 50 },
          { name: 'never', weight: 0 },
        ],
        totalWeight: 100,
      },
      mirrors: [{ cluster: 'shadow', percent: 10 }],
    }),
  ],
});

describe('explainRoute', () => {
  test('reports the matching route with its settings and every failed attribute of earlier routes', () => {
    const report = explainRoute(
      table,
      [
        ['Method', 'sayHello'],
        ['version', '2.1'],
      ],
      ['127.0.0.1_9090'],
    );
    assert.equal(report.routeTable, 'svc.ns_9090');
    assert.deepEqual(report.listeners, ['127.0.0.1_9090']);
    assert.deepEqual(report.attributes, { method: 'sayHello', version: '2.1' });
    assert.equal(report.matched?.route, 'say-hello');
    assert.deepEqual(report.matched.destinations, [{ cluster: 'say-hello', weight: 1, percent: 100 }]);
    assert.equal(report.matched.unassignedPercent, 0);
    assert.deepEqual(report.matched.requestMutation, [{ key: 'x-routed', value: 'yes' }]);
    assert.equal(report.matched.timeoutMs, 500);
    assert.deepEqual(report.skipped, [
      { route: 'canary-header', reasons: ["attribute 'x-canary' is absent"] },
    ]);
  });

  test('weighted destinations are shares of the total weight; what no cluster takes is unassigned', () => {
    const report = explainRoute(table, [['method', 'sayHello']], []);
    assert.equal(report.matched?.route, 'split');
    assert.deepEqual(report.matched.destinations, [
      { cluster: 'v1', weight: 30, percent: 30 },
      { cluster: 'v2', weight: 50, percent: 50 },
    ]);
    assert.equal(report.matched.unassignedPercent, 20);
    assert.deepEqual(report.matched.mirrors, [{ cluster: 'shadow', percent: 10 }]);
    assert.deepEqual(report.skipped[1], {
      route: 'say-hello',
      reasons: ["attribute 'version' is absent"],
    });
  });

  test('no match: matched is undefined and every route says why', () => {
    const empty = new RouteTable({
      name: 't',
      routes: [route('only', { match: [{ name: 'method', kind: 'regex', value: 'get.*' }] })],
    });
    const report = explainRoute(empty, [['method', 'put']], []);
    assert.equal(report.matched, undefined);
    assert.deepEqual(report.skipped, [
      { route: 'only', reasons: ["attribute 'method' is 'put', which does not match /get.*/"] },
    ]);
  });
});

describe('routeTablesForService', () => {
  const names = ['a.ns_9090', 'a.ns_9091', 'ab.ns_9090', 'b.ns_20880'];

  test('a host names every port of that host, and only that host', () => {
    assert.deepEqual(routeTablesForService(names, 'a.ns'), ['a.ns_9090', 'a.ns_9091']);
  });

  test('HOST:PORT, a port option, or a table name narrow it to one table', () => {
    assert.deepEqual(routeTablesForService(names, 'a.ns:9091'), ['a.ns_9091']);
    assert.deepEqual(routeTablesForService(names, 'a.ns', 9090), ['a.ns_9090']);
    assert.deepEqual(routeTablesForService(names, 'b.ns_20880'), ['b.ns_20880']);
  });

  test('an unknown host or port names nothing', () => {
    assert.deepEqual(routeTablesForService(names, 'c.ns'), []);
    assert.deepEqual(routeTablesForService(names, 'a.ns:1'), []);
  });
});
