import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ParseStatus, RespCommand, RespRequestParser } from '../../../../src/redis/resp/request-parser.js';
import { encodeCommand } from '../../../../src/redis/resp/resp-encode.js';
import { DEFAULT_RESP_LIMITS } from '../../../../src/redis/resp/limits.js';

/** Feeds `bytes` in chunks of `sizes` (cycled) and returns the commands' arguments, and the error if any. */
function parseAll(
  bytes: Buffer,
  sizes: readonly number[] = [],
  parser = new RespRequestParser(),
): { commands: string[][]; raws: Buffer[]; error?: string } {
  const command = new RespCommand();
  const commands: string[][] = [];
  const raws: Buffer[] = [];
  let at = 0;
  let turn = 0;
  while (at < bytes.length) {
    const size = sizes.length === 0 ? bytes.length : Math.max(1, sizes[turn++ % sizes.length]!);
    parser.push(Buffer.from(bytes.subarray(at, at + size)));
    at += size;
    for (;;) {
      const status = parser.next(command);
      if (status === ParseStatus.NeedMore) break;
      if (status === ParseStatus.Error) return { commands, raws, error: parser.error };
      const args: string[] = [];
      for (let i = 0; i < command.argc; i++) args.push(command.argUtf8(i));
      commands.push(args);
      raws.push(Buffer.from(command.raw));
    }
  }
  return { commands, raws };
}

describe('RESP request parser', () => {
  test('parses pipelined multibulk commands, whole and split at every byte', () => {
    const wire = Buffer.concat([
      encodeCommand(['SET', 'key', 'value with spaces']),
      encodeCommand(['GET', 'key']),
      encodeCommand(['MGET', 'a', 'b', '']),
    ]);
    const expected = [
      ['SET', 'key', 'value with spaces'],
      ['GET', 'key'],
      ['MGET', 'a', 'b', ''],
    ];
    assert.deepEqual(parseAll(wire).commands, expected);
    for (let size = 1; size < wire.length; size++)
      assert.deepEqual(parseAll(wire, [size]).commands, expected, `chunks of ${size}`);
  });

  test('a command in one chunk is a view of it; its raw bytes are the command as received', () => {
    const wire = encodeCommand(['GET', 'k']);
    const parser = new RespRequestParser();
    const chunk = Buffer.concat([wire, wire]);
    parser.push(chunk);
    const command = new RespCommand();
    assert.equal(parser.next(command), ParseStatus.Command);
    assert.equal(command.raw.buffer, chunk.buffer, 'not copied');
    assert.deepEqual(command.raw, wire);
    assert.equal(command.argIs(0, 'get'), true);
    assert.equal(command.argLatin1(1), 'k');
  });

  test('inline commands are split as Redis does and re-encoded as RESP', () => {
    const { commands, raws } = parseAll(Buffer.from('SET "a b" \'c d\' "\\x41\\n"\r\nPING\n  \r\n'));
    assert.deepEqual(commands, [['SET', 'a b', 'c d', 'A\n'], ['PING']]);
    assert.deepEqual(raws[1], encodeCommand(['PING']));
    // A NUL ends the line's arguments, as in Redis's C string split (found by the fuzz test).
    assert.deepEqual(parseAll(Buffer.from('GET k\u0000junk\nPING\n', 'latin1')).commands, [
      ['GET', 'k'],
      ['PING'],
    ]);
  });

  test('empty multibulks are skipped', () => {
    assert.deepEqual(parseAll(Buffer.from('*0\r\n*-1\r\n*1\r\n$4\r\nPING\r\n')).commands, [['PING']]);
  });

  test("bad bytes get Redis's protocol errors, after the commands before them", () => {
    const cases: [string, string][] = [
      ['*1\r\n!4\r\nPING\r\n', "Protocol error: expected '$', got '!'"],
      ['*x\r\n', 'Protocol error: invalid multibulk length'],
      ['*1\r\n$-3\r\n', 'Protocol error: invalid bulk length'],
      ['*1\r\n$01\r\na\r\n', 'Protocol error: invalid bulk length'],
      ['SET "a\r\n', 'Protocol error: unbalanced quotes in request'],
      ['SET "a"b\r\n', 'Protocol error: unbalanced quotes in request'],
    ];
    for (const [wire, error] of cases) {
      const result = parseAll(Buffer.concat([encodeCommand(['PING']), Buffer.from(wire)]));
      assert.deepEqual(result.commands, [['PING']], wire);
      assert.equal(result.error, error, wire);
    }
  });

  test('limits: bulk length, argument count, inline length, command size', () => {
    const limits = { maxBulkBytes: 10, maxArrayLength: 3, maxInlineBytes: 16, maxCommandBytes: 40 };
    const parse = (wire: Buffer): string | undefined =>
      parseAll(wire, [], new RespRequestParser(limits)).error;
    assert.equal(parse(encodeCommand(['SET', 'k', 'x'.repeat(10)])), undefined);
    assert.equal(parse(encodeCommand(['SET', 'k', 'x'.repeat(11)])), 'Protocol error: invalid bulk length');
    assert.equal(parse(encodeCommand(['A', 'B', 'C', 'D'])), 'Protocol error: invalid multibulk length');
    assert.equal(parse(Buffer.from(`${'x'.repeat(17)}`)), 'Protocol error: too big inline request');
    assert.equal(
      parse(encodeCommand(['SET', 'k123456789', 'v123456789'])),
      'Protocol error: command larger than 40 bytes',
    );
    // A declared bulk beyond the limit fails at once, before its bytes arrive.
    assert.equal(
      parse(Buffer.from('*2\r\n$3\r\nGET\r\n$1000000\r\n')),
      'Protocol error: invalid bulk length',
    );
  });

  test('a large argument arriving in small chunks is gathered with few copies and parsed once', () => {
    const big = 'v'.repeat(200_000);
    const wire = encodeCommand(['SET', 'k', big]);
    const { commands } = parseAll(wire, [1000]);
    assert.equal(commands.length, 1);
    assert.equal(commands[0]![2], big);
  });

  test('fuzz: any bytes, any chunking: commands or a protocol error, never a throw or a hang', () => {
    const limits = { ...DEFAULT_RESP_LIMITS, maxBulkBytes: 4096 };
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 6 }),
        (bytes, sizes) => {
          const result = parseAll(Buffer.from(bytes), sizes, new RespRequestParser(limits));
          if (result.error !== undefined) assert.match(result.error, /^Protocol error: /);
          for (const raw of result.raws) assert.equal(raw[0], 42, 'upstream always gets RESP');
        },
      ),
      { numRuns: 2000 },
    );
  });

  test('fuzz: valid commands round-trip whatever the chunking', () => {
    const arg = fc.uint8Array({ maxLength: 40 }).map(a => Buffer.from(a));
    fc.assert(
      fc.property(
        fc.array(fc.array(arg, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 5 }),
        fc.array(fc.integer({ min: 1, max: 17 }), { maxLength: 5 }),
        (commands, sizes) => {
          const wire = Buffer.concat(commands.map(c => encodeCommand(c)));
          const result = parseAll(wire, sizes);
          assert.equal(result.error, undefined);
          assert.deepEqual(
            result.raws,
            commands.map(c => encodeCommand(c)),
          );
        },
      ),
      { numRuns: 500 },
    );
  });
});
