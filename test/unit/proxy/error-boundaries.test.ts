/**
 * Every call into filter or codec code has its own error boundary: a filter that throws in onRequest,
 * in onResponse, or in the chain resumed after another filter paused; a codec whose encode or
 * encodeLocalReply throws a bug's TypeError (not a CodecError), on either side. Each time only that
 * request is answered `internal` (or, when the codec cannot encode even that, gets nothing), counted
 * and logged with the culprit's name; the connection and the other requests in flight go on.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import {
  CodecRegistry,
  type Codec,
  type CodecFactory,
  type EncodeOptions,
  type LocalReply,
  type Message,
} from '../../../src/codec/index.js';
import type {
  DecoderFilter,
  EncoderFilter,
  FilterStatus,
  RequestContext,
} from '../../../src/filters/filter.js';
import { Proxy } from '../../../src/proxy/proxy.js';
import type { ProxySnapshot } from '../../../src/xds/resources.js';
import { cluster as clusterResource } from '../resource-fixtures.js';
import { toyCodecFactory } from './toy-codec.js';
import { toyListener } from './toy-listener.js';
import { ToyClient, ToyServer } from './toy-peers.js';

const ADDRESS = '127.0.77.9';
const PAUSER = 'aeraki.meta_protocol.filters.pauser';
const THROWER = 'aeraki.meta_protocol.filters.thrower';

/** Pauses requests whose method is `resume-then-throw` and resumes them 10 ms later. */
class PausingFilter implements DecoderFilter {
  readonly name = PAUSER;
  onRequest(ctx: RequestContext): FilterStatus {
    if (ctx.request.metadata.get('method') !== 'resume-then-throw') return 'continue';
    setTimeout(() => ctx.continueDecoding(), 10);
    return 'stop';
  }
}

/** Throws where the request's method says; rejects `reject` with a local reply. */
class ThrowingFilter implements DecoderFilter, EncoderFilter {
  readonly name = THROWER;
  onRequest(ctx: RequestContext): FilterStatus {
    const method = ctx.request.metadata.get('method');
    if (method === 'throw-request' || method === 'resume-then-throw') {
      const missing = undefined as unknown as { field: string };
      return missing.field as FilterStatus; // a bug's TypeError
    }
    if (method === 'reject') {
      ctx.sendLocalReply('over-limit', 'rejected');
      return 'stop';
    }
    return 'continue';
  }
  onResponse(ctx: RequestContext): FilterStatus {
    if (ctx.request.metadata.get('method') === 'throw-response') throw new RangeError('response bug');
    return 'continue';
  }
}

/** The toy codec with bugs on purpose, chosen by the payload of the message it encodes. */
class BrittleCodec implements Codec {
  private readonly toy = toyCodecFactory.create('downstream');
  decode = this.toy.decode.bind(this.toy);
  encodeHeartbeatReply = this.toy.encodeHeartbeatReply!.bind(this.toy);

  encode(message: Message, options?: EncodeOptions): Buffer {
    const payload = message.bytes.toString('latin1');
    if (message.type === 'response' && payload.includes('boom-encode')) throw new TypeError('encode bug');
    if (message.type === 'request' && payload.includes('boom-upstream'))
      throw new TypeError('upstream encode bug');
    return this.toy.encode(message, options);
  }

  encodeLocalReply(request: Message | undefined, reply: LocalReply): Buffer | undefined {
    if (request?.bytes.toString('latin1').includes('boom-local')) throw new TypeError('local reply bug');
    return this.toy.encodeLocalReply(request, reply);
  }
}

const brittleFactory: CodecFactory = {
  ...toyCodecFactory,
  name: 'aeraki.meta_protocol.codec.brittle',
  create: () => new BrittleCodec(),
};

const logLines: Record<string, unknown>[] = [];
const logSink = new Writable({
  write(chunk: Buffer, _encoding, done) {
    for (const line of chunk.toString().split('\n')) if (line !== '') logLines.push(JSON.parse(line));
    done();
  },
});

const server = new ToyServer('up', { delayMs: frame => (frame.headers?.['method'] === 'slow' ? 150 : 0) });
let proxy: Proxy;
let port: number;

before(async () => {
  const upstreamPort = await server.start();
  const registry = new CodecRegistry();
  registry.register(brittleFactory);
  proxy = new Proxy(registry, pino({ level: 'warn' }, logSink), [new PausingFilter(), new ThrowingFilter()]);
  const snapshot: ProxySnapshot = {
    version: '1',
    listeners: [toyListener(ADDRESS, { codec: brittleFactory.name })],
    clusters: [clusterResource('c')],
    endpoints: [
      { clusterName: 'c', endpoints: [{ address: '127.0.0.1', port: upstreamPort, labels: {}, weight: 1 }] },
    ],
    routes: [
      {
        name: 'toy_0',
        routes: [
          {
            name: 'all',
            match: [],
            action: { cluster: 'c' },
            hashPolicy: [],
            mirrors: [],
            requestMutation: [],
            responseMutation: [],
          },
        ],
      },
    ],
  };
  await proxy.apply(snapshot);
  port = proxy.listenerMap.get(`${ADDRESS}_0`)!.boundPort;
});

after(async () => {
  await proxy.close(100);
  await server.stop();
});

function stats() {
  return proxy.listenerMap.get(`${ADDRESS}_0`)!.stats;
}

/**
 * Sends a slow request, then the failing one on the same connection, and checks that the slow one
 * is still answered by the upstream and the connection stays open.
 */
async function isolated(
  failing: { method: string; payload?: string },
  expectReply = true,
): Promise<ReturnType<ToyClient['call']> extends Promise<infer R> ? R | undefined : never> {
  const client = await ToyClient.connect(ADDRESS, port);
  try {
    const slow = client.call({ id: 1, headers: { method: 'slow' }, payload: 'other' });
    const reply = expectReply
      ? await client.call({ id: 2, headers: { method: failing.method }, payload: failing.payload ?? 'x' })
      : await client
          .call({ id: 2, headers: { method: failing.method }, payload: failing.payload ?? 'x' }, 300)
          .then(
            () => assert.fail('the request got a reply'),
            () => undefined,
          );
    const other = await slow;
    assert.equal(other.type, 'response', 'the other request in flight is answered');
    assert.equal(other.payload, 'up:other');
    assert.equal(client.closed, false, 'the connection stays open');
    const after = await client.call({ id: 3, headers: { method: 'fine' }, payload: 'next' });
    assert.equal(after.payload, 'up:next', 'and serves the next request');
    return reply;
  } finally {
    client.close();
  }
}

function loggedWith(source: string): boolean {
  return logLines.some(l => l['source'] === source && l['level'] === 50);
}

describe('a filter that throws fails only its own request', () => {
  test('in onRequest: an internal reply naming the filter, counted and logged', async () => {
    const before = stats().filterError['thrower'] ?? 0;
    const reply = await isolated({ method: 'throw-request' });
    assert.equal(reply?.type, 'error');
    assert.equal(reply?.headers['kind'], 'internal');
    assert.match(reply!.payload, /filter aeraki\.meta_protocol\.filters\.thrower failed/);
    assert.equal(stats().filterError['thrower'], before + 1);
    assert.ok(loggedWith(THROWER));
  });

  test('in onResponse: the upstream reply is replaced by an internal reply', async () => {
    const before = stats().filterError['thrower'] ?? 0;
    const reply = await isolated({ method: 'throw-response' });
    assert.equal(reply?.headers['kind'], 'internal');
    assert.match(reply!.payload, /response bug/);
    assert.equal(stats().filterError['thrower'], before + 1);
  });

  test('in the chain resumed after another filter paused it', async () => {
    const before = stats().filterError['thrower'] ?? 0;
    const reply = await isolated({ method: 'resume-then-throw' });
    assert.equal(reply?.headers['kind'], 'internal');
    assert.equal(stats().filterError['thrower'], before + 1);
  });
});

describe('a codec that throws a non-CodecError fails only that request', () => {
  test('encode of the response: an internal reply, counted as a codec error', async () => {
    const before = stats().codecError;
    const reply = await isolated({ method: 'fine', payload: 'boom-encode' });
    assert.equal(reply?.headers['kind'], 'internal');
    assert.match(reply!.payload, /could not encode the response: encode bug/);
    assert.equal(stats().codecError, before + 1);
    assert.ok(loggedWith('aeraki.meta_protocol.codec.brittle.encode'));
  });

  test('encode of the request upstream: an internal reply; the upstream connection goes on', async () => {
    const reply = await isolated({ method: 'fine', payload: 'boom-upstream' });
    assert.equal(reply?.headers['kind'], 'internal');
    assert.match(reply!.payload, /could not encode the request .*upstream encode bug/);
  });

  test('encodeLocalReply: nothing can answer the request, and nothing else is touched', async () => {
    const before = stats().codecError;
    await isolated({ method: 'reject', payload: 'boom-local' }, false);
    assert.equal(stats().codecError, before + 1);
    assert.ok(loggedWith('aeraki.meta_protocol.codec.brittle.encodeLocalReply'));
  });
});
