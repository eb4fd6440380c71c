import { describe, test } from 'node:test';
import fc from 'fast-check';
import { thriftCodecFactory } from '../../../../src/codecs/thrift/index.js';
import { chunkSizes, feedCodec, onlyCodecErrors } from '../codec-fuzz.js';
import { PROTOCOLS, TRANSPORTS, sampleMessage } from './fixtures.js';

const samples = TRANSPORTS.flatMap(transport =>
  PROTOCOLS.map(protocol => sampleMessage(transport, protocol, { seqid: 0x1234 })),
);

const configs = [undefined, { maxFrameSize: 64 }, { maxDepth: 2 }];

function run(bytes: Uint8Array, sizes: readonly number[], config: unknown): unknown {
  return feedCodec(thriftCodecFactory.create('downstream', config), bytes, sizes, 0xfffffffe);
}

const configArb = fc.constantFrom(...configs);

describe('thrift codec: no input crashes it', () => {
  test('random bytes throw nothing but CodecError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), chunkSizes, configArb, (bytes, sizes, config) =>
        onlyCodecErrors(run(bytes, sizes, config)),
      ),
      { numRuns: 1500, seed: 7 },
    );
  });

  test('real messages with bytes changed, dropped or added throw nothing but CodecError', () => {
    const edit = fc.record({
      at: fc.nat(),
      kind: fc.constantFrom('set', 'delete', 'insert'),
      value: fc.integer({ min: 0, max: 255 }),
    });
    fc.assert(
      fc.property(
        fc.constantFrom(...samples),
        fc.array(edit, { minLength: 1, maxLength: 4 }),
        chunkSizes,
        configArb,
        (sample, edits, sizes, config) => {
          const bytes = [...sample];
          for (const { at, kind, value } of edits) {
            const where = at % Math.max(1, bytes.length);
            if (kind === 'set') bytes[where] = value;
            else if (kind === 'delete') bytes.splice(where, 1);
            else bytes.splice(where, 0, value);
          }
          onlyCodecErrors(run(Uint8Array.from(bytes), sizes, config));
        },
      ),
      { numRuns: 1500, seed: 11 },
    );
  });

  test('the start of a real message followed by random bytes throws nothing but CodecError', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...samples),
        fc.nat(),
        fc.uint8Array({ maxLength: 200 }),
        chunkSizes,
        (sample, cut, tail, sizes) => {
          const head = sample.subarray(0, cut % (sample.length + 1));
          onlyCodecErrors(run(Buffer.concat([head, tail]), sizes, undefined));
        },
      ),
      { numRuns: 1500, seed: 13 },
    );
  });
});
