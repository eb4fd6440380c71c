/**
 * Plain objects made ready for protobufjs's generated `encode`, without `fromObject`.
 *
 * protobufjs encodes a message from any object whose fields hold wire-ready values: numbers for
 * enums, plain objects for nested messages, arrays, maps as objects. `fromObject` turns a plain
 * object into message instances first, field by field, nested ones included: at 10,000 services
 * (80,000 resources) that copy cost as much as the encoding itself and left as much garbage. The
 * objects our encoders build differ from wire-ready ones only in their enums, written by name as in
 * Envoy's JSON: this module converts just those, copying only the objects on a path to an enum
 * (copy on write: shared constants are never changed), and hands every other value over as it is.
 *
 * What `fromObject` would do to the other fields is not needed for the objects the encoders build:
 * their scalars already have the field's type (numbers for integers, durations' seconds included,
 * strings, booleans, Uint8Array for bytes). An enum name the enum does not know leaves the field
 * unset, as `fromObject` does.
 */
import type protobuf from 'protobufjs';
import { protobufJs } from './protobufjs.js';
import type { ProtoObject } from './proto-message.js';

/** Makes one field's value wire-ready; returns the value itself when nothing had to change. */
type Convert = (value: unknown) => unknown;

/** A message's conversion, or null when none of its fields (nested ones included) holds an enum. */
type Prepare = ((object: ProtoObject) => ProtoObject) | null;

const prepared = new Map<protobuf.Type, Prepare>();
/** Types whose conversion is being built (a type may contain itself: Struct, Value). */
const building = new Set<protobuf.Type>();

function enumConverter(type: protobuf.Enum): Convert {
  return value => (typeof value === 'string' ? type.values[value] : value);
}

function messageConverter(type: protobuf.Type): Convert | null {
  if (building.has(type)) {
    // Recursive: decided when called, once the type's own conversion is known.
    return value => {
      const prepare = preparationOf(type);
      return prepare === null || typeof value !== 'object' || value === null
        ? value
        : prepare(value as ProtoObject);
    };
  }
  const prepare = preparationOf(type);
  if (prepare === null) return null;
  return value => (typeof value === 'object' && value !== null ? prepare(value as ProtoObject) : value);
}

function fieldConverter(field: protobuf.Field): Convert | null {
  const resolved = field.resolve().resolvedType;
  const { Enum, Type } = protobufJs();
  const one =
    resolved instanceof Enum
      ? enumConverter(resolved)
      : resolved instanceof Type
        ? messageConverter(resolved)
        : null;
  if (one === null) return null;
  if (field.map) {
    return value => {
      if (typeof value !== 'object' || value === null) return value;
      const map = value as Record<string, unknown>;
      let out: Record<string, unknown> | undefined;
      for (const key of Object.keys(map)) {
        const before = map[key];
        const after = one(before);
        if (after === before) continue;
        out ??= { ...map };
        out[key] = after;
      }
      return out ?? map;
    };
  }
  if (field.repeated) {
    return value => {
      if (!Array.isArray(value)) return value;
      let out: unknown[] | undefined;
      for (let i = 0; i < value.length; i++) {
        const before: unknown = value[i];
        const after = one(before);
        if (after === before) continue;
        out ??= value.slice();
        out[i] = after;
      }
      return out ?? value;
    };
  }
  return one;
}

function build(type: protobuf.Type): Prepare {
  building.add(type);
  const fields: { name: string; convert: Convert }[] = [];
  try {
    for (const field of type.fieldsArray) {
      const convert = fieldConverter(field);
      if (convert !== null) fields.push({ name: field.name, convert });
    }
  } finally {
    building.delete(type);
  }
  if (fields.length === 0) return null;
  return object => {
    let out: ProtoObject | undefined;
    for (const { name, convert } of fields) {
      const before = object[name];
      if (before === undefined || before === null) continue;
      const after = convert(before);
      if (after === before) continue;
      out ??= { ...object };
      if (after === undefined) delete out[name];
      else out[name] = after;
    }
    return out ?? object;
  };
}

function preparationOf(type: protobuf.Type): Prepare {
  let prepare = prepared.get(type);
  if (prepare === undefined) {
    prepare = build(type);
    prepared.set(type, prepare);
  }
  return prepare;
}

/** `object` (snake_case, enums by name) with its enums as numbers, ready for `type.encode`. */
export function wireReady(type: protobuf.Type, object: ProtoObject): ProtoObject {
  const prepare = preparationOf(type);
  return prepare === null ? object : prepare(object);
}
