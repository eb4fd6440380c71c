/** The per-node ACK/NACK registry: stream counts, state per type, bounded memory of gone nodes. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StatusRegistry } from '../../../../src/control-plane/server/xds-status.js';

describe('StatusRegistry', () => {
  test('tracks sent, ACKed and NACKed responses per node and type', () => {
    const registry = new StatusRegistry();
    registry.streamOpened('n');
    registry.subscribed('n', 't', new Set(['b', 'a']));
    registry.sent('n', 't', 'v1', '1');
    registry.acked('n', 't', 'v1', true);
    registry.sent('n', 't', 'v2', '2');
    const nack = {
      version: 'v2',
      nonce: '2',
      errorDetail: { code: 3, message: 'no' },
      at: '2024-01-01T00:00:00.000Z',
    };
    registry.nacked('n', 't', nack, true);
    assert.deepEqual(registry.snapshot(), {
      nodes: [
        {
          nodeId: 'n',
          streams: 1,
          types: [
            {
              typeUrl: 't',
              subscribed: ['a', 'b'],
              responsesSent: 2,
              state: 'nacked',
              nackCount: 1,
              sentVersion: 'v2',
              sentNonce: '2',
              ackedVersion: 'v1',
              lastNack: nack,
            },
          ],
        },
      ],
    });
  });

  test('keeps gone nodes for the record, but only the last thousand', () => {
    const registry = new StatusRegistry();
    for (let i = 0; i < 1005; i++) {
      registry.streamOpened(`n${i}`);
      registry.streamClosed(`n${i}`);
    }
    registry.streamOpened('live');
    const nodes = registry.snapshot().nodes;
    assert.equal(nodes.length, 1001);
    assert.equal(
      nodes.find(n => n.nodeId === 'n0'),
      undefined,
    );
    assert.equal(nodes.find(n => n.nodeId === 'n1004')?.streams, 0);
    assert.equal(nodes.find(n => n.nodeId === 'live')?.streams, 1);
  });
});
