import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decodeRedisListener,
  decodeSnapshot,
  encodeMessage,
  encodeRedisListener,
  encodeSnapshot,
  packAny,
  type ProtoObject,
  type RedisListenerResource,
} from '../../../src/xds/index.js';

const LISTENER: RedisListenerResource = {
  name: '127.0.0.1_6379',
  address: '127.0.0.1',
  port: 6379,
  statPrefix: 'outbound|6379||r',
  settings: {
    opTimeoutMs: 250,
    enableHashtagging: true,
    enableRedirection: true,
    maxBufferSizeBeforeFlush: 1024,
    bufferFlushTimeoutMs: 2,
    maxUpstreamUnknownConnections: 7,
    enableCommandStats: true,
    readPolicy: 'PREFER_REPLICA',
  },
  routes: [
    {
      prefix: 'a:',
      removePrefix: true,
      cluster: 'ca',
      mirrors: [{ cluster: 'cm', percent: 12.5, excludeReadCommands: true }],
    },
  ],
  catchAllRoute: { prefix: '', removePrefix: false, cluster: 'cb', mirrors: [] },
  caseInsensitive: true,
  faults: [{ type: 'ERROR', percent: 5, delayMs: 10, commands: ['get'] }],
  downstreamAuth: { username: 'u', passwords: ['p1', 'p2'] },
};

/** A Listener with this RedisProxy config. */
function listenerWith(proxy: ProtoObject): Uint8Array {
  return encodeMessage('envoy.config.listener.v3.Listener', {
    name: 'l',
    address: { socket_address: { address: '127.0.0.1', port_value: 6379 } },
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.redis_proxy',
            typed_config: packAny('envoy.extensions.filters.network.redis_proxy.v3.RedisProxy', proxy),
          },
        ],
      },
    ],
  });
}

test("a Redis listener encodes as Envoy's redis_proxy and decodes back the same", () => {
  assert.deepEqual(decodeRedisListener(encodeRedisListener(LISTENER)), LISTENER);
});

test("Envoy's defaults and validation rules apply to a foreign RedisProxy", () => {
  const minimal = decodeRedisListener(
    listenerWith({
      stat_prefix: 's',
      settings: { op_timeout: { seconds: 1 } },
      prefix_routes: { catch_all_route: { cluster: 'c' } },
      downstream_auth_password: { inline_string: 'legacy' },
    }),
  );
  assert.equal(minimal?.settings.maxUpstreamUnknownConnections, 100);
  assert.equal(minimal?.settings.bufferFlushTimeoutMs, 3);
  assert.equal(minimal?.settings.readPolicy, 'MASTER');
  assert.deepEqual(minimal?.downstreamAuth, { passwords: ['legacy'] });
  const bad: [ProtoObject, RegExp][] = [
    [{ stat_prefix: 's', prefix_routes: { catch_all_route: { cluster: 'c' } } }, /settings: is required/],
    [
      { stat_prefix: 's', settings: {}, prefix_routes: { catch_all_route: { cluster: 'c' } } },
      /op_timeout: is required/,
    ],
    [{ stat_prefix: 's', settings: { op_timeout: { seconds: 1 } } }, /needs routes or a catch_all_route/],
    [
      {
        stat_prefix: 's',
        settings: { op_timeout: { seconds: 1 } },
        prefix_routes: {
          routes: [
            { prefix: 'A', cluster: 'x' },
            { prefix: 'a', cluster: 'y' },
          ],
          case_insensitive: true,
        },
      },
      /prefix "a" is listed twice/,
    ],
    [
      {
        stat_prefix: 's',
        settings: { op_timeout: { seconds: 1 } },
        prefix_routes: { routes: [{ prefix: 'a', cluster: 'x', key_formatter: '%KEY%' }] },
      },
      /key_formatter: is not supported/,
    ],
  ];
  for (const [proxy, error] of bad) assert.throws(() => decodeRedisListener(listenerWith(proxy)), error);
});

test('a snapshot whose Redis listener names a missing cluster is refused as a whole', () => {
  const encoded = encodeSnapshot({
    version: '1',
    listeners: [],
    clusters: [],
    endpoints: [],
    routes: [],
    redisListeners: [LISTENER],
  });
  const decoded = decodeSnapshot('1', encoded);
  assert.equal(decoded.snapshot, undefined);
  assert.match(decoded.errors.join('\n'), /cluster "ca" is not defined/);
});
