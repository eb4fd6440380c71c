/**
 * Test support: argument structs of arbitrary shape and content, for the Apache library to write
 * (property tests of the struct skipper and structure-aware fuzzing of the codec).
 */
import fc from 'fast-check';
import { T, type TProtocol } from './apache-thrift.js';

/** A Thrift type, to generate values of arbitrary shape for the Apache library to write. */
export type TypeDesc =
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

export function writeValue(p: TProtocol, type: TypeDesc, value: unknown): void {
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
    for (const item of items) writeValue(p, element, item);
    if ('list' in type) p.writeListEnd();
    else p.writeSetEnd();
    return;
  }
  if ('map' in type) {
    const entries = value as [unknown, unknown][];
    p.writeMapBegin(typeId(type.map[0]), typeId(type.map[1]), entries.length);
    for (const [key, item] of entries) {
      writeValue(p, type.map[0], key);
      writeValue(p, type.map[1], item);
    }
    p.writeMapEnd();
    return;
  }
  const values = value as unknown[];
  p.writeStructBegin('S');
  type.struct.forEach((field, i) => {
    p.writeFieldBegin(`f${field.id}`, typeId(field.type), field.id);
    writeValue(p, field.type, values[i]);
    p.writeFieldEnd();
  });
  p.writeFieldStop();
  p.writeStructEnd();
}

/** An argument struct of arbitrary shape and content: its type, then a value of it. */
export const argsArb = fc
  .uniqueArray(fc.tuple(fc.integer({ min: -200, max: 400 }), typeArb), {
    maxLength: 6,
    selector: ([id]) => id,
  })
  .map((fields): TypeDesc => ({ struct: fields.map(([id, type]) => ({ id, type })) }))
  .chain(type => valueArb(type).map(value => ({ type, value })));
