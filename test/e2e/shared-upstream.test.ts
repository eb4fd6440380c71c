/**
 * One client's bad frames never fail another client's requests. Behind `aeraki up`: real Apache Thrift
 * servers (one per wire stack) and a Dubbo provider, each reached over the one upstream connection
 * that every client's calls share (multiplexing). One client sends real requests with random byte
 * flips, truncations and extensions, each on its own connection and followed by a valid call, while
 * other clients call normally:
 *
 * - the other clients' calls never fail;
 * - a mutated request the codec refuses gets the protocol's error reply (a TApplicationException, a
 *   Dubbo BAD_REQUEST) and its connection is closed; one it accepts (the mutation happened to leave it
 *   valid) gets its reply, as does every request after it;
 * - the shared upstream connection is never closed or reopened (the cluster's connection counters),
 *   and the Dubbo provider never receives a body it cannot decode.
 *
 * What the codec accepts is checked against the Apache library and hessian.js by the codecs' fuzz
 * tests; here the point is what the proxy does with it, and that the servers agree.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test, type TestContext } from 'node:test';
import java from 'js-to-java';
import { ByteQueue, type Codec, type RequestId } from '../../src/codec/index.js';
import { dubboCodecFactory } from '../../src/codecs/dubbo/index.js';
import { thriftCodecFactory } from '../../src/codecs/thrift/index.js';
import { seededRandom } from '../unit/seeded-random.js';
import { Dubbo2jsClient } from './dubbo/dubbo2js-client.js';
import { dubbo2jsRequestFrame } from './dubbo/dubbo2js-wire.js';
import { dubboServiceEntry } from './dubbo/dubbo-mesh.js';
import { FrameReader, readHeader } from './dubbo/dubbo-wire.js';
import { startProvider, type HessianProvider } from './dubbo/hessian-provider.js';
import {
  adminCluster,
  connectHello,
  createConfigDir,
  freePort,
  stackLabel,
  startAeraki,
  startHelloServer,
  testAddress,
  thriftServiceEntry,
  type AerakiProcess,
  type ConfigDir,
  type HelloConnection,
  type HelloServer,
  type ThriftStack,
} from './harness/index.js';

const ADDRESS = testAddress(40);
const DEMO = 'org.apache.dubbo.demo.DemoService';
const DUBBO_HOST = 'mutated.dubbo.e2e.svc.cluster.local';
const STACKS: readonly ThriftStack[] = [
  { protocol: 'binary', transport: 'framed' },
  { protocol: 'compact', transport: 'framed' },
  { protocol: 'binary', transport: 'buffered' },
  { protocol: 'compact', transport: 'header' },
];
/** Mutated requests per Thrift stack and for Dubbo. */
const MUTATIONS = 100;
const BAD_REQUEST_TEXT = 'aeraki: bad request';

interface ThriftTarget {
  readonly stack: ThriftStack;
  readonly server: HelloServer;
  readonly host: string;
  readonly port: number;
}

const thriftTargets: ThriftTarget[] = [];
let provider: HessianProvider | undefined;
let dubboPort = 0;
let config: ConfigDir | undefined;
let aeraki: AerakiProcess | undefined;

before(
  async () => {
    const docs = [];
    for (const stack of STACKS) {
      const label = stackLabel(stack);
      const server = await startHelloServer({ tag: `mutated-${label}`, stack });
      const host = `mutated-${label}.e2e.svc.cluster.local`;
      const port = await freePort(ADDRESS);
      docs.push(
        thriftServiceEntry({
          name: `mutated-${label}`,
          host,
          addresses: [ADDRESS],
          port,
          endpoints: [{ address: server.host, port: server.port, labels: {} }],
        }),
      );
      thriftTargets.push({ stack, server, host, port });
    }
    provider = await startProvider({ tag: 'mutated' });
    dubboPort = await freePort(ADDRESS);
    docs.push(
      dubboServiceEntry({
        name: 'mutated',
        host: DUBBO_HOST,
        addresses: [ADDRESS],
        port: dubboPort,
        endpoints: [{ address: provider.host, port: provider.port, labels: {} }],
      }),
    );
    config = await createConfigDir({ 'mesh.yaml': docs });
    const listeners = [...thriftTargets.map(t => t.port), dubboPort].map(port => ({ host: ADDRESS, port }));
    aeraki = await startAeraki(config.path, { listeners });
  },
  { timeout: 40000 },
);

after(
  async () => {
    await aeraki?.stop();
    await Promise.all(thriftTargets.map(t => t.server.close()));
    await provider?.close();
    await config?.remove();
  },
  { timeout: 15000 },
);

/** What the proxy should do with a stream, as the client-side codec reads it. */
interface Expected {
  /** The codec refuses the stream: an error reply, then the connection closes. */
  readonly refused: boolean;
  /** Ids of the messages that get a reply (two-way requests, heartbeats), before any refusal. */
  readonly replies: RequestId[];
}

function expectedFor(codec: Codec, stream: Buffer): Expected {
  const queue = new ByteQueue();
  queue.push(stream);
  const replies: RequestId[] = [];
  try {
    for (let m = codec.decode(queue); m !== undefined; m = codec.decode(queue)) {
      if (m.type === 'request' || m.type === 'heartbeat') replies.push(m.requestId);
    }
  } catch {
    return { refused: true, replies };
  }
  return { refused: false, replies };
}

/** A reply the client read: its id, and whether it is the proxy's refusal of a bad request. */
interface Reply {
  readonly id: RequestId;
  readonly refusal: boolean;
}

interface Exchange {
  readonly replies: Reply[];
  /** The proxy closed the connection. */
  readonly closed: boolean;
}

/**
 * Sends `stream` on a fresh connection and reads replies with `parse` until the proxy closes the
 * connection, `enough` says so, or `waitMs` passes.
 */
async function exchange(
  port: number,
  stream: Buffer,
  parse: (queue: ByteQueue) => Reply | undefined,
  enough: (replies: readonly Reply[]) => boolean,
  waitMs: number,
): Promise<Exchange> {
  const socket = net.connect({ host: ADDRESS, port });
  socket.on('error', () => {});
  await new Promise(resolve => socket.once('connect', resolve));
  const queue = new ByteQueue();
  const replies: Reply[] = [];
  return new Promise(resolve => {
    let settled = false;
    const finish = (closed: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ replies, closed });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.on('data', chunk => {
      queue.push(chunk);
      for (let r = parse(queue); r !== undefined; r = parse(queue)) replies.push(r);
      if (enough(replies)) finish(false);
    });
    socket.once('close', () => finish(true));
    socket.write(stream);
  });
}

/** `bytes` with random byte flips, a truncation or an extension (frame lengths fixed up or not). */
function mutate(bytes: Buffer, random: () => number, lengthAt: number, prefix: number): Buffer {
  const int = (n: number): number => Math.floor(random() * n);
  let out = Buffer.from(bytes);
  const kind = int(3);
  if (kind === 0) {
    for (let flips = 1 + int(3); flips > 0; flips--) out[int(out.length)]! ^= 1 + int(255);
  } else if (kind === 1) {
    out = out.subarray(0, prefix + int(out.length - prefix));
  } else {
    out = Buffer.concat([out, Buffer.from(Array.from({ length: 1 + int(8) }, () => int(256)))]);
  }
  if (kind !== 0 && lengthAt >= 0 && random() < 0.7) out.writeInt32BE(out.length - prefix, lengthAt);
  return out;
}

interface MutationReport {
  refused: number;
  accepted: number;
  incomplete: number;
}

/**
 * Sends MUTATIONS mutated requests with a valid call after each, and checks each exchange against
 * what the codec makes of the stream.
 */
async function sendMutated(options: {
  readonly port: number;
  readonly bases: readonly Buffer[];
  readonly followUp: Buffer;
  readonly codec: () => Codec;
  readonly parse: (queue: ByteQueue) => Reply | undefined;
  readonly lengthAt: number;
  readonly prefix: number;
  readonly seed: number;
}): Promise<MutationReport> {
  const random = seededRandom(options.seed);
  const report: MutationReport = { refused: 0, accepted: 0, incomplete: 0 };
  for (let i = 0; i < MUTATIONS; i++) {
    const base = options.bases[i % options.bases.length]!;
    const mutated = mutate(base, random, options.lengthAt, options.prefix);
    const stream = Buffer.concat([mutated, options.followUp]);
    const expected = expectedFor(options.codec(), stream);
    const label = `mutation ${i} (${mutated.toString('hex')})`;
    if (expected.refused) {
      const result = await exchange(options.port, stream, options.parse, () => false, 5000);
      assert.ok(
        result.replies.some(r => r.refusal),
        `${label}: no error reply, got ${JSON.stringify(result.replies)}`,
      );
      assert.ok(result.closed, `${label}: the connection stayed open after the refusal`);
      report.refused++;
      continue;
    }
    const wanted = expected.replies;
    const hasAll = (replies: readonly Reply[]): boolean =>
      wanted.every(id => replies.filter(r => r.id === id).length >= wanted.filter(w => w === id).length);
    // A stream the codec still waits on (a frame announced longer than sent) gets no answer yet.
    const waitMs = wanted.length === 0 ? 300 : 5000;
    const result = await exchange(options.port, stream, options.parse, hasAll, waitMs);
    assert.ok(!result.replies.some(r => r.refusal), `${label}: refused, but the codec accepts it`);
    assert.ok(
      hasAll(result.replies),
      `${label}: replies ${JSON.stringify(result.replies)}, wanted ${wanted}`,
    );
    assert.equal(result.closed, false, `${label}: the proxy closed the connection`);
    if (wanted.length === 0) report.incomplete++;
    else report.accepted++;
  }
  return report;
}

/** Each well-behaved client makes its call again and again until `stop` resolves. */
async function normalTraffic(
  calls: readonly (() => Promise<void>)[],
  stop: Promise<void>,
): Promise<{ ok: number; failed: string[] }> {
  let done = false;
  void stop.then(() => (done = true));
  const result = { ok: 0, failed: [] as string[] };
  await Promise.all(
    calls.map(async call => {
      while (!done) {
        try {
          await call();
          result.ok++;
        } catch (error) {
          result.failed.push(String(error));
        }
      }
    }),
  );
  return result;
}

/**
 * Sends the mutated requests while well-behaved clients make `calls`; then none of their calls may have
 * failed, the mutations must have been both refused and accepted, and the cluster's upstream
 * connections must be the ones it had before.
 */
async function mutateUnderLoad(
  t: TestContext,
  options: {
    readonly host: string;
    readonly calls: readonly (() => Promise<void>)[];
    readonly mutations: Parameters<typeof sendMutated>[0];
  },
): Promise<void> {
  const { host, mutations } = options;
  const before = await upstreamCounters(host, mutations.port);
  let stop!: () => void;
  const traffic = normalTraffic(options.calls, new Promise<void>(resolve => (stop = resolve)));
  const report = await sendMutated(mutations);
  stop();
  const normal = await traffic;
  t.diagnostic(`mutated: ${JSON.stringify(report)}; normal calls: ${normal.ok}`);
  assert.deepEqual(normal.failed, []);
  assert.ok(normal.ok > 0);
  assert.ok(report.refused > 0 && report.accepted > 0, JSON.stringify(report));
  assert.deepEqual(await upstreamCounters(host, mutations.port), before);
}

/** The connection and reset counters of a cluster, to compare before and after. */
async function upstreamCounters(host: string, port: number): Promise<Record<string, number>> {
  const stats = (await adminCluster(aeraki!, `outbound|${port}||${host}`)).stats;
  return {
    cxTotal: stats['cxTotal']!,
    cxActive: stats['cxActive']!,
    rqReset: stats['rqReset']!,
    rsDecodeError: stats['rsDecodeError']!,
  };
}

/** Real request bytes, as the real client writes them: the client talks to a sink that records. */
async function recordCalls(stack: ThriftStack, calls: (hello: HelloConnection) => void): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const sink = net.createServer(socket => socket.on('data', d => chunks.push(d)));
  await new Promise<void>(resolve => sink.listen(0, '127.0.0.1', resolve));
  const hello = await connectHello('127.0.0.1', (sink.address() as net.AddressInfo).port, { stack });
  calls(hello);
  await new Promise(resolve => setTimeout(resolve, 100));
  await hello.close();
  await new Promise(resolve => sink.close(resolve));
  return Buffer.concat(chunks);
}

/** Splits what a Thrift client wrote into messages (with the proxy's own codec, which the tests check). */
function thriftMessages(bytes: Buffer): Buffer[] {
  const codec = thriftCodecFactory.create('downstream');
  const queue = new ByteQueue();
  queue.push(bytes);
  const out: Buffer[] = [];
  for (let m = codec.decode(queue); m !== undefined; m = codec.decode(queue)) out.push(Buffer.from(m.bytes));
  return out;
}

function thriftReplyParser(): (queue: ByteQueue) => Reply | undefined {
  const codec = thriftCodecFactory.create('upstream');
  return queue => {
    const m = codec.decode(queue);
    if (m === undefined) return undefined;
    return { id: m.requestId, refusal: m.type === 'error' && m.bytes.includes(BAD_REQUEST_TEXT) };
  };
}

function dubboReplyParser(): (queue: ByteQueue) => Reply | undefined {
  const reader = new FrameReader();
  const pending: Buffer[] = [];
  return queue => {
    if (queue.length > 0) pending.push(...reader.push(queue.take(queue.length)));
    const frame = pending.shift();
    if (frame === undefined) return undefined;
    const header = readHeader(frame);
    return { id: header.requestId, refusal: header.status === 40 && frame.includes(BAD_REQUEST_TEXT) };
  };
}

describe('a client sending mutated requests on a shared upstream connection', () => {
  for (const [index, stack] of STACKS.entries()) {
    test(
      `thrift ${stackLabel(stack)}: others never fail; the shared connection stays`,
      { timeout: 120000 },
      async t => {
        const target = thriftTargets[index]!;
        const recorded = thriftMessages(
          await recordCalls(stack, hello => {
            void hello.client.sayHello('mutant').catch(() => {});
            void hello.client.add(20, 22).catch(() => {});
            void hello.client.echo(Buffer.from('abcdefgh')).catch(() => {});
            void hello.client.sayHello('follow-up').catch(() => {});
          }),
        );
        assert.equal(recorded.length, 4);
        const clients = await Promise.all([0, 1, 2].map(() => connectHello(ADDRESS, target.port, { stack })));
        try {
          // Warm up: the pool opens its connection(s) before the counters are read.
          await Promise.all(clients.map(c => c.client.add(1, 1)));
          const framed = stack.transport !== 'buffered';
          await mutateUnderLoad(t, {
            host: target.host,
            calls: clients.map(hello => async () => {
              assert.equal(await hello.client.sayHello('ok'), `Hello ok, from ${target.server.tag}`);
            }),
            mutations: {
              port: target.port,
              bases: recorded.slice(0, 3),
              followUp: recorded[3]!,
              codec: () => thriftCodecFactory.create('downstream'),
              parse: thriftReplyParser(),
              lengthAt: framed ? 0 : -1,
              prefix: framed ? 4 : 0,
              seed: 1000 + index,
            },
          });
        } finally {
          await Promise.all(clients.map(c => c.close()));
        }
      },
    );
  }

  test(
    'dubbo: others never fail; the shared connection stays; the provider reads every body',
    { timeout: 120000 },
    async t => {
      const request = (requestId: number, name: string): Buffer =>
        dubbo2jsRequestFrame({
          requestId,
          service: DEMO,
          version: '1.0.0',
          timeout: 3000,
          method: 'sayHello',
          args: [java.String(name), java.int(requestId)],
        });
      const clients = [0, 1, 2].map(() => new Dubbo2jsClient(ADDRESS, dubboPort));
      try {
        for (const c of clients)
          assert.equal((await c.call(DEMO, 'sayHello', [java.String('warm')])).err, null);
        await mutateUnderLoad(t, {
          host: DUBBO_HOST,
          calls: clients.map(client => async () => {
            const result = await client.call(DEMO, 'sayHello', [java.String('ok')]);
            if (result.err !== null) throw result.err;
            assert.equal(result.res, 'mutated');
          }),
          mutations: {
            port: dubboPort,
            bases: [request(11, 'mutant'), request(12, 'x'.repeat(40))],
            followUp: request(13, 'follow-up'),
            codec: () => dubboCodecFactory.create('downstream'),
            parse: dubboReplyParser(),
            lengthAt: 12,
            prefix: 16,
            seed: 2000,
          },
        });
        assert.equal(provider!.brokenRequests, 0, 'no body the provider cannot decode reached it');
      } finally {
        for (const c of clients) c.close();
      }
    },
  );
});
