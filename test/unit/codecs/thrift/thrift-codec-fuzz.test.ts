import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ByteQueue } from '../../../../src/codec/byte-queue.js';
import type { Message } from '../../../../src/codec/index.js';
import { thriftCodecFactory } from '../../../../src/codecs/thrift/index.js';
import { CodecError } from '../../../../src/errors.js';
import {
  chunkSizes,
  feedCodec,
  messageMutationArb,
  mutateMessage,
  onlyCodecErrors,
  type MessageLayout,
  type MessageMutation,
} from '../codec-fuzz.js';
import {
  CALL,
  ONEWAY,
  readWholeMessage,
  writeMessage,
  type Protocol,
  type Transport,
} from './apache-thrift.js';
import { PROTOCOLS, TRANSPORTS, sampleMessage } from './fixtures.js';
import { argsArb, writeValue, type TypeDesc } from './random-structs.js';

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

/** Type ids, lengths and counts as the binary and compact protocols write them, edge values first. */
const mutationArb = messageMutationArb({
  values: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 0x1c, 0xff],
  encodings: [
    ...[0, 1, 2, 64, 0x7fffffff, -1, -65536].map(v => [...int32(v)]),
    ...[0, 1, 3, 65, 0x7fffffff, 0xffffffff].map(v => [...varint(v)]),
  ],
});

/** Where the message's envelope starts (after the frame size and THeader block), and its frame size. */
function layout(bytes: Buffer, transport: Transport): MessageLayout {
  if (transport === 'unframed') return { start: 0 };
  const start = transport === 'framed' ? 4 : 14 + bytes.readUInt16BE(12) * 4;
  return { start, lengthAt: 0, lengthFrom: 4 };
}

function int32(value: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeInt32BE(value | 0, 0);
  return out;
}

function varint(value: number): Buffer {
  const bytes: number[] = [];
  let v = value >>> 0;
  while (v >= 0x80) {
    bytes.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  bytes.push(v);
  return Buffer.from(bytes);
}

/** A call with random arguments as the Apache library writes it, then mutated. */
function mutatedCall(
  stack: { transport: Transport; protocol: Protocol },
  args: { type: TypeDesc; value: unknown },
  mutations: readonly MessageMutation[],
): Buffer {
  const original = writeMessage({
    ...stack,
    name: 'Svc:call',
    type: CALL,
    seqid: 9,
    body: p => writeValue(p, args.type, args.value),
    headers: stack.transport === 'header' ? { tenant: 'blue' } : undefined,
  });
  return mutations.reduce((b, m) => mutateMessage(b, m, layout(b, stack.transport)), original);
}

/** The first message a downstream codec decodes from `bytes`, or what it threw, or undefined. */
function firstMessage(bytes: Buffer): Message | Error | undefined {
  const queue = new ByteQueue();
  queue.push(bytes);
  try {
    return thriftCodecFactory.create('downstream').decode(queue);
  } catch (error) {
    return error as Error;
  }
}

const stackArb = fc.constantFrom(
  ...TRANSPORTS.flatMap(transport => PROTOCOLS.map(protocol => ({ transport, protocol }))),
);

describe('thrift codec: what it forwards from a client, an Apache server reads whole', () => {
  test('structure-aware mutations of random calls: accepted ⇒ read whole by the Apache library', () => {
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(
        stackArb,
        argsArb,
        fc.array(mutationArb, { minLength: 1, maxLength: 3 }),
        (stack, args, mutations) => {
          const { transport, protocol } = stack;
          const bytes = mutatedCall(stack, args, mutations);
          const decoded = firstMessage(bytes);
          if (decoded instanceof Error) {
            assert.ok(CodecError.isCodecError(decoded), String(decoded));
            refused++;
            return;
          }
          if (decoded === undefined) return; // still waiting for bytes the frame announced
          accepted++;
          let read: { type: number; consumed: number };
          try {
            read = readWholeMessage(decoded.bytes, transport, protocol);
          } catch (error) {
            // The Node library checks a UUID's version bits; the C++ and Java readers take any 16 bytes.
            if (/UUID is invalid/.test(String(error))) return;
            throw error;
          }
          assert.equal(read.consumed, decoded.bytes.length, 'the Apache library reads exactly the message');
          assert.ok(read.type === CALL || read.type === ONEWAY);
        },
      ),
      { numRuns: 3000, seed: 17 },
    );
    // The mutations must exercise both outcomes, or the property says little.
    assert.ok(accepted > 100 && refused > 100, `accepted ${accepted}, refused ${refused}`);
  });

  test('structure-aware mutations of random calls: read whole by the Apache library ⇒ accepted', () => {
    fc.assert(
      fc.property(
        stackArb,
        argsArb,
        fc.array(mutationArb, { minLength: 1, maxLength: 3 }),
        (stack, args, mutations) => {
          const { transport, protocol } = stack;
          if (transport === 'header') return; // the library reads THeader blocks more loosely than C++ and Java
          const bytes = mutatedCall(stack, args, mutations);
          let read: { type: number; consumed: number };
          try {
            read = readWholeMessage(bytes, transport, protocol);
          } catch {
            return;
          }
          const whole = transport === 'unframed' || read.consumed === bytes.length;
          if (!whole || (read.type !== CALL && read.type !== ONEWAY)) return;
          const decoded = firstMessage(bytes);
          assert.ok(decoded !== undefined && !(decoded instanceof Error), `refused: ${String(decoded)}`);
          assert.equal(decoded.bytes.length, read.consumed);
        },
      ),
      { numRuns: 3000, seed: 19 },
    );
  });
});
