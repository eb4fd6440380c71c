import assert from 'node:assert/strict';
import { test } from 'node:test';
import { selectPortProtocol } from '../../../src/api/port-protocol.js';

test('port names select protocols as Aeraki parses them', () => {
  const cases: [string, ReturnType<typeof selectPortProtocol>][] = [
    ['tcp-metaprotocol-dubbo', { family: 'metaprotocol', protocol: 'dubbo' }],
    ['tcp-metaprotocol-thrift-9090', { family: 'metaprotocol', protocol: 'thrift' }],
    ['tcp-metaprotocol-thrift-hello-server', { family: 'metaprotocol', protocol: 'thrift' }],
    ['tcp-MetaProtocol-trpc', { family: 'metaprotocol', protocol: 'trpc' }],
    ['tcp-dubbo', { family: 'metaprotocol', protocol: 'dubbo' }],
    ['tcp-Dubbo-28001', { family: 'metaprotocol', protocol: 'dubbo' }],
    ['tcp-thrift-hello-server', { family: 'metaprotocol', protocol: 'thrift' }],
    ['tcp-metaprotocol', { family: 'metaprotocol-unnamed' }],
    ['tcp-metaprotocol-', { family: 'metaprotocol-unnamed' }],
    ['tcp-redis', { family: 'redis' }],
    ['tcp-redis-cache', { family: 'redis' }],
    // Aeraki also wants the literal prefix `tcp-redis`.
    ['TCP-Redis', { family: 'other', protocol: 'redis' }],
    ['tcp-kafka-broker', { family: 'other', protocol: 'kafka' }],
    ['Dubbo', { family: 'none' }],
    ['tcp', { family: 'none' }],
    ['http', { family: 'none' }],
    ['tcp-unknown', { family: 'none' }],
  ];
  for (const [name, expected] of cases) assert.deepEqual(selectPortProtocol(name), expected, name);
});

test('the protocol segment keeps its case (codecs are looked up case-sensitively)', () => {
  assert.deepEqual(selectPortProtocol('tcp-metaprotocol-Thrift'), {
    family: 'metaprotocol',
    protocol: 'Thrift',
  });
});
