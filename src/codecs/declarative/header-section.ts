/**
 * A key-value section of a frame (headers, attachments) as a description declares it.
 *
 * Wire grammar of the section: entry* ; entry = key-length key value-length value, where each length
 * is an unsigned integer of `keyPrefix` / `valuePrefix` bytes in the section's byte order and the key
 * and value are UTF-8. The section starts at a computed offset; it ends where its size field says
 * (bytes), after its count field's number of entries, or at the end of the frame.
 */
import { CodecError, ErrorCodes, malformed, type Metadata, type Mutation } from '../../codec/index.js';
import type { CompiledExpression } from './expression.js';
import type { WireField } from './wire-field.js';

/** How the section's extent is recorded. */
export type SectionExtent =
  | { readonly kind: 'size'; readonly field: WireField }
  | { readonly kind: 'count'; readonly field: WireField }
  | { readonly kind: 'end' };

/** Where a decoded message's section lies, kept in its codec state for encode. */
export interface SectionSpan {
  readonly start: number;
  readonly end: number;
}

export class HeaderSection {
  constructor(
    private readonly at: CompiledExpression,
    private readonly extent: SectionExtent,
    private readonly keyPrefix: 1 | 2 | 4,
    private readonly valuePrefix: 1 | 2 | 4,
    private readonly little: boolean,
    private readonly maxEntries: number,
    /** The frame's length field and its adjustment, rewritten when the section grows. */
    private readonly lengthField: WireField,
    private readonly lengthAdjust: number,
  ) {}

  /** Reads the entries of `frame`'s section into `metadata`; returns where the section lies. */
  read(frame: Buffer, metadata: Metadata): SectionSpan {
    const start = this.at.evaluate(frame);
    if (start < 0 || start > frame.length) throw malformed(`header section at ${start} outside the frame`);
    const extent = this.extent;
    let limit = frame.length;
    let count = Infinity;
    if (extent.kind === 'size') {
      limit = start + extent.field.read(frame);
      if (limit > frame.length) throw malformed(`header section of ${limit - start} bytes past the frame`);
    } else if (extent.kind === 'count') {
      count = extent.field.read(frame);
    }
    let at = start;
    let entries = 0;
    while (entries < count && (count !== Infinity || at < limit)) {
      if (++entries > this.maxEntries) {
        throw new CodecError(ErrorCodes.CODEC_TOO_LARGE, `more than ${this.maxEntries} header entries`);
      }
      const keyLength = this.readLength(frame, at, this.keyPrefix, limit);
      at += this.keyPrefix;
      if (at + keyLength > limit) throw malformed('header key past the header section');
      const key = frame.toString('utf8', at, at + keyLength);
      at += keyLength;
      const valueLength = this.readLength(frame, at, this.valuePrefix, limit);
      at += this.valuePrefix;
      if (at + valueLength > limit) throw malformed('header value past the header section');
      metadata.set(key, frame.toString('utf8', at, at + valueLength));
      at += valueLength;
    }
    if (extent.kind === 'size' && at !== limit) throw malformed('header section does not end with an entry');
    return { start, end: at };
  }

  private readLength(frame: Buffer, at: number, size: 1 | 2 | 4, limit: number): number {
    if (at + size > limit) throw malformed('header entry cut short');
    if (size === 1) return frame[at]!;
    if (size === 2) return this.little ? frame.readUInt16LE(at) : frame.readUInt16BE(at);
    return this.little ? frame.readUInt32LE(at) : frame.readUInt32BE(at);
  }

  /**
   * `frame` with `mutation` written into its section (same-named entries replaced, others appended),
   * its length field and the section's size or count field updated.
   */
  rewrite(frame: Buffer, span: SectionSpan, mutation: Mutation): Buffer {
    const pending = new Map<string, [string, string]>();
    for (const [key, value] of mutation) pending.set(key.toLowerCase(), [key, value]);
    const parts: Buffer[] = [];
    let at = span.start;
    let entries = 0;
    while (at < span.end) {
      const keyLength = this.readLength(frame, at, this.keyPrefix, span.end);
      const keyStart = at + this.keyPrefix;
      const key = frame.toString('utf8', keyStart, keyStart + keyLength);
      const valueAt = keyStart + keyLength;
      const entryEnd =
        valueAt + this.valuePrefix + this.readLength(frame, valueAt, this.valuePrefix, span.end);
      const replacement = pending.get(key.toLowerCase());
      if (replacement === undefined) {
        parts.push(frame.subarray(at, entryEnd));
      } else {
        parts.push(this.entry(key, replacement[1]));
        pending.delete(key.toLowerCase());
      }
      entries++;
      at = entryEnd;
    }
    for (const [key, value] of pending.values()) {
      parts.push(this.entry(key, value));
      entries++;
    }
    const section = Buffer.concat(parts);
    const out = Buffer.concat([frame.subarray(0, span.start), section, frame.subarray(span.end)]);
    this.patch(out, this.lengthField, out.length - this.lengthAdjust, span.start);
    const extent = this.extent;
    if (extent.kind === 'size') this.patch(out, extent.field, section.length, span.start);
    else if (extent.kind === 'count') this.patch(out, extent.field, entries, span.start);
    return out;
  }

  private patch(frame: Buffer, field: WireField, value: number, sectionStart: number): void {
    if (field.end > sectionStart) {
      throw new CodecError(
        ErrorCodes.CODEC_UNSUPPORTED,
        `field '${field.name}' lies within or after the header section; it cannot be updated`,
      );
    }
    if (!field.fits(value)) {
      throw new CodecError(ErrorCodes.CODEC_TOO_LARGE, `${value} does not fit field '${field.name}'`);
    }
    field.write(frame, value);
  }

  private entry(key: string, value: string): Buffer {
    const keyBytes = Buffer.from(key, 'utf8');
    const valueBytes = Buffer.from(value, 'utf8');
    const out = Buffer.allocUnsafe(this.keyPrefix + keyBytes.length + this.valuePrefix + valueBytes.length);
    this.writeLength(out, 0, this.keyPrefix, keyBytes.length);
    keyBytes.copy(out, this.keyPrefix);
    const valueAt = this.keyPrefix + keyBytes.length;
    this.writeLength(out, valueAt, this.valuePrefix, valueBytes.length);
    valueBytes.copy(out, valueAt + this.valuePrefix);
    return out;
  }

  private writeLength(out: Buffer, at: number, size: 1 | 2 | 4, length: number): void {
    if (length >= 2 ** (8 * size)) {
      throw new CodecError(
        ErrorCodes.CODEC_TOO_LARGE,
        `a header of ${length} bytes does not fit ${size} bytes`,
      );
    }
    if (size === 1) out[at] = length;
    else if (size === 2) {
      if (this.little) out.writeUInt16LE(length, at);
      else out.writeUInt16BE(length, at);
    } else if (this.little) out.writeUInt32LE(length, at);
    else out.writeUInt32BE(length, at);
  }
}
