/**
 * Whole RESP2/RESP3 replies as JavaScript values, for the few replies the proxy reads rather than
 * forwards (CLUSTER SLOTS, CLUSTER SHARDS, HELLO, AUTH) and for tests. Not for the request path.
 * The grammar is the one {@link ReplyScanner} describes.
 */
import { replyErrorText, ReplyScanner, REPLY_INCOMPLETE, REPLY_MALFORMED } from './reply-scanner.js';

/** An error reply. */
export class RespError {
  constructor(readonly message: string) {}
}

/**
 * A decoded reply: strings for simple strings, Buffers for bulk strings, numbers (bigint beyond
 * 2^53) for integers, `null`, booleans, arrays (sets and pushes too), Maps for maps, RespError.
 */
export type RespValue =
  string | Buffer | number | bigint | boolean | null | RespError | RespValue[] | Map<RespValue, RespValue>;

/** Decodes the one reply `bytes` holds; throws on malformed or incomplete bytes. */
export function decodeReply(bytes: Buffer): RespValue {
  const scanner = new ReplyScanner();
  const end = scanner.scan(bytes, 0, bytes.length);
  if (end === REPLY_INCOMPLETE) throw new Error('incomplete reply');
  if (end === REPLY_MALFORMED) throw new Error(`malformed reply: ${scanner.error}`);
  const [value] = decodeAt(bytes, 0);
  return value;
}

function lineEnd(buf: Buffer, p: number): number {
  return buf.indexOf(13, p);
}

/** Decodes the value at `p` of bytes a scanner found complete; returns it and where it ends. */
function decodeAt(buf: Buffer, p: number): [RespValue, number] {
  const type = buf[p]!;
  const cr = lineEnd(buf, p + 1);
  const line = buf.toString('utf8', p + 1, cr);
  const next = cr + 2;
  switch (type) {
    case 43: // +
      return [line, next];
    case 45: // -
      return [new RespError(line), next];
    case 58: {
      // :
      const n = Number(line);
      return [Number.isSafeInteger(n) ? n : BigInt(line), next];
    }
    case 40: // (
      return [BigInt(line), next];
    case 44: // ,
      return [line === 'inf' ? Infinity : line === '-inf' ? -Infinity : Number(line), next];
    case 95: // _
      return [null, next];
    case 35: // #
      return [line === 't', next];
    case 36: // $
    case 61: {
      // =
      const length = Number(line);
      if (length < 0) return [null, next];
      const data = buf.subarray(next, next + length);
      return [type === 61 ? data.subarray(4) : Buffer.from(data), next + length + 2];
    }
    case 33: {
      // !
      const length = Number(line);
      const end = next + length + 2;
      return [new RespError(replyErrorText(buf, p, end)), end];
    }
    case 124: {
      // | attribute: skipped, the value follows
      let q = next;
      for (let i = 0; i < Number(line) * 2; i++) q = decodeAt(buf, q)[1];
      return decodeAt(buf, q);
    }
    case 37: {
      // %
      const map = new Map<RespValue, RespValue>();
      let q = next;
      for (let i = 0; i < Number(line); i++) {
        const [key, afterKey] = decodeAt(buf, q);
        const [value, afterValue] = decodeAt(buf, afterKey);
        map.set(Buffer.isBuffer(key) ? key.toString('utf8') : key, value);
        q = afterValue;
      }
      return [map, q];
    }
    default: {
      // * ~ >
      const count = Number(line);
      if (count < 0) return [null, next];
      const items: RespValue[] = [];
      let q = next;
      for (let i = 0; i < count; i++) {
        const [value, after] = decodeAt(buf, q);
        items.push(value);
        q = after;
      }
      return [items, q];
    }
  }
}

/** A decoded string-ish value as text (bulk strings, simple strings, numbers). */
export function asText(value: RespValue | undefined): string | undefined {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return undefined;
}
