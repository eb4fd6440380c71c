/**
 * A codec without code: memcached's binary protocol described in YAML (plugins/declarative/
 * memcached.yaml) routes memjs traffic by key over two Debian memcached servers, both ways it can be
 * used — inline in an ApplicationProtocol (`declarativeCodec`) and loaded with `--plugin`.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import {
  applicationProtocol,
  memjsClient,
  repoRoot,
  startCacheProxy,
  testAddress,
  type CacheProxy,
  type ConfigDocument,
  type MemcachedServer,
} from './harness/index.js';

const descriptionFile = join(repoRoot(), 'plugins/declarative/memcached.yaml');

const ways: { name: string; protocol: ConfigDocument; args: string[] }[] = [
  {
    name: 'inline in an ApplicationProtocol (declarativeCodec)',
    protocol: applicationProtocol('memcached', 'aeraki.meta_protocol.codec.declarative', {
      declarativeCodec: parse(readFileSync(descriptionFile, 'utf8')) as unknown,
    }),
    args: [],
  },
  {
    name: 'loaded with --plugin memcached.yaml',
    protocol: applicationProtocol('memcached', 'aeraki.meta_protocol.codec.memcached'),
    args: ['--plugin', descriptionFile],
  },
];

for (const [i, way] of ways.entries()) {
  describe(`the declarative memcached codec, ${way.name}`, () => {
    const address = testAddress(72, i + 1);
    let cache: CacheProxy;
    let a: MemcachedServer;
    let b: MemcachedServer;
    let port: number;

    before(async () => {
      cache = await startCacheProxy(address, way.protocol, way.args);
      ({ a, b, port } = cache);
    });

    after(async () => {
      await cache?.stop();
    });

    test('routes by key: each prefix to its server, replies to the right caller', async () => {
      const client = memjsClient(`${address}:${port}`);
      const [onA, onB] = [memjsClient(`127.0.0.1:${a.port}`), memjsClient(`127.0.0.1:${b.port}`)];
      try {
        await Promise.all(
          Array.from({ length: 20 }, (_, k) =>
            Promise.all([
              client.set(`user:${k}`, `u${k}`, { expires: 0 }),
              client.set(`session:${k}`, `s${k}`, { expires: 0 }),
            ]),
          ),
        );
        for (let k = 0; k < 20; k++) {
          assert.equal((await client.get(`user:${k}`)).value?.toString(), `u${k}`);
          assert.equal((await onA.get(`user:${k}`)).value?.toString(), `u${k}`);
          assert.equal((await onB.get(`user:${k}`)).value, null);
          assert.equal((await onB.get(`session:${k}`)).value?.toString(), `s${k}`);
          assert.equal((await onA.get(`session:${k}`)).value, null);
        }
      } finally {
        for (const c of [client, onA, onB]) c.close();
      }
    });

    test("a dead server: the description's local reply template, memcached's temporary failure", async () => {
      const client = memjsClient(`${address}:${port}`);
      try {
        await assert.rejects(client.set('dead:1', 'x', { expires: 0 }), /MemJS SET: Temporary failure/);
      } finally {
        client.close();
      }
    });
  });
}
