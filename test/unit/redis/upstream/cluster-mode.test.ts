import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseClusterShards, parseClusterSlots } from '../../../../src/redis/upstream/cluster-mode.js';
import type { RedisNode } from '../../../../src/redis/upstream/redis-node.js';
import { decodeReply } from '../../../../src/redis/resp/resp-value.js';

const asked = { address: '10.0.0.9', port: 7000 } as RedisNode;

test('CLUSTER SHARDS (RESP2 flat maps and RESP3 maps): ranges, master, replicas and their health', () => {
  // As Redis 7.0 answers in RESP2.
  const resp2 = Buffer.from(
    '*1\r\n*4\r\n$5\r\nslots\r\n*4\r\n:0\r\n:99\r\n:200\r\n:299\r\n$5\r\nnodes\r\n*2\r\n' +
      '*8\r\n$4\r\nport\r\n:7001\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$6\r\nhealth\r\n$6\r\nonline\r\n' +
      '*8\r\n$4\r\nport\r\n:7002\r\n$8\r\nendpoint\r\n$1\r\n?\r\n$4\r\nrole\r\n$7\r\nreplica\r\n$6\r\nhealth\r\n$4\r\nfail\r\n',
  );
  assert.deepEqual(parseClusterShards(decodeReply(resp2), asked), [
    {
      ranges: [
        [0, 99],
        [200, 299],
      ],
      master: { address: '127.0.0.1', port: 7001, master: true, failed: false },
      replicas: [{ address: '10.0.0.9', port: 7002, master: false, failed: true }],
    },
  ]);
});

test('CLUSTER SLOTS: ranges by master, an empty IP meaning the node asked', () => {
  const reply = Buffer.from(
    '*2\r\n' +
      '*4\r\n:0\r\n:5460\r\n*3\r\n$9\r\n127.0.0.1\r\n:7001\r\n$2\r\nid\r\n*3\r\n$0\r\n\r\n:7004\r\n$2\r\nid\r\n' +
      '*3\r\n:5461\r\n:5470\r\n*3\r\n$9\r\n127.0.0.1\r\n:7001\r\n$2\r\nid\r\n',
  );
  assert.deepEqual(parseClusterSlots(decodeReply(reply), asked), [
    {
      ranges: [
        [0, 5460],
        [5461, 5470],
      ],
      master: { address: '127.0.0.1', port: 7001, master: true, failed: false },
      replicas: [{ address: '10.0.0.9', port: 7004, master: false, failed: false }],
    },
  ]);
});
