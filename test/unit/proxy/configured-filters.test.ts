/**
 * Listeners built from the filter registry: the configured filters run in their listed order around
 * the rate limits, the router last; a filter is kept while its config is unchanged and closed when it
 * changes; an unknown filter or a config its schema refuses rejects that listener alone. And a
 * plugin's filter that throws later, from a timer it started for a request, or after resuming the
 * chain, fails only that request: `internal`, counted and logged with its name.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { CodecRegistry } from '../../../src/codec/index.js';
import { FilterRegistry } from '../../../src/filters/filter-registry.js';
import {
  defineFilter,
  filterName,
  z,
  type FilterStatus,
  type RequestContext,
} from '../../../src/filters/filter-sdk.js';
import { listenerFilterStats } from '../../../src/proxy/filter-stats.js';
import { Proxy } from '../../../src/proxy/proxy.js';
import { ProxyMetricsExporter } from '../../../src/proxy/telemetry/prometheus.js';
import type { ListenerFilterResource, ListenerResource, ProxySnapshot } from '../../../src/xds/resources.js';
import { cluster as clusterResource } from '../resource-fixtures.js';
import { toyCodecFactory } from './toy-codec.js';
import { toyListener } from './toy-listener.js';
import { ToyClient, ToyServer } from './toy-peers.js';

const ADDRESS = '127.0.77.10';
const OTHER = '127.0.77.11';
const TAGGER = filterName('tagger');
const ASYNC = filterName('async_thrower');
const order: string[] = [];
const lifecycle = { created: 0, closed: 0 };

const tagger = defineFilter({
  name: TAGGER,
  configSchema: z.object({ tag: z.string() }),
  create: config => {
    lifecycle.created++;
    return {
      name: TAGGER,
      onRequest(ctx: RequestContext): FilterStatus {
        order.push(`tag ${config.tag}`);
        ctx.addRequestHeader('x-tag', config.tag);
        return 'continue';
      },
      onResponse(ctx: RequestContext): FilterStatus {
        order.push(`tag ${config.tag} response`);
        ctx.addResponseHeader('x-tagged', config.tag);
        return 'continue';
      },
      close() {
        lifecycle.closed++;
      },
    };
  },
});

/** Throws later, in code it started, as the request's method says. */
const asyncThrower = defineFilter({
  name: ASYNC,
  create: () => ({
    name: ASYNC,
    onRequest(ctx: RequestContext): FilterStatus {
      switch (ctx.request.metadata.get('method')) {
        case 'timer':
          setTimeout(() => {
            throw new TypeError('timer bug');
          }, 5);
          return 'stop';
        case 'resume-then-throw':
          setTimeout(() => {
            ctx.continueDecoding();
            throw new TypeError('bug after resuming');
          }, 5);
          return 'stop';
        default:
          return 'continue';
      }
    },
  }),
});

const logLines: Record<string, unknown>[] = [];
const logSink = new Writable({
  write(chunk: Buffer, _encoding, done) {
    for (const line of chunk.toString().split('\n')) if (line !== '') logLines.push(JSON.parse(line));
    done();
  },
});

const server = new ToyServer('up', { delayMs: frame => (frame.headers?.['method'] === 'slow' ? 150 : 0) });
let proxy: Proxy;
let upstreamPort: number;

function snapshot(
  version: string,
  filters: readonly ListenerFilterResource[],
  other?: ListenerResource,
): ProxySnapshot {
  const listener = toyListener(ADDRESS, {
    localRateLimit: {
      tokenBucket: { maxTokens: 1000, tokensPerFill: 1000, fillIntervalMs: 60_000 },
      conditions: [],
    },
    filters,
  });
  return {
    version,
    listeners: other === undefined ? [listener] : [listener, other],
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
}

const CHAIN: ListenerFilterResource[] = [
  { name: TAGGER, config: { tag: 'first' } },
  { name: filterName('local_ratelimit') },
  { name: ASYNC },
  { name: TAGGER, config: { tag: 'second' } },
];

function port(address = ADDRESS): number {
  return proxy.listenerMap.get(`${address}_0`)!.boundPort;
}

before(async () => {
  upstreamPort = await server.start();
  const codecs = new CodecRegistry();
  codecs.register(toyCodecFactory);
  const filters = new FilterRegistry();
  filters.add(tagger, "'./tagger.mjs'");
  filters.add(asyncThrower, "'./async.mjs'");
  proxy = new Proxy(codecs, pino({ level: 'warn' }, logSink), [], undefined, { filterRegistry: filters });
  const result = await proxy.apply(snapshot('1', CHAIN));
  assert.deepEqual(result.rejected, []);
});

after(async () => {
  await proxy.close(100);
  await server.stop();
});

describe('configured filters', () => {
  test('run in the listed order around the rate limit, encoders in reverse, router last', async () => {
    order.length = 0;
    const client = await ToyClient.connect(ADDRESS, port());
    const reply = await client.call({ id: 1, headers: { method: 'm' } });
    client.close();
    assert.deepEqual(order, ['tag first', 'tag second', 'tag second response', 'tag first response']);
    assert.equal(server.received.at(-1)!.headers['x-tag'], 'second', 'the later filter wrote last');
    assert.equal(reply.headers['x-tagged'], 'first', 'the first filter saw the response last');
    const decoders = proxy.listenerMap.get(`${ADDRESS}_0`)!.state.decoders.map(f => f.name);
    assert.deepEqual(decoders, [TAGGER, filterName('local_ratelimit'), ASYNC, TAGGER, filterName('router')]);
  });

  test('a filter is kept while its config is unchanged, made anew and the old one closed when it changes', async () => {
    const before = { ...lifecycle };
    await proxy.apply(snapshot('2', CHAIN));
    assert.deepEqual(lifecycle, before, 'same config: same filters');
    await proxy.apply(snapshot('3', [{ name: TAGGER, config: { tag: 'changed' } }, ...CHAIN.slice(1)]));
    assert.equal(lifecycle.created, before.created + 1);
    assert.equal(lifecycle.closed, before.closed + 1);
    await proxy.apply(snapshot('4', CHAIN));
  });

  test('an unknown filter or a refused config rejects that listener alone, naming filter and field', async () => {
    const other = toyListener(OTHER, { filters: [{ name: TAGGER, config: { tag: 1 } as never }] });
    let result = await proxy.apply(snapshot('5', CHAIN, other));
    assert.equal(result.rejected.length, 1);
    assert.equal(result.rejected[0]!.name, `${OTHER}_0`);
    assert.equal(result.rejected[0]!.code, 'AERAKI_ERR_CONFIG_INVALID');
    assert.match(
      result.rejected[0]!.reason,
      /filter 'aeraki\.meta_protocol\.filters\.tagger': config rejected: tag: /,
    );
    result = await proxy.apply(
      snapshot('6', CHAIN, toyListener(OTHER, { filters: [{ name: filterName('nope') }] })),
    );
    assert.equal(result.rejected[0]!.code, 'AERAKI_ERR_FILTER_UNKNOWN');
    const client = await ToyClient.connect(ADDRESS, port());
    assert.equal(
      (await client.call({ id: 1, headers: { method: 'm' } })).type,
      'response',
      'the others serve',
    );
    client.close();
    await proxy.apply(snapshot('7', CHAIN));
  });
});

describe("a plugin filter's later throw fails only its request", () => {
  // A rejected promise is tested end to end (plugin-filters e2e): node:test reports every unhandled
  // rejection of its process as a failure, whoever handles it too.
  for (const method of ['timer', 'resume-then-throw']) {
    test(`thrown from ${method}`, async () => {
      const stats = proxy.listenerMap.get(`${ADDRESS}_0`)!.stats;
      const before = stats.filterError['async_thrower'] ?? 0;
      const client = await ToyClient.connect(ADDRESS, port());
      try {
        const slow = client.call({ id: 1, headers: { method: 'slow' }, payload: 'other' });
        const reply = await client.call({ id: 2, headers: { method } });
        assert.equal(reply.type, 'error');
        assert.equal(reply.headers['kind'], 'internal');
        assert.match(reply.payload, /filter aeraki\.meta_protocol\.filters\.async_thrower failed: .*bug/);
        assert.equal((await slow).payload, 'up:other', 'the other request goes on');
        assert.equal(client.closed, false);
        assert.equal(stats.filterError['async_thrower'], before + 1);
        assert.ok(logLines.some(l => l['source'] === ASYNC && l['level'] === 50));
      } finally {
        client.close();
      }
    });
  }
});

describe("plugin filters' counters in the metrics", () => {
  // Names a plugin may pick: dotted and dashed (not a metric name as they are), one whose counter
  // would take a listener stat's name (filter `request`, counter `active`), and a stats getter that throws.
  const counting = (name: string, stats: () => object) =>
    defineFilter({
      name,
      create: () => ({
        name,
        get stats() {
          return stats();
        },
        onRequest: () => 'continue' as const,
      }),
    });
  const DOTTED = filterName('acme.deny-list');
  const CLASHING = filterName('request');
  const BROKEN = filterName('broken_stats');

  test('each filter under its own name, made a valid metric name; a clash or a throwing getter is left out', async () => {
    const codecs = new CodecRegistry();
    codecs.register(toyCodecFactory);
    const filters = new FilterRegistry();
    filters.add(
      counting(DOTTED, () => ({ denied: 2, 'hits-total': 3 })),
      "'./acme.mjs'",
    );
    filters.add(
      counting(CLASHING, () => ({ active: 7, seen: 4 })),
      "'./clash.mjs'",
    );
    filters.add(
      counting(BROKEN, () => {
        throw new Error('stats bug');
      }),
      "'./broken.mjs'",
    );
    const metricsProxy = new Proxy(codecs, pino({ level: 'silent' }), [], undefined, {
      filterRegistry: filters,
    });
    try {
      const listener = toyListener('127.0.77.12', {
        filters: [{ name: DOTTED }, { name: CLASHING }, { name: BROKEN }],
      });
      const result = await metricsProxy.apply({ ...snapshot('1', []), listeners: [listener] });
      assert.deepEqual(result.rejected, []);
      const state = metricsProxy.listenerMap.get('127.0.77.12_0')!.state;
      assert.deepEqual(Object.keys(listenerFilterStats(state)).sort(), [DOTTED, CLASHING].sort());
      const exporter = new ProxyMetricsExporter({
        requestMetrics: undefined,
        listeners: () => metricsProxy.listenerMap.values(),
        clusters: () => [],
      });
      const text = await exporter.text();
      assert.match(
        text,
        /^envoy_meta_protocol_acme_deny_list_denied\{[^}]*listener="127\.0\.77\.12_0"[^}]*\} 2$/m,
      );
      assert.match(text, /^envoy_meta_protocol_acme_deny_list_hits_total\{[^}]*\} 3$/m);
      assert.match(text, /^envoy_meta_protocol_request_seen\{[^}]*\} 4$/m);
      assert.doesNotMatch(
        text,
        /^envoy_meta_protocol_request_active\{[^}]*\} 7$/m,
        'the listener stat keeps its name',
      );
      assert.match(text, /^envoy_meta_protocol_request_active\{[^}]*\} 0$/m);
      for (const line of text.split('\n')) {
        if (line.startsWith('#') || line === '') continue;
        assert.match(line, /^[a-zA-Z_:][a-zA-Z0-9_:]*[{ ]/, `a valid metric name: ${line}`);
      }
    } finally {
      await metricsProxy.close(100);
    }
  });
});
