import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CommandBuilder, withShortenedArg } from '../../../../src/redis/listener/command-builder.js';
import { ParseStatus, RespCommand, RespRequestParser } from '../../../../src/redis/resp/request-parser.js';
import { encodeCommand } from '../../../../src/redis/resp/resp-encode.js';

function parse(args: string[]): RespCommand {
  const parser = new RespRequestParser();
  parser.push(encodeCommand(args));
  const command = new RespCommand();
  assert.equal(parser.next(command), ParseStatus.Command);
  return command;
}

test('a route prefix is cut from the key, the rest of the command untouched', () => {
  const offsets = new Int32Array(2);
  const long = 'p'.repeat(95);
  const raw = withShortenedArg(parse(['SET', `${long}:key`, 'value']), 1, 96, offsets);
  assert.deepEqual(raw, encodeCommand(['SET', 'key', 'value']));
  assert.equal(raw.toString('latin1', offsets[0], offsets[1]), 'key');
  const eval1 = withShortenedArg(parse(['EVAL', 'return 1', '1', 'tmp:k', 'arg']), 3, 4, offsets);
  assert.deepEqual(eval1, encodeCommand(['EVAL', 'return 1', '1', 'k', 'arg']));
});

test("split commands are built from the client's arguments, keys located", () => {
  const command = parse(['MSET', 'a:1', 'v1', 'b:2', 'v2']);
  const builder = new CommandBuilder(Buffer.from('MSET'));
  builder.arg(command.buf, command.starts[1]! + 2, command.ends[1]!, true);
  builder.arg(command.buf, command.starts[2]!, command.ends[2]!, false);
  builder.arg(command.buf, command.starts[3]!, command.ends[3]!, true);
  builder.arg(command.buf, command.starts[4]!, command.ends[4]!, false);
  const raw = builder.finish();
  assert.deepEqual(raw, encodeCommand(['MSET', '1', 'v1', 'b:2', 'v2']));
  assert.deepEqual(
    builder.keyStarts.map((s, i) => raw.toString('latin1', s, builder.keyEnds[i])),
    ['1', 'b:2'],
  );
});
