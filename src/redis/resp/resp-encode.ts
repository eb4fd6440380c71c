/**
 * RESP as the proxy writes it: commands to servers (multibulks of bulk strings) and the replies it
 * answers itself. Grammar: see request-parser.ts (commands) and reply-scanner.ts (replies).
 */

const CRLF = '\r\n';

/** A command as a multibulk of bulk strings. */
export function encodeCommand(args: readonly (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}${CRLF}`, 'latin1')];
  for (const arg of args) {
    const bytes = typeof arg === 'string' ? Buffer.from(arg, 'utf8') : arg;
    parts.push(Buffer.from(`$${bytes.length}${CRLF}`, 'latin1'), bytes, CRLF_BYTES);
  }
  return Buffer.concat(parts);
}

const CRLF_BYTES = Buffer.from(CRLF, 'latin1');

/** `+text`. */
export function simpleString(text: string): Buffer {
  return Buffer.from(`+${text}${CRLF}`, 'utf8');
}

/** `-message`; CR and LF in the message are replaced, since they would end the reply. */
export function errorReply(message: string): Buffer {
  return Buffer.from(`-${message.replace(/[\r\n]+/g, ' ')}${CRLF}`, 'utf8');
}

/** `:n`. */
export function integerReply(n: number): Buffer {
  return Buffer.from(`:${n}${CRLF}`, 'latin1');
}

/** `$n` and the bytes. */
export function bulkReply(value: string | Buffer): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  return Buffer.concat([Buffer.from(`$${bytes.length}${CRLF}`, 'latin1'), bytes, CRLF_BYTES]);
}

/** The null bulk string of the connection's protocol: `$-1` (RESP2) or `_` (RESP3). */
export function nullReply(protocol: 2 | 3): Buffer {
  return protocol === 3 ? NULL3 : NULL2;
}

const NULL2 = Buffer.from(`$-1${CRLF}`, 'latin1');
const NULL3 = Buffer.from(`_${CRLF}`, 'latin1');

/** An array header, `*n`. */
export function arrayHeader(count: number): Buffer {
  return Buffer.from(`*${count}${CRLF}`, 'latin1');
}

/** A map of the connection's protocol: `%n` and pairs (RESP3) or a flat array (RESP2). */
export function mapReply(protocol: 2 | 3, entries: readonly (readonly [string, Buffer])[]): Buffer {
  const header = protocol === 3 ? `%${entries.length}${CRLF}` : `*${entries.length * 2}${CRLF}`;
  const parts: Buffer[] = [Buffer.from(header, 'latin1')];
  for (const [key, value] of entries) parts.push(bulkReply(key), value);
  return Buffer.concat(parts);
}

export const OK_REPLY: Buffer = simpleString('OK');
export const PONG_REPLY: Buffer = simpleString('PONG');
