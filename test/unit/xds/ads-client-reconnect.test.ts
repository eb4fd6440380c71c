/**
 * The ADS client's reconnection against our real ADS server, stopped and started again on the same
 * port: the client resyncs as soon as its own backoff lets it, never failing on a connection error
 * grpc-js cached while the server was away, and reports where its connection stands meanwhile.
 *
 * The 60 s outage is simulated, not waited for. What an outage leaves behind is the client's state
 * after it: its backoff (which a long outage drives to the cap, after ~4 failures by default) and any
 * state inside grpc-js (a subchannel's own backoff, growing ×1.6 up to 120 s, which is what made a
 * proxy miss the server's return before). With a tiny cap, 60 failed attempts (what 60 s make at the
 * default cap, whose mean wait is 1 s) take about a second, and leave the same state a real minute
 * would: the cap reached, and as many failures as grpc-js would have backed off over.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { setTimeout as sleep } from 'node:timers/promises';
import { AdsServer } from '../../../src/control-plane/server/index.js';
import { AdsClient, type XdsApi } from '../../../src/xds/ads-client.js';
import type { BackoffPolicy } from '../../../src/net/retry-backoff.js';
import { encodeSnapshot } from '../../../src/xds/snapshot-codec.js';
import { sampleSnapshot } from './sample-snapshot.js';
import { seededRandom } from '../seeded-random.js';

const logger = pino({ level: 'silent' });

async function waitFor(condition: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

function newServer(): AdsServer {
  const server = new AdsServer({ debounce: { quietPeriodMs: 5, maxDelayMs: 20 } });
  server.setSnapshot('*', encodeSnapshot(sampleSnapshot(['a'], 'a')));
  return server;
}

function ackedTypes(server: AdsServer, nodeId: string): number {
  return (
    server
      .status()
      .nodes.find(n => n.nodeId === nodeId)
      ?.types.filter(t => t.state === 'acked').length ?? 0
  );
}

/**
 * Starts a server and a client, stops the server until `outageOver()` holds, starts it again and
 * returns how long the client took to have every type ACKed, and the attempts that failed meanwhile.
 */
async function outage(
  api: XdsApi,
  backoff: BackoffPolicy,
  random: () => number,
  outageOver: (client: AdsClient) => boolean,
  duringOutage: (client: AdsClient) => void = () => {},
): Promise<{ resyncMs: number; failedAfterRestart: number; client: AdsClient }> {
  const nodeId = `reconnect-${api}`;
  let server = newServer();
  const port = await server.start('127.0.0.1', 0);
  const client = new AdsClient({
    target: `127.0.0.1:${port}`,
    api,
    node: { id: nodeId },
    logger,
    backoff,
    random,
    onSnapshot: async () => {},
  });
  client.start();
  try {
    await waitFor(() => ackedTypes(server, nodeId) === 4, 'the first sync', 5000);
    assert.equal(client.status().state, 'connected');
    await server.stop();
    await waitFor(() => outageOver(client), 'the outage', 120_000);
    duringOutage(client);
    server = newServer();
    await server.start('127.0.0.1', port);
    const restartedAt = Date.now();
    const failuresAtRestart = client.status().reconnects;
    const restarted = server;
    await waitFor(() => ackedTypes(restarted, nodeId) === 4, 'the resync', 10_000);
    const resyncMs = Date.now() - restartedAt;
    // The attempt that connected counts as one reconnect; any other one made after the restart failed.
    const failedAfterRestart = client.status().reconnects - failuresAtRestart - 1;
    return { resyncMs, failedAfterRestart: Math.max(0, failedAfterRestart), client };
  } finally {
    client.stop();
    await server.stop();
  }
}

for (const api of ['sotw', 'delta'] satisfies XdsApi[]) {
  test(
    `after a 5 s outage the client resyncs at its next attempt (${api})`,
    { timeout: 30_000 },
    async () => {
      // Attempts every 100 ms: grpc-js's own subchannel backoff would by now be in its 2.56 s step and
      // fail every attempt within it with the cached ECONNREFUSED.
      const started = Date.now();
      const { resyncMs, failedAfterRestart } = await outage(
        api,
        { initialMs: 100, maxMs: 100 },
        () => 0.999,
        () => Date.now() - started > 5000,
      );
      assert.ok(resyncMs < 1000, `resynced ${resyncMs} ms after the restart`);
      // At most one attempt can have been under way when the server came back.
      assert.ok(failedAfterRestart <= 1, `${failedAfterRestart} attempts failed after the restart`);
    },
  );
}

test(
  'after the outage of a minute (60 failed attempts, the cap reached) the client resyncs within the cap',
  {
    timeout: 60_000,
  },
  async () => {
    const backoff = { initialMs: 2, maxMs: 30 };
    let sawBackingOff = false;
    const { resyncMs, failedAfterRestart, client } = await outage(
      'delta',
      backoff,
      seededRandom(42),
      c => {
        const s = c.status();
        if (s.state === 'backing-off' && s.retryAt !== undefined) {
          // While backing off, the status says until when, and never longer than the cap.
          const wait = Date.parse(s.retryAt) - Date.now();
          assert.ok(wait <= backoff.maxMs, `backing off ${wait} ms`);
          sawBackingOff = true;
        }
        return s.consecutiveFailures >= 60;
      },
      c => {
        const s = c.status();
        assert.notEqual(s.state, 'connected');
        assert.ok(s.consecutiveFailures >= 60);
        assert.ok(s.reconnects >= 60);
        assert.match(s.lastError?.message ?? '', /UNAVAILABLE.*ECONNREFUSED/);
        assert.ok(s.sinceMs >= 0 && s.sinceMs < 1000, `state changed ${s.sinceMs} ms ago`);
      },
    );
    assert.ok(sawBackingOff, 'the status showed the backoff');
    // The cap is 30 ms; a second allows for a busy machine, and is far below grpc-js's backoff after
    // 60 failures (tens of seconds).
    assert.ok(resyncMs < 1000, `resynced ${resyncMs} ms after the restart`);
    assert.ok(failedAfterRestart <= 1, `${failedAfterRestart} attempts failed after the restart`);
    const after = client.status();
    assert.equal(after.consecutiveFailures, 0, 'the backoff restarts once the server answers');
  },
);
