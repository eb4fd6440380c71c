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

/** Records its turn, adds a header, and can pause or reject. */
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
    return 'continue';
  }

  onResponse(ctx: RequestContext): FilterStatus {
    log.push(`${this.name}:response`);
    ctx.addResponseHeader(`x-${this.name}`, 'r');
    return 'continue';
  }
}

const server = new ToyServer('up');
let proxy: Proxy;
let port: number;

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
