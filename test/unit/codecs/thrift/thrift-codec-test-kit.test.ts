import { describe, test } from 'node:test';
import { runCodecTestKit } from '../../../../src/codec/test-kit.js';
import { thriftCodecFactory } from '../../../../src/codecs/thrift/index.js';
import { PROTOCOLS, TRANSPORTS, fixturesFor } from './fixtures.js';

for (const transport of TRANSPORTS) {
  for (const protocol of PROTOCOLS) {
    describe(`thrift codec test kit: ${transport} ${protocol}`, () => {
      runCodecTestKit(thriftCodecFactory, fixturesFor(transport, protocol), {
        test,
        randomRuns: 200,
        mutationRuns: 60,
      });
    });
  }
}
