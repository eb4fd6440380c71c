/**
 * A Redis listener whose address another program holds, in a proxy with two workers: the listener is
 * named as rejected while the address is taken, and once it is freed every worker binds it (node:cluster
 * shares one socket only between workers that asked for it as often as each other, so the workers must
 * retry in step) and the proxy names it no more. Real peers: a Debian redis-server upstream, redis-cli.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  adminAddress,
  proxyStatus,
  createConfigDir,
  freePort,
  squat,
  startAeraki,
  testAddress,
  untilListenerBound,
} from '../harness/index.js';
import { RedisServer, redisCli } from '../harness/redis-server.js';
import { redisEntry, redisService } from '../harness/redis-config.js';

const ADDRESS = testAddress(74);

let store: RedisServer;

before(async () => {
  store = await RedisServer.start();
});

after(async () => {
  await store?.stop();
});

test(
  'a Redis listener on a taken address binds in every worker once the address is free',
  { timeout: 60_000 },
  async () => {
    const port = await freePort(ADDRESS);
    const squatter = await squat(ADDRESS, port);
    const config = await createConfigDir({
      'redis.yaml': [
        redisEntry({ name: 'front', addresses: [ADDRESS], port, endpoints: [] }),
        redisEntry({ name: 'store', port: 6379, endpoints: [store] }),
        redisService({ name: 'front', host: 'front', redis: [{ route: { host: 'store' } }] }),
      ],
    });
    try {
      const aeraki = await startAeraki(config.path, { extraArgs: ['--workers', '2'] });
      try {
        const admin = adminAddress(aeraki);
        const deadline = Date.now() + 15_000;
        let view = await proxyStatus(admin);
        while (view.rejectedListeners.length === 0 && Date.now() < deadline) {
          await sleep(100);
          view = await proxyStatus(admin);
        }
        assert.deepEqual(
          view.rejectedListeners.map(r => r.code),
          ['AERAKI_ERR_LISTEN_FAILED'],
        );
        assert.match(view.rejectedListeners[0]!.reason, /EADDRINUSE/);

        squatter.kill();
        await untilListenerBound(aeraki, ADDRESS, port);
        // Fresh connections are dealt to the workers in turn: each one must route them.
        for (let i = 0; i < 4; i++) {
          assert.equal(await redisCli(ADDRESS, port, ['SET', `k${i}`, `v${i}`]), 'OK');
        }
        for (let i = 0; i < 4; i++) assert.equal(await store.cli('GET', `k${i}`), `v${i}`);
      } finally {
        await aeraki.stop();
      }
    } finally {
      squatter.kill();
      await config.remove();
    }
  },
);
