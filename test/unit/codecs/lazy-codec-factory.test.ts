/**
 * Built-in codecs loaded on first use: each (Dubbo, Thrift, the declarative codec) is registered by
 * name and loaded when a snapshot names it, so a snapshot naming it still gets it, a bad description
 * still gets its clear error, and a codec that cannot be loaded rejects its listeners with the reason.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import { parse } from 'yaml';
import { ByteQueue } from '../../../src/codec/index.js';
import { CodecRegistry } from '../../../src/codec/registry.js';
import { builtinCodecs } from '../../../src/codecs/index.js';
import { declarativeCodecFactory } from '../../../src/codecs/declarative/index.js';
import { dubboCodecFactory } from '../../../src/codecs/dubbo/index.js';
import { LazyCodecFactory, prepareCodecs } from '../../../src/codecs/lazy-codec-factory.js';
import { thriftCodecFactory } from '../../../src/codecs/thrift/index.js';
import { AerakiError, ErrorCodes } from '../../../src/errors.js';
import { Proxy } from '../../../src/proxy/proxy.js';
import type { ListenerResource, ProxySnapshot } from '../../../src/xds/resources.js';

const DECLARATIVE = 'aeraki.meta_protocol.codec.declarative';
const repo = join(import.meta.dirname, '../../../..');
const memcached = parse(readFileSync(join(repo, 'plugins/declarative/memcached.yaml'), 'utf8')) as Record<
  string,
  unknown
>;
const logger = pino({ level: 'silent' });
const ADDRESS = '127.0.77.41';

/** A memcached binary GET of `key`. */
function memcachedGet(key: string): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt8(0x80, 0);
  header.writeUInt16BE(key.length, 2);
  header.writeUInt32BE(key.length, 8);
  header.writeUInt32BE(7, 12);
  return Buffer.concat([header, Buffer.from(key)]);
}

function listener(port: number, codecConfig: unknown): ListenerResource {
  return {
    name: `${ADDRESS}_${port}`,
    address: ADDRESS,
    port,
    protocol: 'memcached',
    codec: DECLARATIVE,
    codecConfig,
    routeConfigName: 'memcached',
    statPrefix: 'outbound|0||memcached',
    idleTimeoutMs: 0,
    requestTimeoutMs: 1000,
    multiplexing: false,
  };
}

function snapshot(...listeners: ListenerResource[]): ProxySnapshot {
  return {
    version: 'v',
    listeners,
    clusters: [],
    endpoints: [],
    routes: [{ name: 'memcached', routes: [] }],
  };
}

describe('the built-in codecs, loaded on first use', () => {
  test('are registered with their names and capabilities, and refuse to make codecs until loaded', () => {
    const registry = builtinCodecs();
    for (const real of [dubboCodecFactory, thriftCodecFactory, declarativeCodecFactory]) {
      const factory = registry.require(real.name);
      assert.ok(factory instanceof LazyCodecFactory);
      assert.equal(factory.loaded, false);
      assert.deepEqual(factory.capabilities, real.capabilities);
      assert.throws(
        () => factory.create('downstream', real === declarativeCodecFactory ? memcached : undefined),
        (err: unknown) =>
          err instanceof AerakiError &&
          err.code === ErrorCodes.CODEC_UNKNOWN &&
          err.message === `codec '${real.name}' is not loaded yet`,
      );
    }
  });

  test('prepareCodecs loads only what the listeners name, and says when there is nothing to wait for', async () => {
    const registry = builtinCodecs();
    const factory = registry.require(DECLARATIVE) as LazyCodecFactory;
    const thrift = registry.require(thriftCodecFactory.name) as LazyCodecFactory;
    assert.equal(prepareCodecs(registry, [{ codec: 'unknown' }]), undefined);
    await prepareCodecs(registry, [{ codec: thriftCodecFactory.name }, { codec: 'unknown' }]);
    assert.equal(thrift.loaded, true);
    assert.equal(prepareCodecs(registry, [{ codec: thriftCodecFactory.name }]), undefined);
    assert.equal(factory.loaded, false);
    assert.equal((registry.require(dubboCodecFactory.name) as LazyCodecFactory).loaded, false);
    const loading = prepareCodecs(registry, [{ codec: DECLARATIVE }, { codec: DECLARATIVE }]);
    assert.ok(loading instanceof Promise);
    await loading;
    assert.equal(factory.loaded, true);
    assert.equal(prepareCodecs(registry, [{ codec: DECLARATIVE }]), undefined);
    const codec = factory.create('downstream', memcached);
    const queue = new ByteQueue();
    queue.push(memcachedGet('user:42'));
    const message = codec.decode(queue);
    assert.equal(message?.type, 'request');
    assert.equal(message?.metadata.get('key'), 'user:42');
  });

  test('a snapshot naming it gets it: the proxy loads it before building the listener', async () => {
    const proxy = new Proxy(builtinCodecs(), logger);
    try {
      const { rejected } = await proxy.apply(snapshot(listener(41941, memcached)));
      assert.deepEqual(rejected, []);
      const bound = proxy.listenerMap.get(`${ADDRESS}_41941`);
      assert.equal(bound?.state.codecFactory.name, DECLARATIVE);
    } finally {
      await proxy.close(100);
    }
  });

  test('a bad description in the first snapshot that names it is rejected with the field and the problem', async () => {
    const proxy = new Proxy(builtinCodecs(), logger);
    try {
      const bad = { ...memcached, magic: { field: 'nope', values: [1] } };
      const { rejected } = await proxy.apply(snapshot(listener(41942, bad), listener(41943, memcached)));
      assert.equal(rejected.length, 1, 'the good listener beside it runs');
      assert.equal(rejected[0]!.name, `${ADDRESS}_41942`);
      assert.equal(rejected[0]!.code, ErrorCodes.CONFIG_INVALID);
      assert.match(
        rejected[0]!.reason,
        /listener '127\.0\.77\.41_41942': codec config rejected: magic\.field: 'nope' is not a field/,
      );
      assert.ok(proxy.listenerMap.has(`${ADDRESS}_41943`));
    } finally {
      await proxy.close(100);
    }
  });

  test('a codec that cannot be loaded rejects its listeners with the reason, and is tried again', async () => {
    let attempts = 0;
    const lazy = new LazyCodecFactory(DECLARATIVE, declarativeCodecFactory.capabilities, async () => {
      attempts++;
      if (attempts === 1) throw new Error('disk on fire');
      return declarativeCodecFactory;
    });
    const registry = new CodecRegistry();
    registry.register(lazy);
    const proxy = new Proxy(registry, logger);
    try {
      const first = await proxy.apply(snapshot(listener(41944, memcached)));
      assert.equal(first.rejected.length, 1);
      assert.match(first.rejected[0]!.reason, /could not be loaded: disk on fire/);
      const second = await proxy.apply(snapshot(listener(41944, memcached)));
      assert.deepEqual(second.rejected, []);
      assert.equal(attempts, 2);
    } finally {
      await proxy.close(100);
    }
  });
});
