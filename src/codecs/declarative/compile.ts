/**
 * Compiles a codec description (description.ts) once into the tables the declarative codec decodes
 * and encodes with: fields resolved to readers, expressions to sums, rules to masks, templates to
 * bytes. Every mistake is reported with the path of the field it concerns.
 */
import type { CodecCapabilities, MessageType } from '../../codec/index.js';
import { AerakiError, ErrorCodes } from '../../errors.js';
import {
  descriptionSchema,
  type CodecDescription,
  type Expression,
  type TemplateDescription,
} from './description.js';
import { compileExpression, type CompiledExpression } from './expression.js';
import { HeaderSection, type SectionExtent } from './header-section.js';
import { ReplyTemplate, type FieldValue, type TemplateField } from './reply-template.js';
import { WireField } from './wire-field.js';

/** Largest frame when the description sets no `length.max`: 16 MiB. */
export const DEFAULT_MAX_FRAME = 16 * 1024 * 1024;
const DEFAULT_MAX_HEADER_ENTRIES = 128;

/** A description that cannot be compiled: `path` locates the problem inside it. */
export class DescriptionError extends AerakiError {
  constructor(
    readonly path: readonly (string | number)[],
    readonly problem: string,
  ) {
    super(ErrorCodes.CONFIG_INVALID, `${path.length === 0 ? 'description' : path.join('.')}: ${problem}`);
  }
}

/** One condition of a message-type rule: `(field & mask) === equals`. */
export interface Condition {
  readonly field: WireField;
  readonly mask: number;
  readonly equals: number;
}

export interface TypeRule {
  readonly conditions: readonly Condition[];
  readonly type: MessageType;
}

/** How one metadata attribute is read. */
export type MetadataReader =
  | {
      readonly kind: 'field';
      readonly name: string;
      readonly field: WireField;
      /** Names by value (a sparse array: values are small integers). */
      readonly values: readonly (string | undefined)[] | undefined;
    }
  | {
      readonly kind: 'string';
      readonly name: string;
      readonly at: CompiledExpression;
      readonly length: CompiledExpression;
      readonly encoding: BufferEncoding;
    }
  | {
      readonly kind: 'prefixed';
      readonly name: string;
      readonly at: CompiledExpression;
      readonly prefix: 1 | 2 | 4;
      readonly little: boolean;
      readonly encoding: BufferEncoding;
    };

/** A description, compiled. */
export interface CompiledProtocol {
  /** `name` of the description, if it has one. */
  readonly name: string | undefined;
  readonly capabilities: CodecCapabilities;
  /** Bytes needed to read the magic and the length. */
  readonly peekBytes: number;
  /** Shortest frame: every field lies within it. */
  readonly minFrame: number;
  readonly maxFrame: number;
  readonly magicField: WireField | undefined;
  readonly magicValues: readonly number[];
  /** For a one-byte magic: whether each of the 256 values is one of `magicValues`. */
  readonly magicByte: Uint8Array | undefined;
  readonly lengthField: WireField;
  readonly lengthAdjust: number;
  readonly idField: WireField | undefined;
  readonly rules: readonly TypeRule[];
  /**
   * When every rule looks at the same one-byte field: the type for each of its 256 values (undefined:
   * no rule matches), so that typing a frame is one lookup.
   */
  readonly typeTable:
    { readonly field: WireField; readonly types: readonly (MessageType | undefined)[] } | undefined;
  readonly statusField: WireField | undefined;
  readonly okStatuses: readonly number[];
  readonly metadata: readonly MetadataReader[];
  readonly operation: string | undefined;
  /** The index in `metadata` of the operation's attribute; -1 when it is a header entry or absent. */
  readonly operationIndex: number;
  readonly headers: HeaderSection | undefined;
  readonly heartbeatReply: ReplyTemplate | undefined;
  readonly heartbeatProbe: ReplyTemplate | undefined;
  readonly localReply: ReplyTemplate | undefined;
}

/** Checks `input` against the description schema and compiles it; throws {@link DescriptionError}. */
export function compileDescription(input: unknown): CompiledProtocol {
  const parsed = descriptionSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new DescriptionError(
      issue.path.map(p => (typeof p === 'number' ? p : String(p))),
      issue.code === 'unrecognized_keys' ? `unknown field(s) ${issue.keys.join(', ')}` : issue.message,
    );
  }
  return new Compiler(parsed.data).compile();
}

/** What every template of a description shares. */
interface TemplateFrame {
  readonly lengthField: WireField;
  readonly lengthAdjust: number;
  readonly idField: WireField | undefined;
  readonly minFrame: number;
  /** The body when the template does not say: the message for local replies, none for heartbeats. */
  readonly body: 'message' | 'none';
}

class Compiler {
  private readonly fields = new Map<string, WireField>();

  constructor(private readonly d: CodecDescription) {}

  compile(): CompiledProtocol {
    const d = this.d;
    const defaultLittle = d.byteOrder === 'little';
    for (const [name, f] of Object.entries(d.fields)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || name === 'frameLength') {
        throw new DescriptionError(
          ['fields', name],
          'a field name is a letter or _ then letters, digits or _ (and not frameLength)',
        );
      }
      const little = f.byteOrder === undefined ? defaultLittle : f.byteOrder === 'little';
      this.fields.set(name, new WireField(name, f.offset, f.size, little, f.signed ?? false));
    }
    const lengthField = this.field(d.length.field, ['length', 'field']);
    const lengthAdjust = d.length.adjust ?? 0;
    const maxFrame = d.length.max ?? DEFAULT_MAX_FRAME;
    const magicField = d.magic === undefined ? undefined : this.field(d.magic.field, ['magic', 'field']);
    const idField =
      d.requestId === undefined ? undefined : this.field(d.requestId.field, ['requestId', 'field']);
    const statusField =
      d.responseStatus === undefined
        ? undefined
        : this.field(d.responseStatus.field, ['responseStatus', 'field']);
    let minFrame = 0;
    for (const field of this.fields.values()) minFrame = Math.max(minFrame, field.end);
    if (maxFrame < minFrame) {
      throw new DescriptionError(
        ['length', 'max'],
        `${maxFrame} is shorter than the fields (${minFrame} bytes)`,
      );
    }
    const rules = d.messageType.map((rule, i) => ({
      type: rule.type,
      conditions: Object.entries(rule.when ?? {}).map(([name, condition]) => ({
        field: this.field(name, ['messageType', i, 'when', name]),
        mask: typeof condition === 'number' ? -1 : condition.mask,
        equals: typeof condition === 'number' ? condition : condition.equals,
      })),
    }));
    const metadata = (d.metadata ?? []).map((m, i) => this.metadataReader(m, i));
    const names = new Set(metadata.map(m => m.name.toLowerCase()));
    if (d.operation !== undefined && !names.has(d.operation.toLowerCase()) && d.headers === undefined) {
      throw new DescriptionError(
        ['operation'],
        `'${d.operation}' is not a metadata attribute of the description`,
      );
    }
    const headers = d.headers === undefined ? undefined : this.headerSection(d, lengthField, lengthAdjust);
    const template = (
      t: TemplateDescription | undefined,
      path: (string | number)[],
      body: 'message' | 'none',
    ) =>
      t === undefined
        ? undefined
        : this.template(t, path, { lengthField, lengthAdjust, idField, minFrame, body });
    const heartbeatReply = template(d.heartbeat?.reply, ['heartbeat', 'reply'], 'none');
    const heartbeatProbe = template(d.heartbeat?.probe, ['heartbeat', 'probe'], 'none');
    const localReply = template(d.localReply, ['localReply'], 'message');
    return {
      name: d.name,
      capabilities: {
        // Multiplexed upstreams need ids the proxy can allocate: 1 to 2^31 - 1.
        requestIds: idField !== undefined && idField.size >= 4,
        heartbeats: heartbeatReply !== undefined,
        streaming: false,
        serverSpeaksFirst: false,
      },
      peekBytes: Math.max(lengthField.end, magicField?.end ?? 0),
      minFrame,
      maxFrame,
      magicField,
      magicValues: d.magic?.values ?? [],
      magicByte: magicField?.size === 1 && !magicField.signed ? byteSet(d.magic!.values) : undefined,
      lengthField,
      lengthAdjust,
      idField,
      rules,
      typeTable: typeTableOf(rules),
      statusField,
      okStatuses: d.responseStatus?.ok ?? [],
      metadata,
      operation: d.operation?.toLowerCase(),
      operationIndex:
        d.operation === undefined
          ? -1
          : metadata.findIndex(m => m.name.toLowerCase() === d.operation!.toLowerCase()),
      headers,
      heartbeatReply,
      heartbeatProbe,
      localReply,
    };
  }

  private field(name: string, path: (string | number)[]): WireField {
    const field = this.fields.get(name);
    if (field === undefined) {
      throw new DescriptionError(
        path,
        `'${name}' is not a field (fields: ${[...this.fields.keys()].join(', ') || 'none'})`,
      );
    }
    return field;
  }

  private expression(source: Expression, path: (string | number)[]): CompiledExpression {
    try {
      return compileExpression(source, this.fields);
    } catch (err) {
      throw new DescriptionError(path, (err as Error).message);
    }
  }

  private metadataReader(m: NonNullable<CodecDescription['metadata']>[number], i: number): MetadataReader {
    const path = ['metadata', i];
    if ('field' in m) {
      let values: (string | undefined)[] | undefined;
      if (m.values !== undefined) {
        values = [];
        for (const [key, value] of Object.entries(m.values)) {
          const n = Number(key);
          if (!Number.isInteger(n) || n < 0 || n > 0xffff) {
            throw new DescriptionError([...path, 'values', key], 'keys are integers from 0 to 65535');
          }
          values[n] = value;
        }
      }
      return { kind: 'field', name: m.name, field: this.field(m.field, [...path, 'field']), values };
    }
    const at = this.expression(m.at, [...path, 'at']);
    const encoding = m.encoding ?? 'utf8';
    if ('length' in m) {
      return {
        kind: 'string',
        name: m.name,
        at,
        length: this.expression(m.length, [...path, 'length']),
        encoding,
      };
    }
    const little = m.byteOrder === undefined ? this.d.byteOrder === 'little' : m.byteOrder === 'little';
    return { kind: 'prefixed', name: m.name, at, prefix: m.prefix, little, encoding };
  }

  private headerSection(d: CodecDescription, lengthField: WireField, lengthAdjust: number): HeaderSection {
    const h = d.headers!;
    const ways = [h.sizeField, h.countField, h.toEnd].filter(w => w !== undefined).length;
    if (ways !== 1) {
      throw new DescriptionError(['headers'], 'give exactly one of sizeField, countField and toEnd');
    }
    const extent: SectionExtent =
      h.sizeField !== undefined
        ? { kind: 'size', field: this.field(h.sizeField, ['headers', 'sizeField']) }
        : h.countField !== undefined
          ? { kind: 'count', field: this.field(h.countField, ['headers', 'countField']) }
          : { kind: 'end' };
    const little = h.byteOrder === undefined ? d.byteOrder === 'little' : h.byteOrder === 'little';
    return new HeaderSection(
      this.expression(h.at, ['headers', 'at']),
      extent,
      h.keyPrefix,
      h.valuePrefix,
      little,
      h.maxEntries ?? DEFAULT_MAX_HEADER_ENTRIES,
      lengthField,
      lengthAdjust,
    );
  }

  private template(t: TemplateDescription, path: (string | number)[], frame: TemplateFrame): ReplyTemplate {
    const { lengthField, lengthAdjust, idField, minFrame } = frame;
    const hex = t.bytes.replace(/\s+/g, '');
    if (!/^([0-9a-fA-F]{2})*$/.test(hex)) {
      throw new DescriptionError([...path, 'bytes'], 'must be hex digits in pairs (spaces allowed)');
    }
    const bytes = Buffer.from(hex, 'hex');
    const sets: TemplateField[] = Object.entries(t.set ?? {}).map(([name, v]) => {
      const field = this.field(name, [...path, 'set', name]);
      let value: FieldValue;
      if (v === 'request') value = { from: 'request' };
      else if (typeof v === 'number') value = { from: 'constant', value: v };
      else {
        const byKind = new Map(Object.entries(v).filter(([k]) => k !== 'default'));
        value = { from: 'kind', byKind, fallback: v.default ?? 0 };
      }
      for (const n of value.from === 'constant'
        ? [value.value]
        : value.from === 'kind'
          ? [...value.byKind.values(), value.fallback]
          : []) {
        if (!field.fits(n))
          throw new DescriptionError([...path, 'set', name], `${n} does not fit field '${name}'`);
      }
      return { field, value };
    });
    const written = [lengthField, ...(idField === undefined ? [] : [idField]), ...sets.map(s => s.field)];
    for (const field of written) {
      if (field.end > bytes.length) {
        throw new DescriptionError(
          [...path, 'bytes'],
          `${bytes.length} bytes cannot hold field '${field.name}' (bytes ${field.offset}..${field.end - 1})`,
        );
      }
    }
    if (bytes.length < minFrame) {
      throw new DescriptionError(
        [...path, 'bytes'],
        `${bytes.length} bytes are fewer than the fields need (${minFrame})`,
      );
    }
    const withMessage = (t.body ?? frame.body) === 'message';
    return new ReplyTemplate(bytes, withMessage, sets, lengthField, lengthAdjust, idField);
  }
}

/** The 256-entry table for rules that all look at one one-byte field (see CompiledProtocol.typeTable). */
function typeTableOf(rules: readonly TypeRule[]): CompiledProtocol['typeTable'] {
  const fields = new Set(rules.flatMap(r => r.conditions.map(c => c.field)));
  const [field] = fields;
  if (fields.size !== 1 || field === undefined || field.size !== 1 || field.signed) return undefined;
  const types: (MessageType | undefined)[] = [];
  for (let value = 0; value < 256; value++) {
    types[value] = rules.find(r =>
      r.conditions.every(c => (c.mask < 0 ? value : (value & c.mask) >>> 0) === c.equals),
    )?.type;
  }
  return { field, types };
}

/** A 256-entry membership table of `values` (the ones above 255 cannot be a byte). */
function byteSet(values: readonly number[]): Uint8Array {
  const table = new Uint8Array(256);
  for (const v of values) if (v < 256) table[v] = 1;
  return table;
}
