/**
 * Commands from Redis clients, parsed resumably from whatever chunks the socket delivers.
 *
 * Wire grammar (RESP request, as Redis reads it):
 *
 * ```
 * command   = multibulk / inline
 * multibulk = "*" count CRLF count*( "$" length CRLF length*OCTET CRLF )   ; count ≤ 0: an empty command, skipped
 * inline    = *SP arg *( 1*SP arg ) *SP [CR] LF                             ; a line of text (telnet)
 * arg       = 1*( %x21-7E except quotes ) / DQUOTE *( char / "\" escape ) DQUOTE / "'" *char "'"
 * count, length = "0" / [ "-" ] %x31-39 *DIGIT
 * ```
 *
 * A command that lies in one chunk is not copied: it and its arguments are offsets into the chunk. A command split across chunks is gathered into one buffer, grown
 * by doubling, so it is copied about once; parsing resumes where it stopped rather than from the
 * command's start. An inline command is re-encoded as a multibulk (upstream servers get RESP).
 *
 * Bytes that break the grammar or the {@link RespLimits} make {@link RespRequestParser.next} return
 * an error with Redis's own wording (`Protocol error: invalid bulk length`); the caller replies
 * `-ERR <message>` and closes the connection, as Redis does.
 */
import { DEFAULT_RESP_LIMITS, type RespLimits } from './limits.js';

const EMPTY = Buffer.alloc(0);
const CR = 13;
const LF = 10;
const STAR = 42;
const DOLLAR = 36;
/** A count or length line longer than this cannot hold a valid number. */
const MAX_NUMBER_LINE = 24;

/** What {@link RespRequestParser.next} found. */
export const enum ParseStatus {
  /** More bytes are needed. */
  NeedMore = 0,
  /** A command was parsed into the given {@link RespCommand}. */
  Command = 1,
  /** The bytes break the protocol; {@link RespRequestParser.error} says how. Nothing more can be parsed. */
  Error = -1,
}

/**
 * One parsed command: where its RESP bytes lie in a buffer and where each argument lies in them.
 * The parser fills the same object again on every call, so whatever outlives the call must be copied
 * (the buffer itself may be kept: the bytes of a parsed command are never written to again). No
 * object is made per command: offsets point into the buffer the bytes were read into.
 */
export class RespCommand {
  /** The buffer holding the command (a socket chunk, or the parser's gathering buffer). */
  buf: Buffer = EMPTY;
  /** The command as RESP (a multibulk) is `buf[start, end)`, exactly as received unless it came inline. */
  start = 0;
  end = 0;
  /** Number of arguments, the command name included. */
  argc = 0;
  /** Offset of each argument's first byte in `buf`. */
  starts: Int32Array = new Int32Array(16);
  /** Offset just past each argument's last byte in `buf`. */
  ends: Int32Array = new Int32Array(16);

  /** The command's bytes as a view of `buf` (a new view per call: for the cold paths). */
  get raw(): Buffer {
    return this.buf.subarray(this.start, this.end);
  }

  /** Bytes of the command. */
  get length(): number {
    return this.end - this.start;
  }

  /** Argument `i` as a view of `buf`. */
  arg(i: number): Buffer {
    return this.buf.subarray(this.starts[i]!, this.ends[i]!);
  }

  argLength(i: number): number {
    return this.ends[i]! - this.starts[i]!;
  }

  /** Argument `i` as a string, bytes taken as Latin-1 (command names, options). */
  argLatin1(i: number): string {
    return this.buf.toString('latin1', this.starts[i]!, this.ends[i]!);
  }

  /** Argument `i` decoded as UTF-8 (keys and values shown to people). */
  argUtf8(i: number): string {
    return this.buf.toString('utf8', this.starts[i]!, this.ends[i]!);
  }

  /** Whether argument `i` equals `lower` (lower-case ASCII), ignoring ASCII case. */
  argIs(i: number, lower: string): boolean {
    const start = this.starts[i]!;
    const length = this.ends[i]! - start;
    if (length !== lower.length) return false;
    const buf = this.buf;
    for (let k = 0; k < length; k++) {
      let c = buf[start + k]!;
      if (c >= 65 && c <= 90) c += 32;
      if (c !== lower.charCodeAt(k)) return false;
    }
    return true;
  }

  /** Argument `i` as a base-10 integer, or `undefined` when it is not one. */
  argInteger(i: number): number | undefined {
    return parseInteger(this.buf, this.starts[i]!, this.ends[i]!);
  }
}

/** Parses a RESP integer between `start` and `end`; `undefined` when it is not one. */
export function parseInteger(buf: Uint8Array, start: number, end: number): number | undefined {
  if (start >= end || end - start > 20) return undefined;
  let p = start;
  let negative = false;
  if (buf[p] === 45) {
    negative = true;
    p++;
    if (p === end) return undefined;
  }
  const first = buf[p]!;
  if (first === 48) return p + 1 === end && !negative ? 0 : undefined;
  let value = 0;
  for (; p < end; p++) {
    const d = buf[p]! - 48;
    if (d < 0 || d > 9) return undefined;
    value = value * 10 + d;
  }
  if (value > Number.MAX_SAFE_INTEGER) return undefined;
  return negative ? -value : value;
}

/** A resumable parser for one client connection. */
export class RespRequestParser {
  /** Why parsing stopped, after {@link ParseStatus.Error}. */
  error = '';
  /** Bytes held: the unparsed part of the input, at most one partial command and what follows it. */
  private buf: Buffer = EMPTY;
  /** Valid bytes of `buf` end here (a gathering buffer has spare capacity after). */
  private end = 0;
  /** Start of the command being parsed. */
  private pos = 0;
  /** Whether `buf` is a gathering buffer of ours, which may be appended to in place. */
  private owned = false;
  /** Arguments of the multibulk being parsed; -1 while its header is not read. */
  private expected = -1;
  private argIndex = 0;
  /** Where parsing resumes, relative to `pos`. */
  private scan = 0;
  /** Bytes from `pos` that must be held before parsing can make progress. */
  private needed = 0;
  private starts = new Int32Array(16);
  private ends = new Int32Array(16);
  private failed = false;

  constructor(private readonly limits: RespLimits = DEFAULT_RESP_LIMITS) {}

  /** Bytes held and not yet returned as commands. */
  get bufferedBytes(): number {
    return this.end - this.pos;
  }

  /** Adds bytes read from the socket. The chunk must not be modified afterwards. */
  push(chunk: Buffer): void {
    if (this.failed || chunk.length === 0) return;
    const remaining = this.end - this.pos;
    if (remaining === 0) {
      this.buf = chunk;
      this.pos = 0;
      this.end = chunk.length;
      this.owned = false;
      return;
    }
    if (this.owned && this.buf.length - this.end >= chunk.length) {
      chunk.copy(this.buf, this.end);
      this.end += chunk.length;
      return;
    }
    // Gather the partial command and the new bytes into a buffer of our own, growing by doubling so
    // that a large command arriving in small chunks is copied about once in all.
    const size = remaining + chunk.length;
    const capacity = Math.max(size, Math.min(this.needed, Math.max(size * 2, 16 * 1024)));
    const next = Buffer.allocUnsafe(capacity);
    this.buf.copy(next, 0, this.pos, this.end);
    chunk.copy(next, remaining);
    this.buf = next;
    this.pos = 0;
    this.end = size;
    this.owned = true;
  }

  /** Parses the next command into `command`. */
  next(command: RespCommand): ParseStatus {
    if (this.failed) return ParseStatus.Error;
    for (;;) {
      const available = this.end - this.pos;
      if (available === 0) {
        // Nothing held: let the last chunk go.
        this.buf = EMPTY;
        this.pos = this.end = 0;
        this.owned = false;
        return ParseStatus.NeedMore;
      }
      if (available < this.needed) return ParseStatus.NeedMore;
      const buf = this.buf;
      const base = this.pos;
      if (this.expected < 0) {
        if (buf[base] !== STAR) {
          const status = this.parseInline(command);
          if (status === ParseStatus.Command || status !== SKIPPED) return status;
          continue;
        }
        const lineEnd = findLineEnd(buf, base + 1, this.end);
        if (lineEnd === INCOMPLETE) {
          this.needed = available + 1;
          return ParseStatus.NeedMore;
        }
        const count = lineEnd < 0 ? undefined : parseInteger(buf, base + 1, lineEnd);
        if (count === undefined || count > this.limits.maxArrayLength) {
          return this.fail('Protocol error: invalid multibulk length');
        }
        if (count <= 0) {
          // An empty command: Redis skips it.
          this.pos = lineEnd + 2;
          this.needed = 0;
          continue;
        }
        this.expected = count;
        this.argIndex = 0;
        this.scan = lineEnd + 2 - base;
        if (this.starts.length < count) {
          const size = Math.max(count, this.starts.length * 2);
          this.starts = new Int32Array(size);
          this.ends = new Int32Array(size);
        }
      }
      const end = this.end;
      const maxBulk = this.limits.maxBulkBytes;
      while (this.argIndex < this.expected) {
        const p = base + this.scan;
        if (p >= end) {
          this.needed = this.scan + 1;
          return ParseStatus.NeedMore;
        }
        if (buf[p] !== DOLLAR) {
          return this.fail(`Protocol error: expected '$', got '${String.fromCharCode(buf[p]!)}'`);
        }
        const lineEnd = findLineEnd(buf, p + 1, end);
        if (lineEnd === INCOMPLETE) {
          this.needed = end - base + 1;
          return ParseStatus.NeedMore;
        }
        const length = lineEnd < 0 ? undefined : parseInteger(buf, p + 1, lineEnd);
        if (length === undefined || length < 0 || length > maxBulk) {
          return this.fail('Protocol error: invalid bulk length');
        }
        const dataStart = lineEnd + 2;
        const dataEnd = dataStart + length;
        if (dataEnd + 2 > end) {
          this.needed = dataEnd + 2 - base;
          if (this.needed > this.limits.maxCommandBytes) return this.tooLarge();
          return ParseStatus.NeedMore;
        }
        this.starts[this.argIndex] = dataStart - base;
        this.ends[this.argIndex] = dataEnd - base;
        this.argIndex++;
        this.scan = dataEnd + 2 - base;
        if (this.scan > this.limits.maxCommandBytes) return this.tooLarge();
      }
      const argc = this.expected;
      const starts = this.starts;
      const ends = this.ends;
      // Offsets relative to the command while it was gathered (its buffer may have been replaced).
      for (let i = 0; i < argc; i++) {
        starts[i] = starts[i]! + base;
        ends[i] = ends[i]! + base;
      }
      command.buf = buf;
      command.start = base;
      command.end = base + this.scan;
      command.argc = argc;
      command.starts = starts;
      command.ends = ends;
      this.pos = base + this.scan;
      this.expected = -1;
      this.argIndex = 0;
      this.scan = 0;
      this.needed = 0;
      return ParseStatus.Command;
    }
  }

  private tooLarge(): ParseStatus {
    return this.fail(`Protocol error: command larger than ${this.limits.maxCommandBytes} bytes`);
  }

  private fail(message: string): ParseStatus {
    this.error = message;
    this.failed = true;
    this.buf = EMPTY;
    this.pos = this.end = 0;
    return ParseStatus.Error;
  }

  /** An inline command at `pos`: a line of space-separated arguments, re-encoded as a multibulk. */
  private parseInline(command: RespCommand): ParseStatus | typeof SKIPPED {
    const buf = this.buf;
    const base = this.pos;
    const limit = Math.min(this.end, base + this.limits.maxInlineBytes + 1);
    let newline = -1;
    for (let p = base; p < limit; p++) {
      if (buf[p] === LF) {
        newline = p;
        break;
      }
    }
    if (newline < 0) {
      if (this.end - base > this.limits.maxInlineBytes)
        return this.fail('Protocol error: too big inline request');
      this.needed = this.end - base + 1;
      return ParseStatus.NeedMore;
    }
    const lineEnd = newline > base && buf[newline - 1] === CR ? newline - 1 : newline;
    const args = splitInlineArgs(buf, base, lineEnd);
    this.pos = newline + 1;
    this.needed = 0;
    if (args === undefined) return this.fail('Protocol error: unbalanced quotes in request');
    if (args.length === 0) return SKIPPED;
    if (args.length > this.limits.maxArrayLength)
      return this.fail('Protocol error: invalid multibulk length');
    encodeInline(command, args);
    return ParseStatus.Command;
  }
}

const SKIPPED = 2;
const INCOMPLETE = -2;

/**
 * The CR of the CRLF ending a count or length line that starts at `from`; INCOMPLETE when the line
 * may still end in bytes not yet read; -1 when it cannot be a count line (too long, CR without LF).
 */
function findLineEnd(buf: Uint8Array, from: number, end: number): number {
  const limit = Math.min(end, from + MAX_NUMBER_LINE);
  for (let p = from; p < limit; p++) {
    if (buf[p] === CR) {
      if (p + 1 >= end) return INCOMPLETE;
      return buf[p + 1] === LF ? p : -1;
    }
  }
  return limit === end ? INCOMPLETE : -1;
}

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

const ESCAPES: Readonly<Record<number, number>> = { 110: 10, 114: 13, 116: 9, 98: 8, 97: 7 };

/**
 * Splits an inline command as Redis's sdssplitargs does: arguments separated by white space, in
 * double quotes (with `\n`, `\xHH` … escapes) or single quotes; a closing quote must be followed by
 * white space or the end. `undefined` for unbalanced quotes.
 */
export function splitInlineArgs(buf: Uint8Array, start: number, end: number): Buffer[] | undefined {
  const args: Buffer[] = [];
  let p = start;
  for (;;) {
    while (p < end && isSpace(buf[p]!)) p++;
    // Redis splits a C string: a NUL byte ends it.
    if (p >= end || buf[p] === 0) return args;
    const bytes: number[] = [];
    let inDouble = false;
    let inSingle = false;
    for (;;) {
      if (inDouble) {
        if (p >= end) return undefined;
        const c = buf[p]!;
        if (
          c === 92 &&
          p + 3 < end &&
          buf[p + 1] === 120 &&
          hexValue(buf[p + 2]!) >= 0 &&
          hexValue(buf[p + 3]!) >= 0
        ) {
          bytes.push(hexValue(buf[p + 2]!) * 16 + hexValue(buf[p + 3]!));
          p += 4;
        } else if (c === 92 && p + 1 < end) {
          const e = buf[p + 1]!;
          bytes.push(ESCAPES[e] ?? e);
          p += 2;
        } else if (c === 34) {
          if (p + 1 < end && !isSpace(buf[p + 1]!)) return undefined;
          p++;
          break;
        } else {
          bytes.push(c);
          p++;
        }
      } else if (inSingle) {
        if (p >= end) return undefined;
        const c = buf[p]!;
        if (c === 92 && p + 1 < end && buf[p + 1] === 39) {
          bytes.push(39);
          p += 2;
        } else if (c === 39) {
          if (p + 1 < end && !isSpace(buf[p + 1]!)) return undefined;
          p++;
          break;
        } else {
          bytes.push(c);
          p++;
        }
      } else {
        if (p >= end) break;
        const c = buf[p]!;
        if (isSpace(c) || c === 0) break;
        if (c === 34) inDouble = true;
        else if (c === 39) inSingle = true;
        else bytes.push(c);
        p++;
      }
    }
    args.push(Buffer.from(bytes));
  }
}

/** Fills `command` with `args` encoded as a multibulk. */
function encodeInline(command: RespCommand, args: readonly Buffer[]): void {
  let size = 3 + String(args.length).length;
  for (const a of args) size += 5 + String(a.length).length + a.length;
  const raw = Buffer.allocUnsafe(size);
  let p = raw.write(`*${args.length}\r\n`, 0, 'latin1');
  // The command may hold the parser's offset arrays: an inline command gets arrays of its own.
  command.starts = new Int32Array(args.length);
  command.ends = new Int32Array(args.length);
  args.forEach((a, i) => {
    p += raw.write(`$${a.length}\r\n`, p, 'latin1');
    command.starts[i] = p;
    a.copy(raw, p);
    p += a.length;
    command.ends[i] = p;
    raw[p++] = CR;
    raw[p++] = LF;
  });
  command.buf = raw;
  command.start = 0;
  command.end = p;
  command.argc = args.length;
}
