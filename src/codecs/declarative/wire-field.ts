/** The shape of a field, chosen once so that a read is one switch. */
const enum Kind {
  U8,
  U16BE,
  U32BE,
  U16LE,
  U32LE,
  I8,
  I16,
  I32,
  WIDE,
}

/**
 * A fixed-size integer at a fixed offset of a frame: 1, 2, 4 or 8 bytes, big- or little-endian,
 * unsigned or signed. Read from a frame's Buffer, or from a ByteQueue before the frame is taken.
 */
import type { ByteQueue } from '../../codec/index.js';
import { normalizeRequestId, type RequestId } from '../../codec/index.js';

export class WireField {
  /** Offset just past the field. */
  readonly end: number;
  /** The range of values a field of up to 4 bytes holds, as numbers (checked per request id written). */
  private readonly min: number;
  private readonly max: number;
  private readonly kind: Kind;

  constructor(
    readonly name: string,
    readonly offset: number,
    readonly size: 1 | 2 | 4 | 8,
    readonly little: boolean,
    readonly signed: boolean,
  ) {
    this.end = offset + size;
    const bits = 8 * Math.min(size, 4);
    this.min = signed ? -(2 ** (bits - 1)) : 0;
    this.max = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
    this.kind = kindOf(size, little, signed);
  }

  /** The value in `frame` (whose byte 0 is the frame's first byte), as a number. */
  read(frame: Buffer): number {
    // Every field lies within the shortest frame accepted, so these reads stay inside `frame`.
    const at = this.offset;
    switch (this.kind) {
      case Kind.U8:
        return frame[at]!;
      case Kind.U16BE:
        return (frame[at]! << 8) | frame[at + 1]!;
      case Kind.U32BE:
        return frame[at]! * 0x1000000 + ((frame[at + 1]! << 16) | (frame[at + 2]! << 8) | frame[at + 3]!);
      case Kind.U16LE:
        return frame[at]! | (frame[at + 1]! << 8);
      case Kind.U32LE:
        return frame[at + 3]! * 0x1000000 + ((frame[at + 2]! << 16) | (frame[at + 1]! << 8) | frame[at]!);
      case Kind.I8:
        return frame.readInt8(at);
      case Kind.I16:
        return this.little ? frame.readInt16LE(at) : frame.readInt16BE(at);
      case Kind.I32:
        return this.little ? frame.readInt32LE(at) : frame.readInt32BE(at);
      default:
        return Number(this.readWide(frame));
    }
  }

  /** The value as a request id in normal form (a bigint only beyond 2^53 − 1). */
  readId(frame: Buffer): RequestId {
    return this.size === 8 ? normalizeRequestId(this.readWide(frame)) : this.read(frame);
  }

  private readWide(frame: Buffer): bigint {
    const at = this.offset;
    if (this.little) return this.signed ? frame.readBigInt64LE(at) : frame.readBigUInt64LE(at);
    return this.signed ? frame.readBigInt64BE(at) : frame.readBigUInt64BE(at);
  }

  /** The value in `queue` (offset 0 = the frame's first byte); the caller checked `queue.length`. */
  readQueued(queue: ByteQueue): number {
    const at = this.offset;
    if (this.size === 8) return Number(this.readWide(this.gathered(queue)));
    if (!this.little) {
      if (this.size === 1) return this.signed ? (queue.u8(at) << 24) >> 24 : queue.u8(at);
      if (this.size === 2) return this.signed ? queue.i16(at) : queue.u16(at);
      return this.signed ? queue.i32(at) : queue.u32(at);
    }
    let value = 0;
    for (let i = this.size - 1; i >= 0; i--) value = value * 256 + queue.u8(at + i);
    if (this.signed && value >= 2 ** (8 * this.size - 1)) value -= 2 ** (8 * this.size);
    return value;
  }

  /** The frame's bytes up to the end of this field, for a wide read before the frame is taken. */
  private gathered(queue: ByteQueue): Buffer {
    const out = Buffer.alloc(this.end);
    queue.peek(this.offset, 8).copy(out, this.offset);
    return out;
  }

  /** Writes `value` (a number, or a bigint for an 8-byte field) into `frame`. */
  write(frame: Buffer, value: number | bigint): void {
    const at = this.offset;
    if (this.size === 8) {
      const wide = BigInt(value);
      if (this.little) {
        if (this.signed) frame.writeBigInt64LE(BigInt.asIntN(64, wide), at);
        else frame.writeBigUInt64LE(BigInt.asUintN(64, wide), at);
      } else if (this.signed) frame.writeBigInt64BE(BigInt.asIntN(64, wide), at);
      else frame.writeBigUInt64BE(BigInt.asUintN(64, wide), at);
      return;
    }
    const n = Number(value);
    // Written as the unsigned bit pattern: a signed field takes negative values the same way.
    const bits = n < 0 ? n + 2 ** (8 * this.size) : n;
    if (this.kind === Kind.U32BE || (this.kind === Kind.I32 && !this.little)) {
      frame[at] = bits >>> 24;
      frame[at + 1] = (bits >>> 16) & 0xff;
      frame[at + 2] = (bits >>> 8) & 0xff;
      frame[at + 3] = bits & 0xff;
      return;
    }
    switch (this.size) {
      case 1:
        frame[at] = bits & 0xff;
        return;
      case 2:
        if (this.little) frame.writeUInt16LE(bits & 0xffff, at);
        else frame.writeUInt16BE(bits & 0xffff, at);
        return;
      default:
        if (this.little) frame.writeUInt32LE(bits >>> 0, at);
        else frame.writeUInt32BE(bits >>> 0, at);
    }
  }

  /** Whether `value` fits the field. */
  fits(value: number | bigint): boolean {
    if (typeof value === 'number' && this.size < 8) return value >= this.min && value <= this.max;
    const bits = BigInt(8 * this.size);
    const v = BigInt(value);
    return this.signed ? v >= -(1n << (bits - 1n)) && v < 1n << (bits - 1n) : v >= 0n && v < 1n << bits;
  }
}

function kindOf(size: 1 | 2 | 4 | 8, little: boolean, signed: boolean): Kind {
  if (size === 8) return Kind.WIDE;
  if (signed) return size === 1 ? Kind.I8 : size === 2 ? Kind.I16 : Kind.I32;
  if (size === 1) return Kind.U8;
  if (size === 2) return little ? Kind.U16LE : Kind.U16BE;
  return little ? Kind.U32LE : Kind.U32BE;
}
