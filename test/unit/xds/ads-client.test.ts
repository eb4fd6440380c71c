/**
 * The proxy's ADS client against our ADS server, in both variants (state of the world and delta):
 * consistent snapshots, NACKs with readable reasons, merged partial updates, dropped subscriptions.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { AdsServer } from '../../../src/control-plane/server/index.js';
import { AdsClient, type XdsApi } from '../../../src/xds/ads-client.js';
import type { ProxySnapshot } from '../../../src/xds/index.js';
import { encodeSnapshot } from '../../../src/xds/snapshot-codec.js';
import { TypeUrls } from '../../../src/xds/type-urls.js';
import { sampleSnapshot } from './sample-snapshot.js';

const logger = pino({ level: 'silent' });

async function waitFor(condition: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise(resolve => setTimeout(resolve, 10));
  }
}

for (const api of ['sotw', 'delta'] satisfies XdsApi[]) {
  describe(`ADS client (${api})`, () => {
    const server = new AdsServer({ debounce: { quietPeriodMs: 10, maxDelayMs: 50 } });
    const applied: ProxySnapshot[] = [];
    let client: AdsClient;
    let rejectNext: string | undefined;
    let port: number;

    function routeStatus() {
      const node = server.status().nodes.find(n => n.nodeId === 'unit-proxy');
      return node?.types.find(t => t.typeUrl === TypeUrls.routeConfiguration);
    }

    before(async () => {
      server.setSnapshot('*', encodeSnapshot(sampleSnapshot(['a', 'b'], 'a')));
      port = await server.start('127.0.0.1', 0);
      client = new AdsClient({
        target: `127.0.0.1:${port}`,
        api,
        node: { id: 'unit-proxy' },
        logger,
        backoff: { initialMs: 20, maxMs: 100 },
        onSnapshot: async snapshot => {
          if (rejectNext !== undefined) {
            const reason = rejectNext;
            rejectNext = undefined;
            throw new Error(reason);
          }
          applied.push(snapshot);
        },
      });
      client.start();
    });

    after(async () => {
      client.stop();
      await server.stop();
    });

    test('subscribes CDS, EDS, LDS, RDS and hands over a consistent snapshot', async () => {
      await waitFor(
        () => applied.some(s => s.listeners.length === 1 && s.routes.length === 1),
        'a full snapshot',
      );
      const last = applied.at(-1)!;
      assert.deepEqual(last.clusters.map(c => c.name).sort(), ['a', 'b']);
      assert.equal(last.endpoints.find(e => e.clusterName === 'a')!.endpoints[0]!.port, 19091);
      assert.deepEqual(last.routes[0]!.routes[0]!.action, { cluster: 'a' });
      // Listeners are only handed over with their route table: no snapshot had one without the other.
      for (const s of applied) assert.equal(s.listeners.length, s.routes.length);
    });

    test('an invalid resource is NACKed with a readable reason and the old config kept', async () => {
      const bad = sampleSnapshot(['a', 'b'], 'b');
      const table = bad.routes[0]!;
      const invalid: ProxySnapshot = {
        ...bad,
        routes: [
          {
            ...table,
            routes: [{ ...table.routes[0]!, match: [{ name: 'method', kind: 'regex', value: '(a)\\1' }] }],
          },
        ],
      };
      const count = applied.length;
      server.setSnapshot('*', encodeSnapshot(invalid));
      await waitFor(() => routeStatus()?.state === 'nacked', 'the NACK');
      assert.match(routeStatus()!.lastNack!.errorDetail.message, /regex/i);
      assert.match(client.status().lastNack!.message, /regex/i);
      await new Promise(resolve => setTimeout(resolve, 100));
      assert.equal(applied.length, count, 'nothing new was applied');
    });

    test('a set the proxy rejects is NACKed too; a good one afterwards is ACKed and applied', async () => {
      rejectNext = 'listener cannot bind';
      server.setSnapshot('*', encodeSnapshot(sampleSnapshot(['a', 'b'], 'b', 19092)));
      await waitFor(() => /listener cannot bind/.test(client.status().lastNack?.message ?? ''), 'the NACK');
      server.setSnapshot('*', encodeSnapshot(sampleSnapshot(['a', 'b'], 'b', 19093)));
      await waitFor(
        () => applied.at(-1)?.endpoints.find(e => e.clusterName === 'b')?.endpoints[0]?.port === 19093,
        'the good update',
      );
      await waitFor(() => routeStatus()?.state === 'acked', 'the ACK');
      assert.deepEqual(applied.at(-1)!.routes[0]!.routes[0]!.action, { cluster: 'b' });
    });

    test('RDS and EDS responses with only the changed resources are merged; unsubscribed ones are dropped', async () => {
      // The server sends only b's endpoints (a's are unchanged): a's must stay.
      const base = sampleSnapshot(['a', 'b'], 'b', 19093);
      const onlyB: ProxySnapshot = {
        ...base,
        endpoints: base.endpoints.map(e =>
          e.clusterName === 'b' ? { ...e, endpoints: e.endpoints.map(ep => ({ ...ep, port: 19094 })) } : e,
        ),
      };
      server.setSnapshot('*', encodeSnapshot(onlyB));
      await waitFor(
        () => applied.at(-1)?.endpoints.find(e => e.clusterName === 'b')?.endpoints[0]?.port === 19094,
        'the endpoints of b',
      );
      assert.equal(applied.at(-1)!.endpoints.find(e => e.clusterName === 'a')?.endpoints[0]?.port, 19093);
      const eds = () =>
        server
          .status()
          .nodes.find(n => n.nodeId === 'unit-proxy')
          ?.types.find(t => t.typeUrl === TypeUrls.clusterLoadAssignment);
      await waitFor(() => eds()?.state === 'acked', 'the EDS ACK');

      // Cluster b goes: the proxy stops subscribing to its endpoints and drops them.
      server.setSnapshot('*', encodeSnapshot(sampleSnapshot(['a'], 'a', 19093)));
      await waitFor(() => applied.at(-1)?.clusters.length === 1, 'the cluster removal');
      await waitFor(
        () => eds()?.state === 'acked' && eds()?.subscribed.length === 1,
        'the new EDS subscription',
      );
      const last = applied.at(-1)!;
      assert.deepEqual(
        last.endpoints.map(e => e.clusterName),
        ['a'],
      );
      assert.equal(last.endpoints[0]?.endpoints[0]?.port, 19093);
    });

    test('after the control plane restarts, the proxy resubscribes and keeps a whole config', async () => {
      await server.stop();
      const restarted = new AdsServer({ debounce: { quietPeriodMs: 10, maxDelayMs: 50 } });
      restarted.setSnapshot('*', encodeSnapshot(sampleSnapshot(['a'], 'a', 19093)));
      await restarted.start('127.0.0.1', port);
      try {
        const acked = (): number =>
          restarted
            .status()
            .nodes.find(n => n.nodeId === 'unit-proxy')
            ?.types.filter(t => t.state === 'acked').length ?? 0;
        await waitFor(() => acked() === 4, 'all four types ACKed on the restarted server', 5000);
        assert.ok(client.status().reconnects >= 1);
        const last = applied.at(-1)!;
        assert.equal(last.listeners.length, 1);
        assert.equal(last.routes.length, 1);
        assert.deepEqual(
          last.endpoints.map(e => e.clusterName),
          ['a'],
        );
      } finally {
        await restarted.stop();
      }
    });
  });
}
