/**
 * Connection-level behaviour of the proxy under `aeraki up`, for every Thrift wire stack: one-way
 * calls, many calls in flight with replies out of order (and clients whose seqids collide), upstream
 * endpoints that refuse or never answer connections (a TApplicationException, not a hang), and
 * malformed bytes (that connection closed, the others unaffected).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import {
  ALL_STACKS,
  connectHello,
  createConfigDir,
  destinationRule,
  freePort,
  stackLabel,
  startAeraki,
  startBlackhole,
  startHelloServer,
  testAddress,
  thrift,
  thriftServiceEntry,
  versionTag,
  type AerakiProcess,
  type Blackhole,
  type ConfigDir,
  type ConfigDocument,
  type HelloServer,
  type ThriftStack,
} from './harness/index.js';

const ADDRESS = testAddress(3);
const CONNECT_TIMEOUT_MS = 500;
const IN_FLIGHT = 500;

interface Target {
  readonly stack: ThriftStack;
  readonly server: HelloServer;
  /** Proxy port of the healthy service. */
  readonly port: number;
  /** Proxy port of a service whose only endpoint refuses connections. */
  readonly refusedPort: number;
  /** Proxy port of a service whose only endpoint never completes a connection. */
  readonly blackholePort: number;
}

const targets = new Map<string, Target>();
let blackhole: Blackhole | undefined;
let aeraki: AerakiProcess | undefined;
let config: ConfigDir | undefined;

before(
  async () => {
    blackhole = await startBlackhole();
    const refused = await freePort('127.0.0.1');
    const docs: ConfigDocument[] = [];
    const entry = async (name: string, address: string, port: number): Promise<number> => {
      const host = `${name}.e2e.svc.cluster.local`;
      const listenPort = await freePort(ADDRESS);
      docs.push(
        thriftServiceEntry({
          name,
          host,
          addresses: [ADDRESS],
          port: listenPort,
          endpoints: [{ address, port, labels: { version: 'v1' } }],
        }),
        destinationRule({
          name,
          host,
          subsets: { v1: { version: 'v1' } },
          trafficPolicy: { connectionPool: { tcp: { connectTimeout: `${CONNECT_TIMEOUT_MS}ms` } } },
        }),
      );
      return listenPort;
    };
    for (const stack of ALL_STACKS) {
      const label = stackLabel(stack);
      const server = await startHelloServer({ tag: versionTag('v1', stack), stack });
      targets.set(label, {
        stack,
        server,
        port: await entry(`conn-${label}`, server.host, server.port),
        refusedPort: await entry(`refused-${label}`, '127.0.0.1', refused),
        blackholePort: await entry(`blackhole-${label}`, blackhole.host, blackhole.port),
      });
    }
    config = await createConfigDir({ 'connections.yaml': docs });
    const listeners = [...targets.values()].flatMap(t => [t.port, t.refusedPort, t.blackholePort]);
    aeraki = await startAeraki(config.path, { listeners: listeners.map(port => ({ host: ADDRESS, port })) });
  },
  { timeout: 40000 },
);

after(
  async () => {
    await aeraki?.stop();
    await Promise.all([...targets.values()].map(t => t.server.close()));
    await blackhole?.close();
    await config?.remove();
  },
  { timeout: 15000 },
);

/** Resolves when `socket` closes; rejects after `ms`. */
function closedWithin(socket: net.Socket, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    if (socket.destroyed) return resolve();
    const timer = setTimeout(() => reject(new Error(`connection still open after ${ms} ms`)), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Writes `bytes` on a fresh raw connection to the proxy and returns the socket and what came back. */
async function sendRaw(port: number, bytes: Buffer): Promise<{ socket: net.Socket; received: Buffer[] }> {
  const socket = net.connect({ host: ADDRESS, port });
  const received: Buffer[] = [];
  socket.on('data', d => received.push(d));
  socket.on('error', () => {});
  await new Promise(resolve => socket.once('connect', resolve));
  socket.write(bytes);
  return { socket, received };
}

/** Bytes that no Thrift stack accepts: text whose first word reads as a 1.7 GB frame length. */
const GARBAGE_TEXT = Buffer.from('hello, this is not Thrift at all\r\n\r\n');

/** A well-framed message whose content is not a Thrift message (no binary version, no compact id). */
function garbageFrame(): Buffer {
  const frame = Buffer.alloc(4 + 32, 0xff);
  frame.writeUInt32BE(32, 0);
  return frame;
}

for (const stack of ALL_STACKS) {
  const label = stackLabel(stack);
  describe(label, () => {
    test(
      'a one-way call reaches the server and the connection keeps working',
      { timeout: 10000 },
      async () => {
        const target = targets.get(label)!;
        const hello = await connectHello(ADDRESS, target.port, { stack });
        try {
          await hello.client.notify(`oneway-${label}`);
          await target.server.waitForCalls(1, 'notify', 3000);
          assert.equal(target.server.calls.find(c => c.method === 'notify')?.arg, `oneway-${label}`);
          assert.equal(await hello.client.add(1, 2), 3);
        } finally {
          await hello.close();
        }
      },
    );

    test(
      `${IN_FLIGHT} calls in flight on one connection, replies out of order`,
      { timeout: 20000 },
      async () => {
        const target = targets.get(label)!;
        target.server.reset();
        const hello = await connectHello(ADDRESS, target.port, { stack });
        try {
          const tokens = Array.from({ length: IN_FLIGHT }, (_, i) => `c${i}`);
          const replies = await Promise.all(
            tokens.map(t => hello.client.slow(Math.floor(Math.random() * 40), t)),
          );
          assert.deepEqual(
            replies,
            tokens.map(t => `${t}@${target.server.tag}`),
          );
          assert.equal(target.server.slowCompletions.length, IN_FLIGHT);
          assert.notDeepEqual(target.server.slowCompletions, tokens, 'the server answered out of order');
        } finally {
          await hello.close();
        }
      },
    );

    test(
      'two connections with the same seqids in flight get their own replies',
      { timeout: 20000 },
      async () => {
        const target = targets.get(label)!;
        const [a, b] = await Promise.all([0, 1].map(() => connectHello(ADDRESS, target.port, { stack })));
        try {
          // Both clients number their calls 1, 2, 3, …: the proxy must keep them apart upstream.
          const calls = (client: typeof a, prefix: string) =>
            Promise.all(
              Array.from({ length: 250 }, (_, i) =>
                client!.client.slow(Math.floor(Math.random() * 20), `${prefix}${i}`),
              ),
            );
          const [repliesA, repliesB] = await Promise.all([calls(a, 'a'), calls(b, 'b')]);
          repliesA.forEach((r, i) => assert.equal(r, `a${i}@${target.server.tag}`));
          repliesB.forEach((r, i) => assert.equal(r, `b${i}@${target.server.tag}`));
        } finally {
          await Promise.all([a?.close(), b?.close()]);
        }
      },
    );

    test(
      'an endpoint that refuses connections: the client gets a TApplicationException',
      { timeout: 10000 },
      async () => {
        const target = targets.get(label)!;
        const hello = await connectHello(ADDRESS, target.refusedPort, { stack });
        try {
          const started = Date.now();
          await assert.rejects(hello.client.sayHello('anyone'), thrift.Thrift.TApplicationException);
          assert.ok(Date.now() - started < CONNECT_TIMEOUT_MS + 1000, `took ${Date.now() - started} ms`);
          // The proxy answered in the protocol; the connection stays usable.
          await assert.rejects(hello.client.whoami(), thrift.Thrift.TApplicationException);
          assert.equal(hello.isClosed, false);
        } finally {
          await hello.close();
        }
      },
    );

    test(
      'an endpoint that never answers: a TApplicationException after the connect timeout',
      { timeout: 10000 },
      async () => {
        const target = targets.get(label)!;
        const hello = await connectHello(ADDRESS, target.blackholePort, { stack });
        try {
          const started = Date.now();
          await assert.rejects(hello.client.sayHello('anyone'), thrift.Thrift.TApplicationException);
          const elapsed = Date.now() - started;
          assert.ok(
            elapsed >= CONNECT_TIMEOUT_MS - 50 && elapsed < CONNECT_TIMEOUT_MS + 1500,
            `answered after ${elapsed} ms; connectTimeout is ${CONNECT_TIMEOUT_MS} ms`,
          );
        } finally {
          await hello.close();
        }
      },
    );

    test('malformed bytes close that connection only', { timeout: 10000 }, async () => {
      const target = targets.get(label)!;
      const healthy = await connectHello(ADDRESS, target.port, { stack });
      try {
        assert.equal(await healthy.client.add(2, 2), 4);
        const text = await sendRaw(target.port, GARBAGE_TEXT);
        const framed = await sendRaw(target.port, garbageFrame());
        await Promise.all([closedWithin(text.socket, 3000), closedWithin(framed.socket, 3000)]);
        assert.equal(await healthy.client.add(3, 4), 7, 'the other connection still works');
        assert.equal(healthy.isClosed, false);
      } finally {
        await healthy.close();
      }
    });
  });
}
