/**
 * The declarative codec's description format: a binary request/response protocol written as data
 * (YAML or JSON), compiled once into a decoder and an encoder (compile.ts). The reference for users
 * is docs/declarative-codec.md; this schema is its source of truth.
 *
 * ```yaml
 * name: memcached-binary             # the codec's name: aeraki.meta_protocol.codec.memcached-binary
 * byteOrder: big                     # default byte order of fields (big | little)
 * fields:                            # header fields at fixed offsets from the frame's start
 *   magic:      { offset: 0, size: 1 }
 *   keyLength:  { offset: 2, size: 2 }
 *   bodyLength: { offset: 8, size: 4 }
 *   opaque:     { offset: 12, size: 4 }
 * magic: { field: magic, values: [0x80, 0x81] }
 * length: { field: bodyLength, adjust: 24, max: 1048600 }   # frame bytes = bodyLength + 24
 * requestId: { field: opaque }
 * messageType:                       # first rule whose `when` holds; none: the frame is refused
 *   - { when: { magic: 0x80 }, type: request }
 *   - { when: { magic: 0x81 }, type: response }
 * metadata:
 *   - { name: key, at: 24 + extrasLength, length: keyLength }
 * localReply: { bytes: "81 00 …", set: { status: { default: 0x84 } } }
 * ```
 */
import { z } from 'zod';
import { MESSAGE_TYPES, type MessageType } from '../../codec/index.js';

const uint = z.number().int().nonnegative();
const byteOrder = z.enum(['big', 'little']);

/** An offset or length: a number, or a sum such as `24 + extrasLength - 2` over field names. */
export const expressionSchema = z.union([uint, z.string().min(1)]);
export type Expression = z.infer<typeof expressionSchema>;

export const fieldSchema = z.strictObject({
  offset: uint,
  size: z.union([z.literal(1), z.literal(2), z.literal(4), z.literal(8)]),
  byteOrder: byteOrder.optional(),
  signed: z.boolean().optional(),
});
export type FieldDescription = z.infer<typeof fieldSchema>;

/** A condition on a field: equal to a value, or `(field & mask) == equals` (bits). */
const conditionSchema = z.union([uint, z.strictObject({ mask: uint, equals: uint })]);

export const messageTypeRuleSchema = z.strictObject({
  /** Field name → condition; every one must hold. Absent or empty: always. */
  when: z.record(z.string(), conditionSchema).optional(),
  type: z.enum(MESSAGE_TYPES as [MessageType, ...MessageType[]]),
});

const metadataBase = { name: z.string().min(1) };

/** A metadata attribute from a number field: its decimal value, or its name from `values`. */
const fieldMetadataSchema = z.strictObject({
  ...metadataBase,
  field: z.string(),
  values: z.record(z.string(), z.string()).optional(),
});

/** A metadata attribute from a string at a computed offset, of a computed length. */
const stringMetadataSchema = z.strictObject({
  ...metadataBase,
  at: expressionSchema,
  length: expressionSchema,
  encoding: z.enum(['utf8', 'latin1', 'hex']).optional(),
});

/** A metadata attribute from a length-prefixed string: `prefix` bytes of length, then the string. */
const prefixedMetadataSchema = z.strictObject({
  ...metadataBase,
  at: expressionSchema,
  prefix: z.union([z.literal(1), z.literal(2), z.literal(4)]),
  byteOrder: byteOrder.optional(),
  encoding: z.enum(['utf8', 'latin1', 'hex']).optional(),
});

export const metadataSchema = z.union([fieldMetadataSchema, stringMetadataSchema, prefixedMetadataSchema]);
export type MetadataDescription = z.infer<typeof metadataSchema>;

/**
 * A key-value section (headers, attachments): entries of a length-prefixed key and a length-prefixed
 * value, at a computed offset. Its extent is given by exactly one of `sizeField` (bytes), `countField`
 * (entries) or `toEnd` (it runs to the end of the frame). Entries become metadata; a mutation is
 * written into it (same-named entries replaced, new ones appended) and the length field and the
 * size or count field are updated.
 */
export const headersSchema = z.strictObject({
  at: expressionSchema,
  sizeField: z.string().optional(),
  countField: z.string().optional(),
  toEnd: z.literal(true).optional(),
  keyPrefix: z.union([z.literal(1), z.literal(2), z.literal(4)]),
  valuePrefix: z.union([z.literal(1), z.literal(2), z.literal(4)]),
  byteOrder: byteOrder.optional(),
  /** Most entries accepted in one message (default 128). */
  maxEntries: uint.optional(),
});
export type HeadersDescription = z.infer<typeof headersSchema>;

const LOCAL_REPLY_KINDS = [
  'no-route',
  'no-cluster',
  'no-healthy-upstream',
  'connect-failure',
  'upstream-reset',
  'timeout',
  'over-limit',
  'bad-request',
  'bad-response',
  'internal',
] as const;

/**
 * What to write into a field of a reply: `request` (the request's value of that field; the
 * template's own bytes when there is no request), a number, or a number per local reply kind (with
 * `default` for the kinds not listed).
 */
const fieldValueSchema = z.union([
  z.literal('request'),
  uint,
  z.partialRecord(z.enum([...LOCAL_REPLY_KINDS, 'default']), uint),
]);

/**
 * A reply built from a template: `bytes` (hex, spaces allowed) is its fixed part, `body: message`
 * appends the reply's text (local replies); then the fields in `set` are written, and the length
 * field and the request id field are always filled in.
 */
export const templateSchema = z.strictObject({
  bytes: z.string(),
  body: z.enum(['message', 'none']).optional(),
  set: z.record(z.string(), fieldValueSchema).optional(),
});
export type TemplateDescription = z.infer<typeof templateSchema>;

export const descriptionSchema = z.strictObject({
  /** The protocol part of the codec name when the description is loaded as a plugin. */
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_.-]*$/, 'must be lower-case letters, digits, _ . and -')
    .optional(),
  byteOrder: byteOrder.optional(),
  fields: z.record(z.string(), fieldSchema),
  magic: z.strictObject({ field: z.string(), values: z.array(uint).min(1) }).optional(),
  length: z.strictObject({
    field: z.string(),
    /** Added to the field's value to get the frame's length (the field often counts the body only). */
    adjust: z.number().int().optional(),
    /** Largest frame accepted, in bytes (default 16 MiB). */
    max: uint.optional(),
  }),
  requestId: z.strictObject({ field: z.string() }).optional(),
  messageType: z.array(messageTypeRuleSchema).min(1),
  /** For responses: the values of `field` that mean success; other values give status `error`. */
  responseStatus: z.strictObject({ field: z.string(), ok: z.array(uint).min(1) }).optional(),
  metadata: z.array(metadataSchema).optional(),
  /** The metadata attribute used as the operation name in traces and logs. */
  operation: z.string().optional(),
  headers: headersSchema.optional(),
  heartbeat: z
    .strictObject({
      /** The answer to a heartbeat (its request id is the heartbeat's). */
      reply: templateSchema.optional(),
      /** A heartbeat the proxy may send on idle upstream connections. */
      probe: templateSchema.optional(),
    })
    .optional(),
  /** The protocol's own error response, for the proxy's local replies. */
  localReply: templateSchema.optional(),
});
export type CodecDescription = z.infer<typeof descriptionSchema>;
