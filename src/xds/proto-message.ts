/**
 * Encoding and decoding of single messages with the shared schema. Decoded objects use snake_case
 * field names, enums as strings, 64-bit integers as numbers, and leave out fields that are not set.
 */
import type { AnyMessage } from './xds-resource.js';
import { wireReady } from './plain-encoding.js';
import { protoType } from './proto-root.js';
import { messageNameOf, typeUrlOf } from './type-urls.js';

/** A decoded message: field name to value. */
export type ProtoObject = Record<string, unknown>;

/**
 * Encodes a plain object (snake_case, enums by name) as message `fullName`: the same bytes as
 * protobufjs's `encode(fromObject(object))`, without building message instances (see wireReady).
 */
export function encodeMessage(fullName: string, object: ProtoObject): Uint8Array {
  const type = protoType(fullName);
  return type.encode(wireReady(type, object)).finish();
}

/** Decodes message `fullName`; throws on malformed bytes. */
export function decodeMessage(fullName: string, bytes: Uint8Array): ProtoObject {
  const type = protoType(fullName);
  return type.toObject(type.decode(bytes), { enums: String, longs: Number }) as ProtoObject;
}

/** Packs a plain object as a `google.protobuf.Any` of message `fullName`. */
export function packAny(fullName: string, object: ProtoObject): AnyMessage {
  return { type_url: typeUrlOf(fullName), value: encodeMessage(fullName, object) };
}

/** Unpacks an Any whose type the schema knows; throws if the type is unknown or the bytes malformed. */
export function unpackAny(any: AnyMessage): ProtoObject {
  // A decoded Any whose value is empty has no `value` at all.
  return decodeMessage(messageNameOf(any.type_url), (any.value as Uint8Array | undefined) ?? EMPTY);
}

const EMPTY = new Uint8Array(0);
