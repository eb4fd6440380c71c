/**
 * Discovery messages: the hand-spliced DiscoveryResponse decodes with Envoy's own message definition,
 * and requests round-trip with node metadata and NACK details.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  assembleDiscoveryResponse,
  decodeDiscoveryRequest,
  decodeDiscoveryResponse,
  decodeMessage,
  encodeDiscoveryRequest,
  encodeDiscoveryResponse,
  encodeResponseResource,
  encodeSnapshot,
  TypeUrls,
} from '../../../src/xds/index.js';
import { sampleSnapshot } from './sample-snapshot.js';

describe('discovery messages', () => {
  test('a spliced response is a valid envoy.service.discovery.v3.DiscoveryResponse', () => {
    const resources = encodeSnapshot(sampleSnapshot(['a', 'b'], 'a')).filter(
      r => r.typeUrl === TypeUrls.cluster,
    );
    const bytes = assembleDiscoveryResponse(
      'v1',
      TypeUrls.cluster,
      'n1',
      resources.map(r => encodeResponseResource(r.typeUrl, r.value)),
      'cp',
    );
    const decoded = decodeMessage('envoy.service.discovery.v3.DiscoveryResponse', bytes);
    assert.equal(decoded['version_info'], 'v1');
    assert.equal(decoded['type_url'], TypeUrls.cluster);
    assert.equal(decoded['nonce'], 'n1');
    assert.deepEqual(decoded['control_plane'], { identifier: 'cp' });
    const anys = decoded['resources'] as { type_url: string; value: Uint8Array }[];
    assert.deepEqual(
      anys.map(a => [a.type_url, Buffer.from(a.value).toString('hex')]),
      resources.map(r => [r.typeUrl, Buffer.from(r.value).toString('hex')]),
    );
  });

  test('large resources (multi-byte lengths) splice correctly', () => {
    const value = new Uint8Array(300_000).fill(7);
    const response = decodeDiscoveryResponse(
      encodeDiscoveryResponse({
        version_info: 'v',
        type_url: 't',
        nonce: 'n',
        resources: [{ type_url: 'x/y', value }],
      }),
    );
    assert.equal(response.resources[0]?.value.length, 300_000);
    assert.equal(response.resources[0]?.type_url, 'x/y');
  });

  test('an empty response keeps its version, type and nonce', () => {
    assert.deepEqual(decodeDiscoveryResponse(assembleDiscoveryResponse('v', 't', 'n', [])), {
      version_info: 'v',
      resources: [],
      type_url: 't',
      nonce: 'n',
    });
  });

  test('requests round-trip, with node metadata and a NACK', () => {
    const request = {
      version_info: 'v0',
      node: {
        id: 'sidecar~127.0.0.1~a.ns~ns.svc.cluster.local',
        cluster: 'a',
        metadata: { ISTIO_VERSION: '1.20', LABELS: { app: 'a' } },
      },
      resource_names: ['r1', 'r2'],
      type_url: TypeUrls.routeConfiguration,
      response_nonce: 'n1',
      error_detail: { code: 3, message: 'bad route' },
    };
    const decoded = decodeDiscoveryRequest(encodeDiscoveryRequest(request));
    assert.equal(decoded.node?.id, request.node.id);
    assert.equal(decoded.node?.cluster, 'a');
    assert.deepEqual(decoded.node?.metadata, request.node.metadata);
    assert.deepEqual(decoded.resource_names, ['r1', 'r2']);
    assert.deepEqual(decoded.error_detail, { code: 3, message: 'bad route' });
    assert.equal(decoded.version_info, 'v0');
    assert.equal(decoded.response_nonce, 'n1');
  });

  test('a minimal request decodes with empty defaults and no node', () => {
    const decoded = decodeDiscoveryRequest(
      encodeDiscoveryRequest({ version_info: '', resource_names: [], type_url: 't', response_nonce: '' }),
    );
    assert.deepEqual(decoded, { version_info: '', resource_names: [], type_url: 't', response_nonce: '' });
  });
});
