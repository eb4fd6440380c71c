/**
 * Bad bytes from a proxy: mutated and random discovery requests (both variants) are decoded into a
 * well-formed request or refused with an Error, never anything else; on the wire, a stream that sends
 * them is ended with a gRPC error while the server keeps serving every other stream.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import {
  DELTA_REQUESTS,
  InterningRequestDecoder,
  SOTW_REQUESTS,
} from '../../../../src/control-plane/server/interned-requests.js';
import { AdsServer } from '../../../../src/control-plane/server/index.js';
import {
  ADS_METHOD_PATH,
  DELTA_ADS_METHOD_PATH,
  encodeDeltaDiscoveryRequest,
  encodeDiscoveryRequest,
  encodeSnapshot,
  TypeUrls,
} from '../../../../src/xds/index.js';
import { sampleSnapshot } from '../../xds/sample-snapshot.js';
import { RawDeltaAdsClient } from './raw-delta-ads-client.js';
import { seededRandom } from '../../seeded-random.js';

const names = Array.from({ length: 60 }, (_, i) => `outbound|9090|v${i % 3}|svc-${i}.ns.svc.cluster.local`);

const seeds = [
  encodeDiscoveryRequest({
    version_info: 'v1',
    node: { id: 'n', metadata: { a: 1 } },
    resource_names: names,
    type_url: TypeUrls.clusterLoadAssignment,
    response_nonce: '3',
    error_detail: { code: 3, message: 'bad' },
  }),
  encodeDeltaDiscoveryRequest({
    node: { id: 'n' },
    type_url: TypeUrls.clusterLoadAssignment,
    resource_names_subscribe: names,
    resource_names_unsubscribe: ['x'],
    initial_resource_versions: { a: '1' },
    response_nonce: '4',
  }),
];

/** A mutation of a valid request: flipped bytes, a cut, a splice of random bytes, or all random. */
function mutate(random: () => number, seed: Buffer): Buffer {
  const bytes = Buffer.from(seed);
  switch (Math.floor(random() * 4)) {
    case 0:
      for (let i = 0; i < 1 + random() * 8; i++) bytes[Math.floor(random() * bytes.length)] = random() * 256;
      return bytes;
    case 1:
      return bytes.subarray(0, Math.floor(random() * bytes.length));
    case 2: {
      const at = Math.floor(random() * bytes.length);
      const junk = Buffer.from(Array.from({ length: 1 + Math.floor(random() * 16) }, () => random() * 256));
      return Buffer.concat([bytes.subarray(0, at), junk, bytes.subarray(at)]);
    }
    default:
      return Buffer.from(Array.from({ length: Math.floor(random() * 200) }, () => random() * 256));
  }
}

describe('discovery request fuzzing', () => {
  test('decoders return a well-formed request or throw an Error, for 4,000 mutated requests', () => {
    const random = seededRandom(20261204);
    const sotw = new InterningRequestDecoder(SOTW_REQUESTS);
    const delta = new InterningRequestDecoder(DELTA_REQUESTS);
    let refused = 0;
    for (let i = 0; i < 4000; i++) {
      const bytes = mutate(random, seeds[i % 2]!);
      try {
        if (i % 4 < 2) {
          const r = sotw.decode(bytes);
          assert.equal(typeof r.type_url, 'string');
          assert.ok(Array.isArray(r.resource_names));
          assert.ok(r.resource_names.every(n => typeof n === 'string'));
        } else {
          const r = delta.decode(bytes);
          assert.equal(typeof r.type_url, 'string');
          assert.ok(r.resource_names_subscribe.every(n => typeof n === 'string'));
          assert.ok(r.resource_names_unsubscribe.every(n => typeof n === 'string'));
          assert.equal(typeof r.initial_resource_versions, 'object');
        }
      } catch (err) {
        if (err instanceof assert.AssertionError) throw err;
        assert.ok(err instanceof Error, `a decoder threw ${String(err)}`);
        refused++;
      }
    }
    // Most mutations break the encoding; the test is only meaningful if some do.
    assert.ok(refused > 100, `only ${refused} of 4000 refused`);
  });

  describe('on the wire', () => {
    let ads: AdsServer;
    let port: number;

    before(async () => {
      ads = new AdsServer({ debounce: { quietPeriodMs: 0, maxDelayMs: 0 } });
      ads.setSnapshot('*', encodeSnapshot(sampleSnapshot(['a'], 'a')));
      port = await ads.start('127.0.0.1', 0);
    });

    after(async () => {
      await ads.stop();
    });

    test('a stream of garbage is ended with an error; other streams keep being served', async () => {
      const healthy = new RawDeltaAdsClient(port, 'healthy');
      healthy.send({ type_url: TypeUrls.cluster });
      healthy.ack(await healthy.next());
      const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
      const random = seededRandom(7);
      try {
        for (const path of [ADS_METHOD_PATH, DELTA_ADS_METHOD_PATH]) {
          const call = client.makeBidiStreamRequest(
            path,
            (b: Buffer) => b,
            (b: Buffer) => b,
          );
          const ended = new Promise<grpc.StatusObject>(resolve => call.on('status', resolve));
          call.on('error', () => undefined);
          call.on('data', () => undefined);
          // A truncated varint cannot decode as anything.
          call.write(Buffer.concat([mutate(random, seeds[0]!), Buffer.from([0x0a, 0xff])]));
          const status = await ended;
          assert.notEqual(status.code, grpc.status.OK, `${path} ended with an error`);
        }
        // The healthy stream still gets changes.
        ads.setSnapshot('*', encodeSnapshot(sampleSnapshot(['a', 'b'], 'a')));
        const change = await healthy.next();
        assert.deepEqual(
          change.resources.map(r => r.name),
          ['b'],
        );
      } finally {
        client.close();
        healthy.close();
      }
    });
  });
});
