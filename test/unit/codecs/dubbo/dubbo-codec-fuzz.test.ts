import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ByteQueue } from '../../../../src/codec/byte-queue.js';
import { dubboCodecFactory } from '../../../../src/codecs/dubbo/index.js';
import { CodecError } from '../../../../src/errors.js';
import { codecFixtures } from './fixtures.js';

const samples = codecFixtures().map(f => ({ bytes: f.bytes, side: f.side ?? 'downstream' }));
const configs = [undefined, { maxBodySize: 64 }, { maxDepth: 2 }];

/**
 * Decodes `bytes` arriving in chunks of the given sizes and exercises encode, local replies and
 * heartbeat replies on whatever comes out. Returns the error thrown, if any.
 */
function run(
  bytes: Uint8Array,
  sizes: readonly number[],
  side: 'downstream' | 'upstream',
  config: unknown,
): unknown {
  const codec = dubboCodecFactory.create(side, config);
  const queue = new ByteQueue();
  let at = 0;
  let turn = 0;
  try {
    while (at < bytes.length) {
      const size = Math.max(1, sizes[turn++ % Math.max(1, sizes.length)] ?? bytes.length);
      queue.push(Buffer.from(bytes.subarray(at, at + size)));
      at += size;
      for (;;) {
        const before = queue.length;
        const message = codec.decode(queue);
        if (message === undefined) break;
        assert.ok(queue.length < before, 'a decoded message consumes bytes');
        codec.encode(message, { requestId: 0x7ffffffe, mutation: new Map([['k', 'v']]) });
        codec.encode(message, { requestId: 3 });
        codec.encodeLocalReply(message, { kind: 'timeout', message: 'fuzz' });
        if (message.type === 'heartbeat') codec.encodeHeartbeatReply!(message);
      }
    }
    codec.encodeLocalReply(undefined, { kind: 'bad-request', message: 'fuzz' });
  } catch (error) {
    return error;
  }
  return undefined;
}

function onlyCodecErrors(error: unknown): void {
  if (error === undefined) return;
  if (error instanceof assert.AssertionError) throw error;
  assert.ok(CodecError.isCodecError(error), `threw a non-codec error: ${String(error)}`);
}

const sizesArb = fc.array(fc.integer({ min: 1, max: 64 }), { maxLength: 8 });
const configArb = fc.constantFrom(...configs);
const sideArb = fc.constantFrom('downstream' as const, 'upstream' as const);

describe('dubbo codec: no input crashes it', () => {
  test('random bytes after a valid header throw nothing but CodecError', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        sizesArb,
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
        sizesArb,
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
