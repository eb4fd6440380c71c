/**
 * Conversions between our plain values and protobuf well-known types as decoded objects:
 * `google.protobuf.Duration` ⇄ milliseconds, `google.protobuf.Struct` ⇄ JSON objects,
 * `google.protobuf.UInt32Value` ⇄ numbers.
 *
 * protobufjs builds the well-known types in, with camelCase field names (`Value.stringValue`) even
 * where our own and Envoy's messages keep snake_case; only `Value` is affected.
 */
import type { ProtoObject } from './proto-message.js';

/** A Duration `{seconds, nanos}` for a whole or fractional number of milliseconds. */
export function durationFromMs(ms: number): ProtoObject {
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: Math.round((ms - seconds * 1000) * 1_000_000) };
}

/** Milliseconds of a decoded Duration, or `undefined` when the field is not set. */
export function msFromDuration(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  const d = value as { seconds?: number; nanos?: number };
  return (d.seconds ?? 0) * 1000 + (d.nanos ?? 0) / 1_000_000;
}

/** The `value` of a decoded wrapper (UInt32Value, BoolValue…), or `undefined` when not set. */
export function wrapperValue<T>(value: unknown): T | undefined {
  if (value === undefined || value === null) return undefined;
  return (value as { value?: T }).value;
}

function toProtoValue(value: unknown): ProtoObject {
  if (value === null || value === undefined) return { nullValue: 'NULL_VALUE' };
  if (typeof value === 'number') return { numberValue: value };
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (Array.isArray(value)) return { listValue: { values: value.map(toProtoValue) } };
  if (typeof value === 'object') return { structValue: structFromJson(value as Record<string, unknown>) };
  throw new TypeError(`cannot represent a ${typeof value} in a google.protobuf.Struct`);
}

/** A Struct holding a JSON object. */
export function structFromJson(object: Readonly<Record<string, unknown>>): ProtoObject {
  const fields: Record<string, ProtoObject> = {};
  for (const [key, value] of Object.entries(object)) {
    if (value !== undefined) fields[key] = toProtoValue(value);
  }
  return { fields };
}

function fromProtoValue(value: ProtoObject): unknown {
  if ('stringValue' in value) return value['stringValue'];
  if ('numberValue' in value) return value['numberValue'];
  if ('boolValue' in value) return value['boolValue'];
  if ('structValue' in value) return jsonFromStruct(value['structValue'] as ProtoObject);
  if ('listValue' in value) {
    const values = ((value['listValue'] as ProtoObject)['values'] ?? []) as ProtoObject[];
    return values.map(fromProtoValue);
  }
  return null;
}

/** The JSON object a decoded Struct holds. */
export function jsonFromStruct(struct: ProtoObject): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const fields = (struct['fields'] ?? {}) as Record<string, ProtoObject>;
  for (const [key, value] of Object.entries(fields)) out[key] = fromProtoValue(value);
  return out;
}
