import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import hessian from 'hessian.js';
import { ByteQueue } from '../../../../src/codec/byte-queue.js';
import { dubboCodecFactory } from '../../../../src/codecs/dubbo/index.js';
import { CodecError } from '../../../../src/errors.js';
import { attachmentsMap, requestFrame } from '../../../e2e/dubbo/dubbo-wire.js';
import {
  chunkSizes,
  feedCodec,
  messageMutationArb,
  mutateMessage,
  onlyCodecErrors,
  type MessageLayout,
} from '../codec-fuzz.js';
import { SERVICE, codecFixtures, objectDescriptor } from './fixtures.js';
import { valueArb } from './random-values.js';

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

/** Tags that start (or end) Hessian values of every kind, and one that starts none. */
const TAGS = [
  0x00, 0x05, 0x20, 0x30, 0x40, 0x41, 0x42, 0x43, 0x44, 0x48, 0x49, 0x4c, 0x4d, 0x4e, 0x4f, 0x51, 0x52, 0x53,
  0x54, 0x56, 0x58, 0x59, 0x5a, 0x5b, 0x5f, 0x60, 0x61, 0x70, 0x78, 0x7f, 0x90, 0xc8, 0xd4, 0xe0, 0xf8,
];

/** Tags, 2-byte lengths, and the header's request, two-way, event and serialization bits. */
const mutationArb = messageMutationArb({
  values: TAGS,
  encodings: [0, 1, 31, 32, 0xffff].map(v => [v >> 8, v & 0xff]),
  headerFlips: [0x80, 0x40, 0x20, 0x1f, 0x03].map(mask => ({ offset: 2, mask })),
});

const LAYOUT: MessageLayout = { start: 16, lengthAt: 12, lengthFrom: 16 };

/** Parameter types in a JVM descriptor, counted the way Java's ReflectUtils.desc2classArray splits it. */
function descriptorCount(descriptor: string): number {
  return descriptor.match(/\[*(L[^;]+;|[ZBCDFIJSV])/g)?.length ?? 0;
}

/**
 * Reads a request body as a Dubbo provider does, with hessian.js: the header strings, as many
 * arguments as the parameter types say, then the attachments (a map, null, or nothing), which must end
 * the body. Returns false when hessian.js cannot read a form Java's Hessian2Input reads, true when
 * the body reads whole; throws otherwise.
 */
function providerReads(body: Buffer): boolean {
  const decoder = new hessian.DecoderV2(body);
  try {
    const strings = [decoder.read(), decoder.read(), decoder.read(), decoder.read()];
    let types = decoder.read();
    if (typeof types === 'number') types = decoder.read(); // the dubbox marker
    for (const value of [...strings, types]) {
      assert.ok(value === null || typeof value === 'string', `a header field is ${typeof value}`);
    }
    for (let i = descriptorCount((types as string | null) ?? ''); i > 0; i--) decoder.read();
    if (decoder.byteBuffer.position() < body.length) {
      const attachments = decoder.read();
      assert.ok(attachments === null || typeof attachments === 'object', 'attachments are a map');
    }
  } catch (error) {
    // Variable-length lists, and any value but an object right after a class definition: Java's
    // Hessian2Input reads both, hessian.js neither.
    if (/read got an unexpect code: 0x5[57]|readObject error, unexpect code/.test(String(error)))
      return false;
    throw error;
  }
  assert.equal(decoder.byteBuffer.position(), body.length, 'the body ends with its attachments');
  return true;
}

describe('dubbo codec: what it forwards from a client, a provider reads whole', () => {
  test('structure-aware mutations of random requests: accepted ⇒ read whole by hessian.js', () => {
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(
        fc.array(valueArb, { maxLength: 4 }),
        fc.array(mutationArb, { minLength: 1, maxLength: 3 }),
        (args, mutations) => {
          const request = requestFrame({
            requestId: 3,
            service: SERVICE,
            method: 'call',
            parameterTypes: objectDescriptor(args.length),
            args,
            attachments: attachmentsMap({ path: SERVICE, timeout: 3000 }),
          });
          const bytes = mutations.reduce((b, m) => mutateMessage(b, m, LAYOUT), request);
          const queue = new ByteQueue();
          queue.push(bytes);
          let message;
          try {
            message = dubboCodecFactory.create('downstream').decode(queue);
          } catch (error) {
            assert.ok(CodecError.isCodecError(error), String(error));
            refused++;
            return;
          }
          if (message === undefined || (message.type !== 'request' && message.type !== 'oneway')) return;
          accepted++;
          providerReads(message.bytes.subarray(16));
        },
      ),
      { numRuns: 3000, seed: 23 },
    );
    assert.ok(accepted > 100 && refused > 100, `accepted ${accepted}, refused ${refused}`);
  });
});
