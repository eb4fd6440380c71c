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
    requestIds: [1, 300, 70000, 0x7ffffff0, 2 ** 40],
  });
});
