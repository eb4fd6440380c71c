import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ByteQueue } from '../../../../src/codec/byte-queue.js';
import { NEED_MORE, StructSkipper } from '../../../../src/codecs/thrift/struct-skipper.js';
import { thriftCodecFactory } from '../../../../src/codecs/thrift/index.js';
import { CodecError, ErrorCodes } from '../../../../src/errors.js';
import { CALL, T, writeAllTypesArgs, writeMessage } from './apache-thrift.js';
import type { Protocol, TProtocol } from './apache-thrift.js';

/** A Thrift type, to generate values of arbitrary shape for the Apache library to write. */
type TypeDesc =
  | 'bool'
  | 'byte'
  | 'i16'
  | 'i32'
  | 'i64'
  | 'double'
  | 'string'
  | 'binary'
  | { readonly list: TypeDesc }
  | { readonly set: TypeDesc }
  | { readonly map: readonly [TypeDesc, TypeDesc] }
  | { readonly struct: readonly { readonly id: number; readonly type: TypeDesc }[] };

const scalar = fc.constantFrom<TypeDesc>('bool', 'byte', 'i16', 'i32', 'i64', 'double', 'string', 'binary');

const { type: typeArb } = fc.letrec<{ type: TypeDesc }>(tie => ({
  type: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    tie('type').map((t): TypeDesc => ({ list: t })),
    tie('type').map((t): TypeDesc => ({ set: t })),
    fc.tuple(tie('type'), tie('type')).map((kv): TypeDesc => ({ map: kv })),
    fc
      .uniqueArray(fc.tuple(fc.integer({ min: -200, max: 400 }), tie('type')), {
        maxLength: 5,
        selector: ([id]) => id,
      })
      .map((fields): TypeDesc => ({ struct: fields.map(([id, type]) => ({ id, type })) })),
  ),
}));

function valueArb(type: TypeDesc): fc.Arbitrary<unknown> {
  if (typeof type === 'string') {
    switch (type) {
      case 'bool':
        return fc.boolean();
      case 'byte':
        return fc.integer({ min: -128, max: 127 });
      case 'i16':
        return fc.integer({ min: -32768, max: 32767 });
      case 'i32':
        return fc.integer({ min: -0x80000000, max: 0x7fffffff });
      case 'i64':
        return fc.maxSafeInteger();
      case 'double':
        return fc.double();
      case 'string':
        return fc.string({ unit: 'grapheme', maxLength: 12 });
      case 'binary':
        return fc.uint8Array({ maxLength: 12 }).map(bytes => Buffer.from(bytes));
    }
  }
  if ('list' in type) return fc.array(valueArb(type.list), { maxLength: 4 });
  if ('set' in type) return fc.array(valueArb(type.set), { maxLength: 4 });
  if ('map' in type)
    return fc.array(fc.tuple(valueArb(type.map[0]), valueArb(type.map[1])), { maxLength: 3 });
  return fc.tuple(...type.struct.map(field => valueArb(field.type)));
}

function typeId(type: TypeDesc): number {
  if (typeof type === 'string') {
    const ids = {
      bool: T.BOOL,
      byte: T.BYTE,
      i16: T.I16,
      i32: T.I32,
      i64: T.I64,
      double: T.DOUBLE,
      string: T.STRING,
      binary: T.STRING,
    };
    return ids[type];
  }
  if ('list' in type) return T.LIST;
  if ('set' in type) return T.SET;
  if ('map' in type) return T.MAP;
  return T.STRUCT;
}

function write(p: TProtocol, type: TypeDesc, value: unknown): void {
  if (typeof type === 'string') {
    switch (type) {
      case 'bool':
        return p.writeBool(value as boolean);
      case 'byte':
        return p.writeByte(value as number);
      case 'i16':
        return p.writeI16(value as number);
      case 'i32':
        return p.writeI32(value as number);
      case 'i64':
        return p.writeI64(value as number);
      case 'double':
        return p.writeDouble(value as number);
      case 'string':
        return p.writeString(value as string);
      case 'binary':
        return p.writeBinary(value as Buffer);
    }
  }
  if ('list' in type || 'set' in type) {
    const element = 'list' in type ? type.list : type.set;
    const items = value as unknown[];
    if ('list' in type) p.writeListBegin(typeId(element), items.length);
    else p.writeSetBegin(typeId(element), items.length);
    for (const item of items) write(p, element, item);
    if ('list' in type) p.writeListEnd();
    else p.writeSetEnd();
    return;
  }
  if ('map' in type) {
    const entries = value as [unknown, unknown][];
    p.writeMapBegin(typeId(type.map[0]), typeId(type.map[1]), entries.length);
    for (const [key, item] of entries) {
      write(p, type.map[0], key);
      write(p, type.map[1], item);
    }
    p.writeMapEnd();
    return;
  }
  const values = value as unknown[];
  p.writeStructBegin('S');
  type.struct.forEach((field, i) => {
    p.writeFieldBegin(`f${field.id}`, typeId(field.type), field.id);
    write(p, field.type, values[i]);
    p.writeFieldEnd();
  });
  p.writeFieldStop();
  p.writeStructEnd();
}

/** An argument struct of arbitrary shape and content: its type, then a value of it. */
const argsArb = fc
  .uniqueArray(fc.tuple(fc.integer({ min: -200, max: 400 }), typeArb), {
    maxLength: 6,
    selector: ([id]) => id,
  })
  .map((fields): TypeDesc => ({ struct: fields.map(([id, type]) => ({ id, type })) }))
  .chain(type => valueArb(type).map(value => ({ type, value })));

/** Cuts `bytes` at the given fractions into chunks (copies, as a socket would deliver). */
function chunks(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map(c => Math.floor(c * bytes.length)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let at = 0;
  for (const point of [...points, bytes.length]) {
    if (point > at) out.push(Buffer.from(bytes.subarray(at, point)));
    at = Math.max(at, point);
  }
  return out;
}

for (const protocol of ['binary', 'compact'] as const satisfies readonly Protocol[]) {
  describe(`struct skipper (${protocol})`, () => {
    test('finds the exact end of any struct the Apache library writes, however the bytes arrive', () => {
      fc.assert(
        fc.property(
          argsArb,
          fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 }),
          (args, cuts) => {
            const bytes = writeMessage({
              transport: 'unframed',
              protocol,
              name: 'm',
              type: CALL,
              seqid: 1,
              body: p => write(p, args.type, args.value),
            });
            const trailer = Buffer.from([0xde, 0xad]);
            const codec = thriftCodecFactory.create('downstream');
            const queue = new ByteQueue();
            let message;
            for (const chunk of chunks(Buffer.concat([bytes, trailer]), cuts)) {
              queue.push(chunk);
              message ??= codec.decode(queue);
            }
            assert.ok(message !== undefined);
            assert.ok(message.bytes.equals(bytes));
            assert.equal(queue.length, trailer.length);
          },
        ),
        { numRuns: 300, seed: 1234 },
      );
    });

    test('is resumable: walking byte by byte ends where a walk over the whole struct ends', () => {
      const bytes = writeMessage({
        transport: 'unframed',
        protocol,
        name: 'm',
        type: CALL,
        seqid: 1,
        body: writeAllTypesArgs,
      });
      const bodyStart = protocol === 'binary' ? 4 + 4 + 1 + 4 : 2 + 1 + 1 + 1;
      const skipper = new StructSkipper(64);
      const queue = new ByteQueue();
      queue.push(bytes.subarray(0, bodyStart));
      skipper.start(protocol, bodyStart);
      let end = skipper.run(queue, 1 << 20);
      for (let at = bodyStart; at < bytes.length; at++) {
        assert.equal(end, NEED_MORE);
        queue.push(bytes.subarray(at, at + 1));
        end = skipper.run(queue, 1 << 20);
      }
      assert.equal(end, bytes.length);
    });

    test('refuses collections whose size cannot fit the limit, before their bytes arrive', () => {
      const queue = new ByteQueue();
      // A list field of 1,000,000 i32 elements, with none of them sent.
      queue.push(
        protocol === 'binary'
          ? Buffer.from([T.LIST, 0, 1, T.I32, 0x00, 0x0f, 0x42, 0x40])
          : Buffer.from([0x19, 0xf5, 0xc0, 0x84, 0x3d]),
      );
      const skipper = new StructSkipper(64);
      skipper.start(protocol, 0);
      assert.throws(
        () => skipper.run(queue, 65536),
        (error: unknown) => CodecError.isCodecError(error) && error.code === ErrorCodes.CODEC_TOO_LARGE,
      );
    });

    test('refuses unknown type ids', () => {
      const queue = new ByteQueue();
      queue.push(protocol === 'binary' ? Buffer.from([0x07, 0, 1, 0]) : Buffer.from([0x1e, 0]));
      const skipper = new StructSkipper(64);
      skipper.start(protocol, 0);
      assert.throws(
        () => skipper.run(queue, 1000),
        (error: unknown) => CodecError.isCodecError(error) && error.code === ErrorCodes.CODEC_MALFORMED,
      );
    });
  });
}
