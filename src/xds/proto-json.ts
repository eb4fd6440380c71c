/**
 * Protobuf messages ⇄ the proto3 JSON mapping, with the field names the `.proto` files declare
 * (snake_case: what Envoy's config dumps show and what a `udpa.type.v1.TypedStruct` value carries in
 * Istio EnvoyFilters). The grammar, per field of a message:
 *
 * ```
 * message            → { "<field name as declared>": value, … }    // unset fields left out
 * google.protobuf.Any → { "@type": "type.googleapis.com/<T>", <fields of T> }
 * Duration           → "<seconds>[.<fraction>]s"                   // "0.100s", "60s"
 * Struct / Value     → any JSON value
 * *Value wrappers    → the wrapped scalar
 * enum               → its value name;   bytes → base64;   int64, uint64 → decimal string
 * repeated           → array;            map<K, V> → object keyed by K as a string
 * ```
 *
 * Reading is strict where Envoy's TypedStruct conversion is strict: a field the message does not
 * declare is an error naming its path, and so is the lowerCamelCase spelling of a declared field
 * (proto3 JSON parsers accept it, but it never matches a config dump: Aeraki's mpp#126).
 */
import type protobuf from 'protobufjs';
import { protoType } from './proto-root.js';
import { typeUrlOf, messageNameOf } from './type-urls.js';
import { decodeMessage, encodeMessage, type ProtoObject } from './proto-message.js';
import { jsonFromStruct, structFromJson } from './well-known.js';

/** A JSON value. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

const WRAPPERS = new Set([
  'google.protobuf.DoubleValue',
  'google.protobuf.FloatValue',
  'google.protobuf.Int64Value',
  'google.protobuf.UInt64Value',
  'google.protobuf.Int32Value',
  'google.protobuf.UInt32Value',
  'google.protobuf.BoolValue',
  'google.protobuf.StringValue',
  'google.protobuf.BytesValue',
]);

const LONG_TYPES = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);

function fullNameOf(type: protobuf.Type): string {
  return type.fullName.startsWith('.') ? type.fullName.slice(1) : type.fullName;
}

function durationText(value: ProtoObject): string {
  const seconds = Number(value['seconds'] ?? 0);
  const nanos = Number(value['nanos'] ?? 0);
  if (nanos === 0) return `${seconds}s`;
  const fraction = String(Math.abs(nanos)).padStart(9, '0').replace(/0+$/, '');
  const sign = seconds < 0 || nanos < 0 ? '-' : '';
  return `${sign}${Math.abs(seconds)}.${fraction}s`;
}

function scalarToJson(field: protobuf.Field, value: unknown): JsonValue {
  if (field.type === 'bytes') return Buffer.from(value as Uint8Array).toString('base64');
  if (LONG_TYPES.has(field.type)) return String(value);
  return value as JsonValue;
}

function valueToJson(field: protobuf.Field, value: unknown): JsonValue {
  const resolved = field.resolvedType;
  if (resolved !== null && 'fieldsArray' in resolved) return messageToJson(resolved, value as ProtoObject);
  return scalarToJson(field, value);
}

function messageToJson(type: protobuf.Type, object: ProtoObject): JsonValue {
  const name = fullNameOf(type);
  if (name === 'google.protobuf.Any') {
    const inner = messageNameOf(String(object['type_url']));
    const decoded = decodeMessage(inner, (object['value'] as Uint8Array | undefined) ?? new Uint8Array());
    const body = messageToJson(protoType(inner), decoded) as Record<string, JsonValue>;
    return { '@type': typeUrlOf(inner), ...body };
  }
  if (name === 'google.protobuf.Duration') return durationText(object);
  if (name === 'google.protobuf.Struct') return jsonFromStruct(object) as JsonValue;
  if (WRAPPERS.has(name)) return valueToJson(type.fieldsArray[0] as protobuf.Field, object['value'] ?? 0);
  const out: Record<string, JsonValue> = {};
  for (const field of type.fieldsArray) {
    const value = object[field.name];
    if (value === undefined || value === null) continue;
    if (field.map) {
      const entries: Record<string, JsonValue> = {};
      for (const [key, item] of Object.entries(value as Record<string, unknown>))
        entries[key] = valueToJson(field, item);
      out[field.name] = entries;
    } else if (field.repeated) {
      const items = value as unknown[];
      if (items.length > 0) out[field.name] = items.map(item => valueToJson(field, item));
    } else {
      out[field.name] = valueToJson(field, value);
    }
  }
  return out;
}

/**
 * The proto3 JSON of message `fullName` built from `object` (a plain object as {@link encodeMessage}
 * takes it): the object is encoded and decoded first, so what comes out is exactly what the wire
 * carries, with default values left out.
 */
export function toProtoJson(fullName: string, object: ProtoObject): Record<string, JsonValue> {
  const decoded = decodeMessage(fullName, encodeMessage(fullName, object));
  return messageToJson(protoType(fullName), decoded) as Record<string, JsonValue>;
}

/** A field that the strict reading refused, with where it is. */
export class ProtoJsonError extends Error {
  constructor(
    /** JSON path from the message root, e.g. `meta_protocol_filters[1].config.destination_service`. */
    readonly path: string,
    message: string,
  ) {
    super(`${path === '' ? '(root)' : path}: ${message}`);
    this.name = 'ProtoJsonError';
  }
}

/** Options of the strict reading. */
export interface ProtoJsonReadOptions {
  /**
   * Refuse fields numbered at or above this in messages whose full name starts with `aeraki.`: our
   * extensions (1000 and up), which the original MetaProtocol proxy does not declare.
   */
  readonly refuseAerakiFieldsFrom?: number;
}

function camelCase(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_m: string, c: string) => c.toUpperCase());
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const DURATION = /^(-)?([0-9]+)(?:\.([0-9]{1,9}))?s$/;

function readScalar(field: protobuf.Field, value: unknown, path: string): unknown {
  const type = field.type;
  if (type === 'string') {
    if (typeof value !== 'string') throw new ProtoJsonError(path, `must be a string`);
    return value;
  }
  if (type === 'bool') {
    if (typeof value !== 'boolean') throw new ProtoJsonError(path, `must be true or false`);
    return value;
  }
  if (type === 'bytes') {
    if (typeof value !== 'string') throw new ProtoJsonError(path, `must be base64 text`);
    return Buffer.from(value, 'base64');
  }
  if (type === 'double' || type === 'float') {
    if (typeof value !== 'number') throw new ProtoJsonError(path, `must be a number`);
    return value;
  }
  const number = typeof value === 'string' && /^-?[0-9]+$/.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number))
    throw new ProtoJsonError(path, `must be an integer (${type})`);
  if (type.startsWith('u') || type === 'fixed32' || type === 'fixed64') {
    if (number < 0) throw new ProtoJsonError(path, `must not be negative (${type})`);
  }
  if ((type === 'uint32' || type === 'fixed32') && number > 0xffffffff)
    throw new ProtoJsonError(path, `must fit in ${type}`);
  return number;
}

function readValue(
  field: protobuf.Field,
  value: unknown,
  path: string,
  options: ProtoJsonReadOptions,
): unknown {
  const resolved = field.resolvedType;
  if (resolved === null) return readScalar(field, value, path);
  if ('fieldsArray' in resolved) return readMessage(resolved, value, path, options);
  // An enum: by name, or by number.
  if (typeof value === 'string') {
    if (!Object.hasOwn(resolved.values, value))
      throw new ProtoJsonError(
        path,
        `'${value}' is not a value of ${resolved.name} (${Object.keys(resolved.values).join(', ')})`,
      );
    return value;
  }
  if (typeof value === 'number' && Object.values(resolved.values).includes(value)) return value;
  throw new ProtoJsonError(path, `must be a value name of ${resolved.name}`);
}

function readMessage(
  type: protobuf.Type,
  value: unknown,
  path: string,
  options: ProtoJsonReadOptions,
): ProtoObject {
  const name = fullNameOf(type);
  if (name === 'google.protobuf.Duration') {
    const match = typeof value === 'string' ? DURATION.exec(value) : null;
    if (match === null) throw new ProtoJsonError(path, `must be a duration such as "1.5s"`);
    const sign = match[1] === '-' ? -1 : 1;
    const nanos = Number((match[3] ?? '').padEnd(9, '0'));
    return { seconds: sign * Number(match[2]), nanos: sign * nanos };
  }
  if (name === 'google.protobuf.Struct') {
    if (!isPlainObject(value)) throw new ProtoJsonError(path, 'must be an object');
    return structFromJson(value);
  }
  if (WRAPPERS.has(name)) {
    return { value: readValue(type.fieldsArray[0] as protobuf.Field, value, path, options) };
  }
  if (!isPlainObject(value)) throw new ProtoJsonError(path, `must be an object (${name})`);
  if (name === 'google.protobuf.Any') {
    const url = value['@type'];
    if (typeof url !== 'string') throw new ProtoJsonError(`${path}.@type`, 'is required in an Any');
    const inner = messageNameOf(url);
    let innerType: protobuf.Type;
    try {
      innerType = protoType(inner);
    } catch {
      throw new ProtoJsonError(`${path}.@type`, `${url} is not a message type this schema knows`);
    }
    const rest = Object.fromEntries(Object.entries(value).filter(([key]) => key !== '@type'));
    const body = readMessage(innerType, rest, path, options);
    return { type_url: url, value: encodeMessage(inner, body) };
  }
  const out: ProtoObject = {};
  const byCamel = new Map(type.fieldsArray.map(f => [camelCase(f.name), f.name]));
  for (const [key, item] of Object.entries(value)) {
    const at = path === '' ? key : `${path}.${key}`;
    const field = type.fields[key];
    if (field === undefined) {
      const declared = byCamel.get(key);
      throw new ProtoJsonError(
        at,
        declared !== undefined && declared !== key
          ? `unknown field of ${name}: the field is spelled '${declared}'`
          : `unknown field of ${name}`,
      );
    }
    const limit = options.refuseAerakiFieldsFrom;
    if (limit !== undefined && name.startsWith('aeraki.') && field.id >= limit)
      throw new ProtoJsonError(at, `field ${field.id} of ${name} is an aeraki-ts extension`);
    if (item === null) continue;
    if (field.map) {
      if (!isPlainObject(item)) throw new ProtoJsonError(at, 'must be an object (a map)');
      const entries: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(item)) entries[k] = readValue(field, v, `${at}.${k}`, options);
      out[key] = entries;
    } else if (field.repeated) {
      if (!Array.isArray(item)) throw new ProtoJsonError(at, 'must be a list');
      out[key] = item.map((v, i) => readValue(field, v, `${at}[${i}]`, options));
    } else {
      out[key] = readValue(field, item, at, options);
    }
  }
  return out;
}

/**
 * Reads the proto3 JSON of message `fullName` strictly (see the file comment); the result is a plain
 * object {@link encodeMessage} takes. Throws {@link ProtoJsonError} naming the first field refused.
 */
export function fromProtoJson(
  fullName: string,
  json: unknown,
  options: ProtoJsonReadOptions = {},
): ProtoObject {
  return readMessage(protoType(fullName), json, '', options);
}
