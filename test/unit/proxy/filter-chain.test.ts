import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { CodecRegistry } from '../../../src/codec/index.js';
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
import { ToyClient, ToyServer } from './toy-peers.js';

const ADDRESS = '127.0.77.2';
const log: string[] = [];

/**
 * Records its turn, adds a header, and, as the request's method says: rejects, pauses and resumes
 * (later, from within its call, or twice), returns a promise as an async function would, or pauses and
 * forgets the request, on either side.
 */
class RecordingFilter implements DecoderFilter, EncoderFilter {
  constructor(readonly name: string) {}

  onRequest(ctx: RequestContext): FilterStatus {
    log.push(`${this.name}:request`);
    ctx.addRequestHeader(`x-${this.name}`, '1');
    const method = ctx.request.metadata.get('method');
    if (method === `reject-${this.name}`) {
      ctx.sendLocalReply('over-limit', `rejected by ${this.name}`);
      return 'stop';
    }
    if (method === `pause-${this.name}`) {
      setTimeout(() => ctx.continueDecoding(), 30);
      return 'stop';
    }
    if (method === `resume-within-${this.name}`) {
      ctx.continueDecoding();
      return 'stop';
    }
    if (method === `resume-twice-${this.name}`) {
      setTimeout(() => {
        ctx.continueDecoding();
        ctx.continueDecoding();
      }, 10);
      return 'stop';
    }
    if (method === `async-${this.name}`) return Promise.resolve('continue') as unknown as FilterStatus;
    if (method === `forget-${this.name}`) return 'stop';
    return 'continue';
  }

  onResponse(ctx: RequestContext): FilterStatus {
    log.push(`${this.name}:response`);
    ctx.addResponseHeader(`x-${this.name}`, 'r');
    const method = ctx.request.metadata.get('method');
    if (method === `pause-response-${this.name}`) {
      setTimeout(() => ctx.continueEncoding(), 10);
      return 'stop';
    }
    if (method === `forget-response-${this.name}`) return 'stop';
    return 'continue';
  }
}

const server = new ToyServer('up');
let proxy: Proxy;
let port: number;
/** A listener whose request timeout, which also bounds a filter's pause, is short. */
let shortPort: number;
const SHORT_TIMEOUT_MS = 100;

before(async () => {
  const upstreamPort = await server.start();
  const registry = new CodecRegistry();
  registry.register(toyCodecFactory);
  proxy = new Proxy(registry, pino({ level: 'silent' }), [
    new RecordingFilter('a'),
    new RecordingFilter('b'),
  ]);
  const snapshot: ProxySnapshot = {
    version: '1',
    listeners: [
      {
        name: 'l',
        address: ADDRESS,
        port: 0,
        protocol: 'toy',
        codec: toyCodecFactory.name,
        routeConfigName: 'r',
        statPrefix: 'l',
        idleTimeoutMs: 0,
        requestTimeoutMs: 2000,
        multiplexing: true,
      },
      {
        name: 'short',
        address: ADDRESS,
        port: 0,
        protocol: 'toy',
        codec: toyCodecFactory.name,
        routeConfigName: 'r',
        statPrefix: 'short',
        idleTimeoutMs: 0,
        requestTimeoutMs: SHORT_TIMEOUT_MS,
        multiplexing: true,
      },
    ],
    clusters: [clusterResource('c')],
    endpoints: [
      { clusterName: 'c', endpoints: [{ address: '127.0.0.1', port: upstreamPort, labels: {}, weight: 1 }] },
    ],
    routes: [
      {
        name: 'r',
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
  port = proxy.listenerMap.get('l')!.boundPort;
  shortPort = proxy.listenerMap.get('short')!.boundPort;
});

after(async () => {
  await proxy.close(100);
  await server.stop();
});

test('decoder filters run in order, encoder filters in reverse, headers reach both sides', async () => {
  log.length = 0;
  const client = await ToyClient.connect(ADDRESS, port);
  const reply = await client.call({ id: 1, headers: { method: 'm' } });
  assert.deepEqual(log, ['a:request', 'b:request', 'b:response', 'a:response']);
  assert.equal(server.received.at(-1)!.headers['x-a'], '1');
  assert.equal(server.received.at(-1)!.headers['x-b'], '1');
  assert.equal(reply.headers['x-a'], 'r');
  assert.equal(reply.headers['x-b'], 'r');
  client.close();
});

test('a filter that stops can resume the chain later', async () => {
  log.length = 0;
  const client = await ToyClient.connect(ADDRESS, port);
  const reply = await client.call({ id: 2, headers: { method: 'pause-a' } });
  assert.equal(reply.type, 'response');
  assert.deepEqual(log, ['a:request', 'b:request', 'b:response', 'a:response']);
  client.close();
});

test('a local reply ends the request: later filters and the upstream never see it', async () => {
  log.length = 0;
  const seen = server.received.length;
  const client = await ToyClient.connect(ADDRESS, port);
  const reply = await client.call({ id: 3, headers: { method: 'reject-a' } });
  assert.equal(reply.type, 'error');
  assert.equal(reply.headers['kind'], 'over-limit');
  assert.equal(reply.payload, 'rejected by a');
  assert.deepEqual(log, ['a:request']);
  assert.equal(server.received.length, seen);
  client.close();
});

test('a filter that resumes from within its own call, then returns stop, passes the request on once', async () => {
  log.length = 0;
  const seen = server.received.length;
  const client = await ToyClient.connect(ADDRESS, port);
  const reply = await client.call({ id: 4, headers: { method: 'resume-within-a' } });
  assert.equal(reply.type, 'response');
  assert.deepEqual(log, ['a:request', 'b:request', 'b:response', 'a:response']);
  assert.equal(server.received.length, seen + 1);
  client.close();
});

test('a chain resumes once: a second continueDecoding is ignored', async () => {
  log.length = 0;
  const seen = server.received.length;
  const client = await ToyClient.connect(ADDRESS, port);
  const reply = await client.call({ id: 5, headers: { method: 'resume-twice-a' } });
  assert.equal(reply.type, 'response');
  assert.deepEqual(log, ['a:request', 'b:request', 'b:response', 'a:response']);
  assert.equal(server.received.length, seen + 1, 'the upstream got the request once');
  client.close();
});

test('an encoder filter can pause the response and resume it', async () => {
  log.length = 0;
  const client = await ToyClient.connect(ADDRESS, port);
  const reply = await client.call({ id: 6, headers: { method: 'pause-response-b' } });
  assert.equal(reply.type, 'response');
  assert.equal(reply.headers['x-a'], 'r');
  assert.deepEqual(log, ['a:request', 'b:request', 'b:response', 'a:response']);
  client.close();
});

test('a filter returning a promise (an async onRequest) fails its request: internal, counted', async () => {
  log.length = 0;
  const seen = server.received.length;
  const errors = proxy.listenerMap.get('l')!.stats.filterError['a'] ?? 0;
  const client = await ToyClient.connect(ADDRESS, port);
  const reply = await client.call({ id: 7, headers: { method: 'async-a' } });
  assert.equal(reply.type, 'error');
  assert.equal(reply.headers['kind'], 'internal');
  assert.match(reply.payload, /filter a failed: onRequest returned a promise/);
  assert.deepEqual(log, ['a:request'], 'the chain stops there');
  assert.equal(server.received.length, seen);
  assert.equal(proxy.listenerMap.get('l')!.stats.filterError['a'], errors + 1);
  const next = await client.call({ id: 8, headers: { method: 'm' } });
  assert.equal(next.type, 'response', 'the connection serves the next request');
  client.close();
});

for (const [method, side] of [
  ['forget-a', 'request'],
  ['forget-response-b', 'response'],
] as const) {
  test(`a filter that pauses the ${side} and never resumes it: timeout after the listener's request timeout`, async () => {
    const timeouts = proxy.listenerMap.get('short')!.stats.localReply.timeout;
    const client = await ToyClient.connect(ADDRESS, shortPort);
    const started = Date.now();
    const reply = await client.call({ id: 9, headers: { method } });
    assert.ok(Date.now() - started >= SHORT_TIMEOUT_MS - 5, 'not before the timeout');
    assert.equal(reply.type, 'error');
    assert.equal(reply.headers['kind'], 'timeout');
    assert.match(
      reply.payload,
      new RegExp(
        `filter ${method.at(-1)} paused the request and did not resume it within ${SHORT_TIMEOUT_MS} ms`,
      ),
    );
    assert.equal(proxy.listenerMap.get('short')!.stats.localReply.timeout, timeouts + 1);
    client.close();
  });
}
