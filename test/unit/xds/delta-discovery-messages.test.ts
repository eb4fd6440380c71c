/**
 * Delta discovery messages: the hand-spliced DeltaDiscoveryResponse decodes with Envoy's own message
 * definition (resources keep their bytes, names and versions; removed names listed), and requests
 * round-trip with subscriptions, initial versions, node metadata and NACK details.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  assembleDeltaResponseBody,
  decodeDeltaDiscoveryRequest,
  decodeDeltaDiscoveryResponse,
  decodeMessage,
  encodeDeltaDiscoveryRequest,
  encodeDeltaDiscoveryResponse,
  encodeResponseResource,
  encodeSnapshot,
  finishDeltaResponse,
  TypeUrls,
  type DeltaDiscoveryRequest,
} from '../../../src/xds/index.js';
import { sampleSnapshot } from './sample-snapshot.js';

describe('delta discovery messages', () => {
  test('a spliced response is a valid envoy.service.discovery.v3.DeltaDiscoveryResponse', () => {
    const clusters = encodeSnapshot(sampleSnapshot(['a', 'b'], 'a')).filter(
      r => r.typeUrl === TypeUrls.cluster,
    );
    const body = assembleDeltaResponseBody(
      'v1',
      TypeUrls.cluster,
      clusters.map((r, i) => ({
        name: r.name,
        version: `r${i}`,
        wire: encodeResponseResource(r.typeUrl, r.value),
      })),
      ['gone-1', 'gone-2'],
    );
    const bytes = finishDeltaResponse(body, 'n1', 'cp');
    const decoded = decodeMessage('envoy.service.discovery.v3.DeltaDiscoveryResponse', bytes);
    assert.equal(decoded['system_version_info'], 'v1');
    assert.equal(decoded['type_url'], TypeUrls.cluster);
    assert.equal(decoded['nonce'], 'n1');
    assert.deepEqual(decoded['control_plane'], { identifier: 'cp' });
    assert.deepEqual(decoded['removed_resources'], ['gone-1', 'gone-2']);
    const resources = decoded['resources'] as {
      name: string;
      version: string;
      resource: { type_url: string; value: Uint8Array };
    }[];
    assert.deepEqual(
      resources.map(r => [
        r.name,
        r.version,
        r.resource.type_url,
        Buffer.from(r.resource.value).toString('hex'),
      ]),
      clusters.map((r, i) => [r.name, `r${i}`, r.typeUrl, Buffer.from(r.value).toString('hex')]),
    );
  });

  test('responses round-trip, large resources and empty parts included', () => {
    const value = new Uint8Array(300_000).fill(7);
    const response = {
      system_version_info: 'v',
      type_url: 't',
      nonce: 'n',
      removed_resources: [],
      resources: [{ name: 'big', version: '1', resource: { type_url: 'x/y', value } }],
    };
    const decoded = decodeDeltaDiscoveryResponse(encodeDeltaDiscoveryResponse(response));
    assert.equal(decoded.resources[0]?.resource.value.length, 300_000);
    assert.equal(decoded.resources[0]?.name, 'big');
    const empty = decodeDeltaDiscoveryResponse(
      encodeDeltaDiscoveryResponse({ ...response, resources: [], removed_resources: ['only'] }),
    );
    assert.deepEqual(empty, {
      system_version_info: 'v',
      type_url: 't',
      nonce: 'n',
      resources: [],
      removed_resources: ['only'],
    });
  });

  test('requests round-trip with subscriptions, initial versions, node metadata and a NACK', () => {
    const request: DeltaDiscoveryRequest = {
      node: { id: 'node-1', cluster: 'c', metadata: { ISTIO_VERSION: '1.22', labels: { app: 'x' } } },
      type_url: TypeUrls.clusterLoadAssignment,
      resource_names_subscribe: ['a', 'b'],
      resource_names_unsubscribe: ['c'],
      initial_resource_versions: { a: '0123456789abcdef' },
      response_nonce: '7',
      error_detail: { code: 3, message: 'bad' },
    };
    const decoded = decodeDeltaDiscoveryRequest(encodeDeltaDiscoveryRequest(request));
    assert.deepEqual(decoded, request);
    const ack = decodeDeltaDiscoveryRequest(
      encodeDeltaDiscoveryRequest({
        type_url: 't',
        resource_names_subscribe: [],
        resource_names_unsubscribe: [],
        initial_resource_versions: {},
        response_nonce: '8',
      }),
    );
    assert.deepEqual(ack, {
      type_url: 't',
      resource_names_subscribe: [],
      resource_names_unsubscribe: [],
      initial_resource_versions: {},
      response_nonce: '8',
    });
  });

  test('malformed bytes are refused with an error, never a partial request', () => {
    assert.throws(() => decodeDeltaDiscoveryRequest(Buffer.from([0x12, 0x05, 0x61])));
  });
});
