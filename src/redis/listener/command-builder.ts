/**
 * Commands the proxy writes in place of a client's: the same command with a key's route prefix
 * removed, and the per-key or per-slot parts of a split command. Output grammar: a RESP multibulk
 * (`*n CRLF` then `$len CRLF bytes CRLF` per argument), built into one buffer.
 */
import type { RespCommand } from '../resp/request-parser.js';

const CRLF_LENGTH = 2;

function digits(n: number): number {
  return n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : String(n).length;
}

/**
 * `command` with the first `cut` bytes of argument `argIndex` removed; the argument's new offsets
 * are written to `offsets[0..1]`.
 */
export function withShortenedArg(
  command: RespCommand,
  argIndex: number,
  cut: number,
  offsets: Int32Array,
): Buffer {
  const buf = command.buf;
  const commandStart = command.start;
  const commandEnd = command.end;
  const start = command.starts[argIndex]!;
  const end = command.ends[argIndex]!;
  const length = end - start;
  const headerStart = start - (1 + digits(length) + CRLF_LENGTH);
  const header = `$${length - cut}\r\n`;
  const out = Buffer.allocUnsafe(
    commandEnd - commandStart - cut - (1 + digits(length)) + (header.length - CRLF_LENGTH),
  );
  buf.copy(out, 0, commandStart, headerStart);
  let p = headerStart - commandStart;
  p += out.write(header, p, 'latin1');
  offsets[0] = p;
  buf.copy(out, p, start + cut, commandEnd);
  p += commandEnd - (start + cut);
  offsets[1] = offsets[0]! + length - cut;
  return out.subarray(0, p);
}

/**
 * Builds a multibulk from a name and arguments taken from a client's command (each possibly with a
 * prefix cut off). Used as: `begin(name, argc)`, `arg(...)` per argument, `finish()`.
 */
export class CommandBuilder {
  private parts: { buf: Uint8Array; start: number; end: number }[] = [];
  private size = 0;
  /** Offsets of the key arguments in the built command (for routing), in the order added. */
  readonly keyStarts: number[] = [];
  readonly keyEnds: number[] = [];

  constructor(private readonly name: Buffer) {}

  /** Adds an argument: `buf[start, end)`; `isKey` records its offsets in the result. */
  arg(buf: Uint8Array, start: number, end: number, isKey: boolean): void {
    this.parts.push({ buf, start, end });
    this.size += 1 + digits(end - start) + CRLF_LENGTH + (end - start) + CRLF_LENGTH;
    if (isKey) {
      this.keyStarts.push(this.parts.length - 1);
      this.keyEnds.push(this.parts.length - 1);
    }
  }

  /** The command; keyStarts/keyEnds then hold the keys' byte offsets in it. */
  finish(): Buffer {
    const argc = this.parts.length + 1;
    const nameLength = this.name.length;
    const total =
      1 +
      digits(argc) +
      CRLF_LENGTH +
      1 +
      digits(nameLength) +
      CRLF_LENGTH +
      nameLength +
      CRLF_LENGTH +
      this.size;
    const out = Buffer.allocUnsafe(total);
    let p = out.write(`*${argc}\r\n$${nameLength}\r\n`, 0, 'latin1');
    this.name.copy(out, p);
    p += nameLength;
    out[p++] = 13;
    out[p++] = 10;
    const starts: number[] = [];
    for (const part of this.parts) {
      const length = part.end - part.start;
      p += out.write(`$${length}\r\n`, p, 'latin1');
      starts.push(p);
      out.set(part.buf.subarray(part.start, part.end), p);
      p += length;
      out[p++] = 13;
      out[p++] = 10;
    }
    for (let k = 0; k < this.keyStarts.length; k++) {
      const part = this.keyStarts[k]!;
      const begin = starts[part]!;
      this.keyStarts[k] = begin;
      this.keyEnds[k] = begin + (this.parts[part]!.end - this.parts[part]!.start);
    }
    return out.subarray(0, p);
  }
}
