/**
 * Dubbo request ids are Java longs: any 64-bit id, negative ones included, goes through `aeraki up`
 * and comes back unchanged, on a multiplexed pool (where the proxy gives the request an id of its own
 * upstream) and on an exclusive one (where the client's id goes to the provider as it is): requests,
 * heartbeats and local replies (no route, timeout).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createConfigDir,
  destination,
  exactMatch,
  freePort,
  metaRouter,
  staticServiceEntry,
  startAeraki,
  testAddress,
  type AerakiProcess,
  type ConfigDir,
} from '../harness/index.js';
import { dubboServiceEntry } from './dubbo-mesh.js';
import {
  attachmentsMap,
  decodeResponseBody,
  heartbeatFrame,
  readHeader,
  requestFrame,
  type DubboRequestId,
} from './dubbo-wire.js';
import { startProvider, type HessianProvider } from './hessian-provider.js';
import { RawDubboConnection } from './raw-dubbo-client.js';

const ADDRESS = testAddress(40);
const DEMO = 'org.apache.dubbo.demo.DemoService';
const HOST = 'ids.dubbo.e2e.svc.cluster.local';
const EXCLUSIVE_HOST = 'ids-exclusive.dubbo.e2e.svc.cluster.local';
const SLOW_TIMEOUT_MS = 300;
/** Ids a JavaScript number cannot hold, the wrap-around ones, and the heartbeat id seen in the field. */
const IDS: readonly DubboRequestId[] = [
  2n ** 53n + 1n,
  2n ** 63n - 1n,
  -1,
  -(2n ** 63n),
  0x0ba57dc2b73348adn,
];

let provider: HessianProvider | undefined;
let config: ConfigDir | undefined;
let aeraki: AerakiProcess | undefined;
const ports = { multiplexed: 0, exclusive: 0 };
const raws: RawDubboConnection[] = [];

before(
  async () => {
    provider = await startProvider({ tag: 'p', jitterMs: 3 });
    ports.multiplexed = await freePort(ADDRESS);
    ports.exclusive = await freePort(ADDRESS);
    const endpoints = [{ address: provider.host, port: provider.port, labels: {} }];
    const routes = (host: string) => [
      {
        name: 'slow',
        match: exactMatch({ method: 'slow' }),
        timeout: `${SLOW_TIMEOUT_MS}ms`,
        route: [destination(host)],
      },
      // Only DemoService is routed: any other interface has no route.
      { name: 'demo', match: exactMatch({ interface: DEMO }), route: [destination(host)] },
    ];
    config = await createConfigDir({
      'ids.yaml': [
        dubboServiceEntry({
          name: 'ids',
          host: HOST,
          addresses: [ADDRESS],
          port: ports.multiplexed,
          endpoints,
        }),
        metaRouter({ name: 'ids', host: HOST, routes: routes(HOST) }),
        // The same codec without multiplexing: one request per upstream connection, ids left alone.
        {
          apiVersion: 'metaprotocol.aeraki.io/v1alpha1',
          kind: 'ApplicationProtocol',
          metadata: { name: 'dubbox' },
          spec: { protocol: 'dubbox', codec: 'aeraki.meta_protocol.codec.dubbo', multiplexing: false },
        },
        staticServiceEntry(
          {
            name: 'ids-exclusive',
            host: EXCLUSIVE_HOST,
            addresses: [ADDRESS],
            port: ports.exclusive,
            endpoints,
          },
          'tcp-metaprotocol-dubbox-ids',
        ),
        metaRouter({ name: 'ids-exclusive', host: EXCLUSIVE_HOST, routes: routes(EXCLUSIVE_HOST) }),
      ],
    });
    aeraki = await startAeraki(config.path, {
      listeners: Object.values(ports).map(port => ({ host: ADDRESS, port })),
    });
  },
  { timeout: 30000 },
);

after(async () => {
  for (const r of raws) r.destroy();
  await aeraki?.stop();
  await provider?.close();
  await config?.remove();
});

async function raw(port: number): Promise<RawDubboConnection> {
  const r = await RawDubboConnection.connect(ADDRESS, port);
  raws.push(r);
  return r;
}

function echo(requestId: DubboRequestId, text: string, service = DEMO, method = 'echo'): Buffer {
  return requestFrame({
    requestId,
    service,
    method,
    parameterTypes: 'Ljava/lang/String;',
    args: [text],
    attachments: attachmentsMap({}),
  });
}

/** Sends every frame at once on `connection` and returns the replies by request id. */
async function pipeline(
  connection: RawDubboConnection,
  frames: Buffer[],
): Promise<Map<DubboRequestId, Buffer>> {
  connection.send(Buffer.concat(frames));
  const replies = new Map<DubboRequestId, Buffer>();
  for (let i = 0; i < frames.length; i++) {
    const reply = await connection.next();
    replies.set(readHeader(reply).requestId, reply);
  }
  return replies;
}

for (const pool of ['multiplexed', 'exclusive'] as const) {
  test(`${pool}: requests with any 64-bit id get their own replies, with the same id`, async () => {
    // Two clients use the same ids at once: on a multiplexed pool they share upstream connections.
    const clients = [await raw(ports[pool]), await raw(ports[pool])];
    const seen = provider!.calls.length;
    const results = await Promise.all(
      clients.map((client, c) =>
        pipeline(
          client,
          IDS.map(id => echo(id, `${pool}-${c}-${id}`)),
        ),
      ),
    );
    for (const [c, replies] of results.entries()) {
      assert.deepEqual([...replies.keys()].sort(), [...IDS].sort(), `client ${c} got one reply per id`);
      for (const [id, reply] of replies) {
        assert.equal(readHeader(reply).status, 20);
        assert.equal(decodeResponseBody(reply.subarray(16)).value, `${pool}-${c}-${id}`);
      }
    }
    const upstreamIds = provider!.calls.slice(seen).map(call => call.requestId);
    assert.equal(upstreamIds.length, 2 * IDS.length);
    if (pool === 'multiplexed') {
      // The proxy's own ids upstream: small numbers, distinct on each connection.
      for (const id of upstreamIds) assert.ok(typeof id === 'number' && id >= 1 && id < 2 ** 31, String(id));
    } else {
      assert.deepEqual([...upstreamIds].sort(), [...IDS, ...IDS].sort(), 'the clients ids, left alone');
    }
  });

  test(`${pool}: heartbeats with any 64-bit id are answered with that id; the connection stays`, async () => {
    const connection = await raw(ports[pool]);
    const heartbeatsSeen = provider!.heartbeatIds.length;
    for (const id of IDS) {
      const reply = await connection.exchange(heartbeatFrame(id));
      assert.deepEqual(readHeader(reply), { flags: 0x22, status: 20, requestId: id, bodyLength: 1 });
    }
    assert.equal(provider!.heartbeatIds.length, heartbeatsSeen, 'no heartbeat reached the provider');
    const reply = await connection.exchange(echo(-(2n ** 63n), 'after'));
    assert.equal(readHeader(reply).requestId, -(2n ** 63n));
    assert.equal(decodeResponseBody(reply.subarray(16)).value, 'after');
  });

  test(`${pool}: local replies carry any 64-bit id (no route, timeout)`, async () => {
    const connection = await raw(ports[pool]);
    for (const id of IDS) {
      const unrouted = await connection.exchange(echo(id, 'x', 'org.example.Unrouted'));
      assert.equal(readHeader(unrouted).status, 60, 'SERVICE_NOT_FOUND');
      assert.equal(readHeader(unrouted).requestId, id);
    }
    // Timeouts run in parallel: every slow call gets its own SERVER_TIMEOUT reply.
    const timedOut = await pipeline(
      connection,
      IDS.map(id => echo(id, 'x', DEMO, 'slow')),
    );
    assert.deepEqual([...timedOut.keys()].sort(), [...IDS].sort());
    for (const reply of timedOut.values()) assert.equal(readHeader(reply).status, 31, 'SERVER_TIMEOUT');
  });
}
