import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  isNullReply,
  replyInteger,
  ReplyScanner,
  REPLY_INCOMPLETE,
  REPLY_MALFORMED,
} from '../../../../src/redis/resp/reply-scanner.js';
import { decodeReply, RespError } from '../../../../src/redis/resp/resp-value.js';

/** Splits `wire` into replies, feeding it in chunks of `size` and gathering partial replies as a connection does. */
function scanAll(wire: Buffer, size: number): Buffer[] | 'malformed' {
  const scanner = new ReplyScanner();
  const replies: Buffer[] = [];
  let held = Buffer.alloc(0);
  for (let at = 0; at < wire.length; at += size) {
    held = Buffer.concat([held, wire.subarray(at, at + size)]);
    let p = 0;
    for (;;) {
      const end = scanner.scan(held, p, held.length);
      if (end === REPLY_MALFORMED) return 'malformed';
      if (end === REPLY_INCOMPLETE) break;
      replies.push(held.subarray(p, end));
      p = end;
      if (p === held.length) break;
    }
    held = held.subarray(p);
  }
  return replies;
}

const RESP3 = [
  '+OK\r\n',
  '-ERR wrong\r\n',
  ':-42\r\n',
  '$5\r\nhe\r\no\r\n',
  '$-1\r\n',
  '*-1\r\n',
  '_\r\n',
  '#t\r\n',
  ',3.14\r\n',
  '(12345678901234567890\r\n',
  '!11\r\nSYNTAX oops\r\n',
  '=9\r\ntxt:hello\r\n',
  '*2\r\n*1\r\n:1\r\n$0\r\n\r\n',
  '%2\r\n+a\r\n:1\r\n+b\r\n*2\r\n:2\r\n:3\r\n',
  '~1\r\n+x\r\n',
  '|1\r\n+ttl\r\n:10\r\n$3\r\nabc\r\n',
  '*0\r\n',
];

describe('reply scanner', () => {
  test('finds the end of every RESP2/RESP3 reply, whole and split at every byte', () => {
    const wire = Buffer.from(RESP3.join(''), 'latin1');
    for (let size = 1; size <= wire.length; size++) {
      const replies = scanAll(wire, size);
      assert.notEqual(replies, 'malformed');
      assert.deepEqual(
        (replies as Buffer[]).map(r => r.toString('latin1')),
        RESP3,
        `chunks of ${size}`,
      );
    }
  });

  test('reads integers, nulls and errors', () => {
    const int = Buffer.from(':-42\r\n');
    assert.equal(replyInteger(int, 0, int.length), -42);
    for (const n of ['$-1\r\n', '*-1\r\n', '_\r\n'])
      assert.equal(isNullReply(Buffer.from(n), 0, n.length), true);
    assert.deepEqual(decodeReply(Buffer.from('-MOVED 1 a:2\r\n')), new RespError('MOVED 1 a:2'));
    assert.deepEqual(
      decodeReply(Buffer.from('%1\r\n+k\r\n*2\r\n$1\r\nv\r\n_\r\n')),
      new Map([['k', [Buffer.from('v'), null]]]),
    );
  });

  test('rejects what is not RESP', () => {
    for (const bad of ['?x\r\n', '$x\r\n', '*2\r\n+a\r\n?b', '$?\r\n', '+a\rb\r\n']) {
      const scanner = new ReplyScanner();
      const buf = Buffer.from(`${bad}\r\n\r\n`);
      assert.equal(scanner.scan(buf, 0, buf.length), REPLY_MALFORMED, bad);
    }
  });

  test('fuzz: any bytes in any chunks: replies, incomplete or malformed, never a throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.integer({ min: 1, max: 30 }), (bytes, size) => {
        const wire = Buffer.from(bytes);
        const replies = scanAll(wire, size);
        if (replies === 'malformed') return;
        for (const r of replies) decodeReply(Buffer.from(r));
      }),
      { numRuns: 3000 },
    );
  });
});
