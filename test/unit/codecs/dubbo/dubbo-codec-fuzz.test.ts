import { describe, test } from 'node:test';
import fc from 'fast-check';
import { dubboCodecFactory } from '../../../../src/codecs/dubbo/index.js';
import { chunkSizes, feedCodec, onlyCodecErrors } from '../codec-fuzz.js';
import { codecFixtures } from './fixtures.js';

const samples = codecFixtures().map(f => ({ bytes: f.bytes, side: f.side ?? 'downstream' }));
const configs = [undefined, { maxBodySize: 64 }, { maxDepth: 2 }];

function run(
  bytes: Uint8Array,
  sizes: readonly number[],
  side: 'downstream' | 'upstream',
  config: unknown,
): unknown {
  return feedCodec(dubboCodecFactory.create(side, config), bytes, sizes, 0x7ffffffe);
}

const configArb = fc.constantFrom(...configs);
const sideArb = fc.constantFrom('downstream' as const, 'upstream' as const);

describe('dubbo codec: no input crashes it', () => {
  test('random bytes after a valid header throw nothing but CodecError', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        chunkSizes,
        sideArb,
        configArb,
        (body, sizes, side, config) => {
          const header = Buffer.from([0xda, 0xbb, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, body.length]);
          onlyCodecErrors(run(Buffer.concat([header, body]), sizes, side, config));
        },
      ),
      { numRuns: 500 },
    );
  });

  test('fixtures with random bytes changed throw nothing but CodecError', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...samples),
        fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 4 }),
        chunkSizes,
        configArb,
        (sample, flips, sizes, config) => {
          const bytes = Buffer.from(sample.bytes);
          for (const [at, value] of flips) bytes[16 + (at % Math.max(1, bytes.length - 16))] = value;
          onlyCodecErrors(run(bytes, sizes, sample.side, config));
        },
      ),
      { numRuns: 1000 },
    );
  });
});
