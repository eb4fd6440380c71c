/**
 * Interned resource names: a name list seen before is handed out as the same array, decoded exactly
 * as protobufjs decodes it; and streams with the same subscription share the response body.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ResourceSnapshot, SnapshotCache } from '../../../../src/control-plane/cache/index.js';
import { AdsStream, responseBody } from '../../../../src/control-plane/server/ads-stream.js';
import {
  DELTA_REQUESTS,
  InterningRequestDecoder,
  SOTW_REQUESTS,
} from '../../../../src/control-plane/server/interned-requests.js';
import { SharedResponses } from '../../../../src/control-plane/server/shared-responses.js';
import { StatusRegistry } from '../../../../src/control-plane/server/xds-status.js';
import {
  decodeDeltaDiscoveryRequest,
  decodeDiscoveryRequest,
  encodeDeltaDiscoveryRequest,
  finishResponse,
  encodeDiscoveryRequest,
  encodeSnapshot,
  TypeUrls,
  type DeltaDiscoveryRequest,
  type DiscoveryRequest,
} from '../../../../src/xds/index.js';
import { sampleSnapshot } from '../../xds/sample-snapshot.js';

const clusters = Array.from(
  { length: 200 },
  (_, i) => `outbound|9090|v${i % 3}|svc-${i}.ns.svc.cluster.local`,
);

function request(names: readonly string[], nonce: string, withNode = false): DiscoveryRequest {
  return {
    version_info: nonce === '' ? '' : `v-${nonce}`,
    resource_names: names,
    type_url: TypeUrls.clusterLoadAssignment,
    response_nonce: nonce,
    ...(withNode ? { node: { id: 'node-1', cluster: 'c' } } : {}),
  };
}

describe('InterningRequestDecoder', () => {
  test('decodes as protobufjs does, and hands out the same array for the same list', () => {
    const decoder = new InterningRequestDecoder(SOTW_REQUESTS);
    const first = encodeDiscoveryRequest(request(clusters, '', true));
    const one = decoder.decode(first);
    assert.deepEqual(one, decodeDiscoveryRequest(first));
    const second = encodeDiscoveryRequest({
      ...request(clusters, '7'),
      error_detail: { code: 3, message: 'bad' },
    });
    const two = decoder.decode(second);
    assert.deepEqual(two, decodeDiscoveryRequest(second));
    assert.equal(two.resource_names, one.resource_names);
    assert.equal(decoder.hits, 1);
  });

  test('a list that differs in one name, or is short, is decoded on its own', () => {
    const decoder = new InterningRequestDecoder(SOTW_REQUESTS);
    const one = decoder.decode(encodeDiscoveryRequest(request(clusters, '1')));
    const changed = [...clusters];
    changed[100] = changed[100]!.replace('v1', 'v2');
    const two = decoder.decode(encodeDiscoveryRequest(request(changed, '2')));
    assert.deepEqual(two.resource_names, changed);
    assert.notEqual(two.resource_names, one.resource_names);
    const short = ['a', 'b'];
    const three = decoder.decode(encodeDiscoveryRequest(request(short, '3')));
    const four = decoder.decode(encodeDiscoveryRequest(request(short, '4')));
    assert.deepEqual(four.resource_names, short);
    assert.notEqual(four.resource_names, three.resource_names);
    assert.equal(decoder.hits, 0);
  });

  test('the least recently used lists are forgotten once 256 are remembered', () => {
    const decoder = new InterningRequestDecoder(SOTW_REQUESTS);
    const list = (i: number): string[] => clusters.map(c => `${c}-${i}`);
    const decode = (i: number): readonly string[] =>
      decoder.decode(encodeDiscoveryRequest(request(list(i), String(i)))).resource_names;
    const kept = decode(0);
    const dropped = decode(1);
    for (let i = 2; i < 200; i++) decode(i);
    assert.equal(decode(0), kept, 'used again, so it moves to the back');
    for (let i = 200; i < 300; i++) decode(i);
    assert.equal(decode(0), kept);
    const again = decode(1);
    assert.notEqual(again, dropped);
    assert.deepEqual(again, dropped);
  });

  test('delta subscriptions are interned the same way; unsubscriptions and the rest decode as usual', () => {
    const decoder = new InterningRequestDecoder(DELTA_REQUESTS);
    const delta = (nonce: string): DeltaDiscoveryRequest => ({
      node: { id: `node-${nonce}` },
      type_url: TypeUrls.clusterLoadAssignment,
      resource_names_subscribe: clusters,
      resource_names_unsubscribe: ['old'],
      initial_resource_versions: { a: '1' },
      response_nonce: nonce,
    });
    const firstBytes = encodeDeltaDiscoveryRequest(delta('1'));
    const one = decoder.decode(firstBytes);
    assert.deepEqual(one, decodeDeltaDiscoveryRequest(firstBytes));
    const secondBytes = encodeDeltaDiscoveryRequest(delta('2'));
    const two = decoder.decode(secondBytes);
    assert.deepEqual(two, decodeDeltaDiscoveryRequest(secondBytes));
    assert.equal(two.resource_names_subscribe, one.resource_names_subscribe);
    assert.equal(decoder.hits, 1);
  });

  test('names split by another field are all decoded', () => {
    const head = Buffer.from(encodeDiscoveryRequest(request(clusters, '1')));
    const tail = Buffer.from(encodeDiscoveryRequest({ ...request(['last-one'], ''), type_url: '' }));
    const decoded = new InterningRequestDecoder(SOTW_REQUESTS).decode(Buffer.concat([head, tail]));
    assert.deepEqual(decoded.resource_names, [...clusters, 'last-one']);
    assert.equal(decoded.response_nonce, '1');
  });
});

describe('shared responses', () => {
  test('two streams with the same subscription are sent one response', async () => {
    const cache = new SnapshotCache({ quietPeriodMs: 0, maxDelayMs: 0 });
    const names = ['a', 'b'];
    const snapshot = ResourceSnapshot.from(encodeSnapshot(sampleSnapshot(names, 'a')));
    cache.setSnapshot('*', snapshot);
    const registry = new StatusRegistry();
    let nonce = 0;
    const nextNonce = (): string => String(++nonce);
    const hooks = {
      controlPlaneId: 'cp',
      shared: new SharedResponses('cp', nextNonce, finishResponse),
      nextNonce,
      onAck: () => undefined,
      onNack: () => undefined,
    };
    const written: Buffer[][] = [[], []];
    const streams = written.map(
      out => new AdsStream({ write: b => out.push(b), fail: () => undefined }, cache, registry, hooks),
    );
    const subscription = Object.freeze([...names]);
    for (const [i, stream] of streams.entries()) {
      stream.handleRequest({ ...request(subscription, ''), node: { id: `node-${i}` } });
    }
    await new Promise(resolve => setImmediate(resolve));
    const eds = snapshot.types.get(TypeUrls.clusterLoadAssignment);
    assert.ok(eds !== undefined);
    const body = responseBody(TypeUrls.clusterLoadAssignment, eds.version, eds.entries);
    assert.equal(responseBody(TypeUrls.clusterLoadAssignment, eds.version, eds.entries), body);
    for (const out of written) {
      assert.equal(out.length, 1);
      assert.ok(out[0]!.subarray(0, body.length).equals(body), 'the response starts with the shared body');
    }
    assert.equal(written[0]![0], written[1]![0], 'one response object for both streams');
    assert.equal(nonce, 1, 'one nonce for both');

    // Asked again on the same stream, the same body goes out under a nonce that stream has not seen.
    streams[0]!.handleRequest(request(subscription, ''));
    await new Promise(resolve => setImmediate(resolve));
    assert.equal(written[0]!.length, 2);
    assert.notEqual(written[0]![1], written[0]![0]);
    assert.equal(nonce, 2);
  });
});
