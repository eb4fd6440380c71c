/**
 * Finds where each reply from a Redis server ends, without building it: the proxy forwards replies
 * as the bytes it received, so it only needs their boundaries, their type and, for a few types, a
 * value (the integer of `:n`, the text of `-ERR …`).
 *
 * Wire grammar (RESP2 and RESP3 replies):
 *
 * ```
 * reply     = [ attribute ] value
 * value     = line-type line CRLF                       ; + - : _ # , (
 *           / blob-type length CRLF length*OCTET CRLF   ; $ ! =   ("$-1" is RESP2's null)
 *           / aggregate-type count CRLF count*reply     ; * ~ >   ("*-1" is RESP2's null array)
 *           / "%" count CRLF (2 × count)*reply          ; map
 * attribute = "|" count CRLF (2 × count)*reply          ; metadata that precedes a value
 * ```
 *
 * Scanning is resumable: a reply split across chunks is scanned up to where its bytes end, and the
 * scan continues there (not from the reply's start) once the caller hands over the gathered bytes,
 * with the nesting kept in a small stack. RESP3's streamed strings and aggregates (`$?`, `*?`) are
 * not sent by Redis and are rejected.
 */

const CR = 13;
const LF = 10;

/** Longest line of a line-typed reply (`+…`, `-…`) accepted: errors and status texts are short. */
export const MAX_REPLY_LINE = 64 * 1024;

export const REPLY_INCOMPLETE = -1;
export const REPLY_MALFORMED = -2;

/** The first byte of each reply type. */
export const ReplyType = {
  simpleString: 43, // +
  error: 45, // -
  integer: 58, // :
  bulk: 36, // $
  array: 42, // *
  null: 95, // _
  boolean: 35, // #
  double: 44, // ,
  bigNumber: 40, // (
  blobError: 33, // !
  verbatim: 61, // =
  map: 37, // %
  set: 126, // ~
  push: 62, // >
  attribute: 124, // |
} as const;

/**
 * Scans consecutive replies. {@link scan} returns the end of the reply that starts at `start`, or
 * {@link REPLY_INCOMPLETE}: then call again with the same reply's bytes at a new `start` (plus more
 * bytes after them) and scanning resumes where it stopped.
 */
export class ReplyScanner {
  /** Elements still expected at each open aggregate level; negative for an attribute's level. */
  private stack: number[] = [];
  /** Where to resume, relative to the reply's start; 0 = a new reply. */
  private resume = 0;
  /** Why the last scan returned {@link REPLY_MALFORMED}. */
  error = '';

  /** Whether a reply was left incomplete (its scan resumes on the next call). */
  get inProgress(): boolean {
    return this.resume !== 0;
  }

  /** Forgets a reply in progress (the connection is gone). */
  reset(): void {
    this.stack.length = 0;
    this.resume = 0;
  }

  scan(buf: Uint8Array, start: number, end: number): number {
    const stack = this.stack;
    let p = start + this.resume;
    for (;;) {
      // One value (or an aggregate's header) at p.
      if (p >= end) return this.suspend(p - start);
      const type = buf[p]!;
      let lineEnd = -1;
      const limit = Math.min(end, p + 1 + MAX_REPLY_LINE);
      for (let q = p + 1; q < limit; q++) {
        if (buf[q] === CR) {
          lineEnd = q;
          break;
        }
      }
      if (lineEnd < 0) {
        if (limit < end) return this.malformed('reply line too long');
        return this.suspend(p - start);
      }
      if (lineEnd + 1 >= end) return this.suspend(p - start);
      if (buf[lineEnd + 1] !== LF) return this.malformed('CR without LF');
      let next = lineEnd + 2;
      let opened = 0;
      switch (type) {
        case ReplyType.simpleString:
        case ReplyType.error:
        case ReplyType.integer:
        case ReplyType.null:
        case ReplyType.boolean:
        case ReplyType.double:
        case ReplyType.bigNumber:
          break;
        case ReplyType.bulk:
        case ReplyType.blobError:
        case ReplyType.verbatim: {
          const length = readCount(buf, p + 1, lineEnd);
          if (length === undefined) return this.malformed('bad bulk length');
          if (length >= 0) {
            next = lineEnd + 2 + length + 2;
            if (next > end) return this.suspend(p - start);
          }
          break;
        }
        case ReplyType.array:
        case ReplyType.set:
        case ReplyType.push:
        case ReplyType.map:
        case ReplyType.attribute: {
          const count = readCount(buf, p + 1, lineEnd);
          if (count === undefined) return this.malformed('bad aggregate length');
          const elements = type === ReplyType.map || type === ReplyType.attribute ? count * 2 : count;
          if (elements > 0) opened = type === ReplyType.attribute ? -elements : elements;
          else if (type === ReplyType.attribute) {
            // An empty attribute: the value it precedes follows.
            p = next;
            continue;
          }
          break;
        }
        default:
          return this.malformed(`unknown reply type '${String.fromCharCode(type)}'`);
      }
      p = next;
      if (opened !== 0) {
        stack.push(opened);
        continue;
      }
      // A value ended: close every aggregate it completes.
      for (;;) {
        const depth = stack.length;
        if (depth === 0) {
          this.resume = 0;
          return p;
        }
        const top = stack[depth - 1]!;
        if (top > 0) {
          if (top > 1) {
            stack[depth - 1] = top - 1;
            break;
          }
          stack.pop();
        } else {
          if (top < -1) {
            stack[depth - 1] = top + 1;
            break;
          }
          // An attribute closed: it is not a value, the value it precedes is still to come.
          stack.pop();
          break;
        }
      }
    }
  }

  private suspend(offset: number): number {
    this.resume = offset;
    return REPLY_INCOMPLETE;
  }

  private malformed(reason: string): number {
    this.error = reason;
    this.reset();
    return REPLY_MALFORMED;
  }
}

/** A count or length: a base-10 integer, `-1` allowed; `?` (streamed) and the rest rejected. */
function readCount(buf: Uint8Array, start: number, end: number): number | undefined {
  if (start >= end || end - start > 20) return undefined;
  let p = start;
  let negative = false;
  if (buf[p] === 45) {
    negative = true;
    p++;
  }
  if (p >= end) return undefined;
  let value = 0;
  for (; p < end; p++) {
    const d = buf[p]! - 48;
    if (d < 0 || d > 9) return undefined;
    value = value * 10 + d;
  }
  if (negative) return value === 1 ? -1 : undefined;
  return value <= Number.MAX_SAFE_INTEGER ? value : undefined;
}

/** The integer of a `:n` reply that spans `[start, end)`; `undefined` when it is not one. */
export function replyInteger(buf: Uint8Array, start: number, end: number): number | undefined {
  if (buf[start] !== ReplyType.integer) return undefined;
  let p = start + 1;
  const stop = end - 2;
  let negative = false;
  if (buf[p] === 45) {
    negative = true;
    p++;
  }
  if (p >= stop) return undefined;
  let value = 0;
  for (; p < stop; p++) {
    const d = buf[p]! - 48;
    if (d < 0 || d > 9) return undefined;
    value = value * 10 + d;
  }
  return negative ? -value : value;
}

/** The text of a `-…` reply, or of a `!n` blob error, without its type byte and CRLF. */
export function replyErrorText(buf: Buffer, start: number, end: number): string {
  if (buf[start] === ReplyType.blobError) {
    const crlf = buf.indexOf(CR, start);
    return buf.toString('utf8', crlf + 2, end - 2);
  }
  return buf.toString('utf8', start + 1, end - 2);
}

/** Whether the reply spanning `[start, end)` is an error (`-…` or `!…`). */
export function isErrorReply(buf: Uint8Array, start: number): boolean {
  const type = buf[start];
  return type === ReplyType.error || type === ReplyType.blobError;
}

/** Whether the reply spanning `[start, end)` is exactly `+OK`. */
export function isOkReply(buf: Uint8Array, start: number, end: number): boolean {
  return end - start === 5 && buf[start] === 43 && buf[start + 1] === 79 && buf[start + 2] === 75;
}

/** Whether the reply is a null: `$-1`, `*-1` (RESP2) or `_` (RESP3). */
export function isNullReply(buf: Uint8Array, start: number, end: number): boolean {
  const type = buf[start];
  if (type === ReplyType.null) return true;
  return (type === ReplyType.bulk || type === ReplyType.array) && end - start === 5 && buf[start + 1] === 45;
}
