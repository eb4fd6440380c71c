/**
 * Partial acceptance in the ADS client, against our ADS server in both variants: a listener the proxy
 * cannot run, or a resource that cannot be decoded, is named in a NACK while everything else in the
 * update is applied and stays applied (no roll-back), and later updates to the good parts go through.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { AdsServer } from '../../../src/control-plane/server/index.js';
import { AdsClient, type XdsApi } from '../../../src/xds/ads-client.js';
import type { ProxySnapshot } from '../../../src/xds/index.js';
import { encodeSnapshot } from '../../../src/xds/snapshot-codec.js';
import { TypeUrls } from '../../../src/xds/type-urls.js';
import { sampleRoute, sampleSnapshot } from './sample-snapshot.js';

const logger = pino({ level: 'silent' });
/** What the failure message of a wait shows. */
let debug: () => unknown = () => '';
const A = '127.0.0.10_9090';
const B = '127.0.0.11_9091';

async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} ${JSON.stringify(debug())}`);
    await sleep(10);
  }
}

/** Listener A routes to `aTo`, listener B (its own route table) to `bTo`; clusters a and b. */
function twoListeners(aTo: string, bTo: string, bRegex?: string): ProxySnapshot {
  const base = sampleSnapshot(['a', 'b'], aTo);
  const a = base.listeners[0]!;
  return {
    ...base,
    version: `${aTo}/${bTo}/${bRegex ?? ''}`,
    listeners: [a, { ...a, name: B, address: '127.0.0.11', port: 9091, routeConfigName: 'svc2.ns_9091' }],
    routes: [
      ...base.routes,
      {
        name: 'svc2.ns_9091',
        routes: [
          {
            ...sampleRoute('default', bTo),
            ...(bRegex === undefined ? {} : { match: [{ name: 'method', kind: 'regex', value: bRegex }] }),
          },
        ],
      },
    ],
  };
}

for (const api of ['sotw', 'delta'] satisfies XdsApi[]) {
  describe(`ADS client partial acceptance (${api})`, () => {
    const server = new AdsServer({ debounce: { quietPeriodMs: 5, maxDelayMs: 20 } });
    const nodeId = `partial-${api}`;
    const applied: ProxySnapshot[] = [];
    let client: AdsClient;
    /** Listeners the fake proxy says it cannot run. */
    let refuse = new Map<string, string>();

    const route = (snapshot: ProxySnapshot | undefined, table: string) =>
      snapshot?.routes.find(r => r.name === table)?.routes[0]?.action;
    const target = (snapshot: ProxySnapshot | undefined, table: string): string | undefined => {
      const action = route(snapshot, table);
      return action !== undefined && 'cluster' in action ? action.cluster : undefined;
    };
    const types = () => server.status().nodes.find(n => n.nodeId === nodeId)?.types ?? [];

    before(async () => {
      debug = () => ({
        types: types(),
        client: client.status(),
        applied: applied.map(a =>
          a.routes.map(r => r.name + '>' + JSON.stringify(r.routes[0]?.action)).join(','),
        ),
      });
      server.setSnapshot('*', encodeSnapshot(twoListeners('a', 'a')));
      const port = await server.start('127.0.0.1', 0);
      client = new AdsClient({
        target: `127.0.0.1:${port}`,
        api,
        node: { id: nodeId },
        logger,
        onSnapshot: async snapshot => {
          applied.push(snapshot);
          return {
            rejected: snapshot.listeners
              .filter(l => refuse.has(l.name))
              .map(l => ({ name: l.name, reason: refuse.get(l.name)! })),
          };
        },
      });
      client.start();
      await waitFor(() => types().length === 4 && types().every(t => t.state === 'acked'), 'the first sync');
    });

    after(async () => {
      client.stop();
      await server.stop();
    });

    test('a listener the proxy rejects is named in a NACK; the rest stays applied and later edits go through', async () => {
      refuse = new Map([[B, "no codec named 'aeraki.meta_protocol.codec.acme'"]]);
      server.setSnapshot('*', encodeSnapshot(twoListeners('b', 'b')));
      await waitFor(
        () => /error adding\/updating listener\(s\)/.test(client.status().lastNack?.message ?? ''),
        'the NACK',
      );
      assert.match(client.status().lastNack!.message, new RegExp(`${B}: no codec named`));
      // The server has the NACK too (it may read it a moment after the client sent it).
      await waitFor(() => types().some(t => t.state === 'nacked'), 'the NACK on the server');
      const nacked = types().filter(t => t.state === 'nacked');
      assert.match(nacked[0]!.lastNack!.errorDetail.message, new RegExp(B));
      // Applied, and not rolled back: both listeners and both new routes are what the proxy holds.
      await waitFor(() => target(applied.at(-1), 'svc.ns_9090') === 'b', 'an applied snapshot');
      const last = applied.at(-1)!;
      assert.deepEqual(last.listeners.map(l => l.name).sort(), [A, B]);
      assert.deepEqual(route(last, 'svc.ns_9090'), { cluster: 'b' });
      assert.deepEqual(route(last, 'svc2.ns_9091'), { cluster: 'b' });
      const rejectedLds = client.status().updates[TypeUrls.listener]?.rejected ?? 0;
      const rejectedRds = client.status().updates[TypeUrls.routeConfiguration]?.rejected ?? 0;
      assert.ok(rejectedLds + rejectedRds >= 1);

      // A route edit to the good listener only: applied; B's rejection is not news.
      const count = applied.length;
      server.setSnapshot('*', encodeSnapshot(twoListeners('a', 'b')));
      await waitFor(
        () => applied.length > count && target(applied.at(-1), 'svc.ns_9090') === 'a',
        'the edit',
      );
      assert.deepEqual(route(applied.at(-1), 'svc2.ns_9091'), { cluster: 'b' });

      // The proxy can run B now (a fix): the next update is ACKed whole.
      refuse = new Map();
      server.setSnapshot('*', encodeSnapshot(twoListeners('b', 'a')));
      await waitFor(() => types().every(t => t.state === 'acked'), 'every type ACKed');
    });

    test('a resource that cannot be decoded keeps its previous version; the valid ones are applied', async () => {
      server.setSnapshot('*', encodeSnapshot(twoListeners('a', 'a')));
      await waitFor(() => types().every(t => t.state === 'acked'), 'the base');
      await waitFor(
        () => target(applied.at(-1), 'svc.ns_9090') === 'a' && target(applied.at(-1), 'svc2.ns_9091') === 'a',
        'the base applied',
      );
      // A's table changes (valid), B's gets a regex RE2 refuses.
      server.setSnapshot('*', encodeSnapshot(twoListeners('b', 'b', '(a)\\1')));
      await waitFor(() => target(applied.at(-1), 'svc.ns_9090') === 'b', 'the valid table');
      await waitFor(() => /svc2\.ns_9091/.test(client.status().lastNack?.message ?? ''), 'the NACK');
      assert.match(client.status().lastNack!.message, /regex/i);
      const last = applied.at(-1)!;
      assert.deepEqual(route(last, 'svc2.ns_9091'), { cluster: 'a' }, 'B keeps its previous table');
      assert.deepEqual(last.listeners.map(l => l.name).sort(), [A, B]);
      assert.deepEqual(
        client.status().invalidResources.map(r => [r.typeUrl, r.name]),
        [[TypeUrls.routeConfiguration, 'svc2.ns_9091']],
      );
      const rds = () => types().find(t => t.typeUrl === TypeUrls.routeConfiguration);
      await waitFor(() => rds()?.state === 'nacked', 'the RDS NACK on the server');

      // A valid version arrives: it replaces the old one and nothing is invalid any more.
      server.setSnapshot('*', encodeSnapshot(twoListeners('b', 'b')));
      await waitFor(() => target(applied.at(-1), 'svc2.ns_9091') === 'b', 'the fixed table');
      assert.deepEqual(client.status().invalidResources, []);
    });
  });
}
