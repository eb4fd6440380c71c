/**
 * Upstream connections speak the codec with the listener's codecConfig (a frame-size limit bounds
 * responses as well as requests), and listeners with equal settings share the upstream pools.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { CodecRegistry, type CodecFactory } from '../../../src/codec/index.js';
import { thriftCodecFactory } from '../../../src/codecs/thrift/index.js';
import { ErrorCodes } from '../../../src/errors.js';
import { Proxy } from '../../../src/proxy/proxy.js';
import { UpstreamCodecs } from '../../../src/upstream/upstream-codec.js';
import type { ListenerResource, ProxySnapshot } from '../../../src/xds/resources.js';
import { cluster, route } from '../resource-fixtures.js';
import { toyCodecFactory } from './toy-codec.js';
import { ToyClient, ToyServer } from './toy-peers.js';

const ADDRESS = '127.0.77.21';
const logger = pino({ level: 'silent' });

/** The toy codec, recording the side and config of every codec it makes. */
function recordingFactory(created: [side: string, config: unknown][]): CodecFactory {
  return {
    ...toyCodecFactory,
    create: (side, config) => {
      created.push([side, config]);
      return toyCodecFactory.create(side, config);
    },
  };
}

function listener(port: number, codecConfig: unknown): ListenerResource {
  return {
    name: `${ADDRESS}_${port}`,
    address: ADDRESS,
    port,
    protocol: 'toy',
    codec: toyCodecFactory.name,
    ...(codecConfig === undefined ? {} : { codecConfig }),
    routeConfigName: 'toy',
    statPrefix: 'outbound|0||toy',
    idleTimeoutMs: 0,
    requestTimeoutMs: 2000,
    multiplexing: true,
  };
}

describe('upstream codec config', () => {
  test('UpstreamCodecs hands out one object per codec and equal settings', () => {
    const codecs = new UpstreamCodecs();
    const a = codecs.get(toyCodecFactory, { maxFrameSize: 1024 });
    assert.equal(codecs.get(toyCodecFactory, { maxFrameSize: 1024 }), a);
    assert.notEqual(codecs.get(toyCodecFactory, { maxFrameSize: 2048 }), a);
    assert.notEqual(codecs.get(toyCodecFactory, undefined), a);
    assert.equal(codecs.get(toyCodecFactory, undefined), codecs.get(toyCodecFactory, undefined));
    assert.deepEqual(a, { factory: toyCodecFactory, config: { maxFrameSize: 1024 } });
  });

  describe('through the proxy', () => {
    const server = new ToyServer('v1');
    const created: [string, unknown][] = [];
    let proxy: Proxy;
    let serverPort: number;

    before(async () => {
      serverPort = await server.start();
      const registry = new CodecRegistry();
      registry.register(recordingFactory(created));
      proxy = new Proxy(registry, logger);
    });

    after(async () => {
      await proxy.close(100);
      await server.stop();
    });

    test("each listener's upstream connections get its codecConfig; equal settings share a pool", async () => {
      const ports = [41901, 41902, 41903];
      const configs = [{ maxFrameSize: 1024 }, { maxFrameSize: 4096 }, { maxFrameSize: 1024 }];
      const snapshot: ProxySnapshot = {
        version: 'v',
        listeners: ports.map((port, i) => listener(port, configs[i])),
        clusters: [cluster('v1')],
        endpoints: [
          {
            clusterName: 'v1',
            endpoints: [{ address: '127.0.0.1', port: serverPort, labels: {}, weight: 1 }],
          },
        ],
        routes: [{ name: 'toy', routes: [route('all', 'v1')] }],
      };
      await proxy.apply(snapshot);
      assert.deepEqual(
        created.splice(0),
        configs.map(config => ['downstream', config]),
        "apply checks each listener's codecConfig with one codec",
      );
      for (const [i, port] of ports.entries()) {
        const client = await ToyClient.connect(ADDRESS, port);
        assert.equal((await client.call({ id: i + 1 })).headers['server'], 'v1');
        client.close();
      }
      const upstream = created.filter(([side]) => side === 'upstream').map(([, config]) => config);
      assert.deepEqual(upstream, [{ maxFrameSize: 1024 }, { maxFrameSize: 4096 }]);
      assert.equal(server.connections, 2, 'the third listener, with equal settings, shares the first pool');
      const downstream = created.filter(([side]) => side === 'downstream').map(([, config]) => config);
      assert.deepEqual(downstream, configs);
    });
  });
});

describe('a codecConfig the codec rejects', () => {
  test('rejects that listener alone, naming it and the setting; its running version stays', async () => {
    const registry = new CodecRegistry();
    registry.register(thriftCodecFactory);
    const proxy = new Proxy(registry, logger);
    try {
      const thriftListener = (codecConfig: unknown): ListenerResource => ({
        ...listener(41911, codecConfig),
        protocol: 'thrift',
        codec: thriftCodecFactory.name,
      });
      const snapshot = (codecConfig: unknown): ProxySnapshot => ({
        version: 'v',
        listeners: [thriftListener(codecConfig)],
        clusters: [],
        endpoints: [],
        routes: [{ name: 'toy', routes: [] }],
      });
      await proxy.apply(snapshot({ maxHeaders: 64 }));
      const { rejected } = await proxy.apply(snapshot({ maxHeaders: 'many' }));
      assert.equal(rejected.length, 1);
      assert.equal(rejected[0]!.code, ErrorCodes.CONFIG_INVALID);
      assert.equal(rejected[0]!.serving, 'previous');
      assert.match(rejected[0]!.reason, /listener '127\.0\.77\.21_41911'.*maxHeaders must be an integer/);
      assert.deepEqual(proxy.listenerMap.get(`${ADDRESS}_41911`)?.state.resource.codecConfig, {
        maxHeaders: 64,
      });
    } finally {
      await proxy.close(100);
    }
  });
});
