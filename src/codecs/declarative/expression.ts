/**
 * Offsets and lengths of a description: a number, or a sum of numbers and field names.
 *
 * Grammar: expression = term { ("+" | "-") term } ; term = integer | hex-integer | name ;
 * `name` is a field of the description, or `frameLength` (the whole frame's length in bytes).
 */
import type { WireField } from './wire-field.js';

/** The name that stands for the frame's length in expressions. */
export const FRAME_LENGTH = 'frameLength';

/** A compiled expression: a constant plus signed field values (and the frame length). */
export class CompiledExpression {
  constructor(
    readonly constant: number,
    readonly fields: readonly WireField[],
    readonly signs: readonly number[],
    readonly frameLengthSign: number,
  ) {}

  /** Its value for `frame`. */
  evaluate(frame: Buffer): number {
    const fields = this.fields;
    // The common shapes: a constant, or a constant plus one field.
    if (this.frameLengthSign === 0) {
      if (fields.length === 0) return this.constant;
      if (fields.length === 1) return this.constant + this.signs[0]! * fields[0]!.read(frame);
    }
    let value = this.constant + this.frameLengthSign * frame.length;
    for (let i = 0; i < fields.length; i++) value += this.signs[i]! * fields[i]!.read(frame);
    return value;
  }

  /** The fields it reads (they must lie within every frame). */
  get furthestFieldEnd(): number {
    let end = 0;
    for (const field of this.fields) end = Math.max(end, field.end);
    return end;
  }
}

const TOKEN = /\s*(?:(0x[0-9a-fA-F]+|\d+)|([A-Za-z_][A-Za-z0-9_]*)|([+-]))/y;

/**
 * Compiles `source` with `fields` by name; throws an Error whose message says what is wrong (the
 * caller adds where).
 */
export function compileExpression(
  source: number | string,
  fields: ReadonlyMap<string, WireField>,
): CompiledExpression {
  if (typeof source === 'number') return new CompiledExpression(source, [], [], 0);
  let constant = 0;
  let frameLengthSign = 0;
  const terms: WireField[] = [];
  const signs: number[] = [];
  let sign = 1;
  let expectTerm = true;
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < source.length) {
    const at = TOKEN.lastIndex;
    if (/^\s*$/.test(source.slice(at))) break;
    const match = TOKEN.exec(source);
    if (match === null) throw new Error(`cannot read '${source.slice(at).trim()}' in '${source}'`);
    const [, number, name, operator] = match;
    if (operator !== undefined) {
      if (expectTerm) throw new Error(`'${operator}' where a number or field was expected in '${source}'`);
      sign = operator === '+' ? 1 : -1;
      expectTerm = true;
      continue;
    }
    if (!expectTerm) throw new Error(`missing '+' or '-' before '${number ?? name}' in '${source}'`);
    expectTerm = false;
    if (number !== undefined) {
      constant += sign * Number(number);
    } else if (name === FRAME_LENGTH) {
      frameLengthSign += sign;
    } else {
      const field = fields.get(name!);
      if (field === undefined) {
        throw new Error(`'${name}' is not a field (fields: ${[...fields.keys()].join(', ') || 'none'})`);
      }
      terms.push(field);
      signs.push(sign);
    }
  }
  if (expectTerm) throw new Error(`'${source}' is not a complete expression`);
  return new CompiledExpression(constant, terms, signs, frameLengthSign);
}
