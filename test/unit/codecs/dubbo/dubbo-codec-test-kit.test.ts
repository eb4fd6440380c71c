import { describe, test } from 'node:test';
import { runCodecTestKit } from '../../../../src/codec/test-kit.js';
import { dubboCodecFactory } from '../../../../src/codecs/dubbo/index.js';
import { codecFixtures } from './fixtures.js';

describe('dubbo codec test kit', () => {
  runCodecTestKit(dubboCodecFactory, codecFixtures(), {
    test,
    randomRuns: 300,
    mutationRuns: 80,
    maxBoundaries: 1024,
    // Dubbo ids are signed longs: the wide ones and negative ones must round-trip too.
    requestIds: [1, 300, 70000, 0x7ffffff0, 2 ** 40, -1, 2n ** 53n + 1n, 2n ** 63n - 1n, -(2n ** 63n)],
  });
});
