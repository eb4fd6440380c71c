/**
 * What the Thrift codec refuses from clients before anything is forwarded (malformed structs, frames
 * that do not end with their message, limits on nesting and THeader headers), how it answers, and that
 * the work of one decode call stays small whatever a frame holds within the limits.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ByteQueue } from '../../../../src/codec/byte-queue.js';
import type { Codec } from '../../../../src/codec/index.js';
import { thriftCodecFactory } from '../../../../src/codecs/thrift/index.js';
import { CodecError, ErrorCodes } from '../../../../src/errors.js';
import { DECODE_CALL_BUDGET_MS, feedMeasured, feedWithinBudget } from '../decode-cost.js';
import {
  CALL,
  EXCEPTION,
  readApplicationException,
  readMessage,
  writeAddArgs,
  writeMessage,
  type Protocol,
  type Transport,
} from './apache-thrift.js';
import { PROTOCOLS, sampleMessage, theaderFrame } from './fixtures.js';

const FRAMED: readonly Transport[] = ['framed', 'header'];
const PROTOCOL_ERROR = 7;

function codecError(code: string, pattern: RegExp): (error: unknown) => boolean {
  return error => CodecError.isCodecError(error) && error.code === code && pattern.test(error.message);
}

function decodeAll(bytes: Buffer, codec: Codec = thriftCodecFactory.create('downstream')): number {
  const queue = new ByteQueue();
  queue.push(bytes);
  let count = 0;
  while (codec.decode(queue) !== undefined) count++;
  return count;
}

/** A call whose struct is `struct` (raw bytes), in the given transport; frame sizes fixed up. */
function callWithStruct(transport: Transport, protocol: Protocol, struct: Buffer, seqid = 7): Buffer {
  const envelope = writeMessage({ transport, protocol, name: 'probe', type: CALL, seqid, body: () => {} });
  const bytes = Buffer.concat([envelope, struct]);
  if (transport !== 'unframed') bytes.writeInt32BE(bytes.length - 4, 0);
  return bytes;
}

/** `bytes` (a framed or THeader frame) with `extra` appended inside the frame. */
function extended(bytes: Buffer, extra: Buffer): Buffer {
  const out = Buffer.concat([bytes, extra]);
  out.writeInt32BE(out.length - 4, 0);
  return out;
}

/** `bytes` (a framed or THeader frame) with its last `n` bytes dropped from the frame. */
function truncated(bytes: Buffer, n: number): Buffer {
  const out = Buffer.from(bytes.subarray(0, bytes.length - n));
  out.writeInt32BE(out.length - 4, 0);
  return out;
}

/** Raw structs that no Apache reader accepts. */
const BAD_STRUCTS: Record<Protocol, [label: string, struct: Buffer][]> = {
  binary: [
    ['an unknown field type', Buffer.from([1, 0, 1, 0])],
    [
      'a list claiming more elements than the frame holds',
      Buffer.from([15, 0, 1, 8, 0x00, 0xff, 0xff, 0xff, 0]),
    ],
    ['a negative string length', Buffer.from([11, 0, 1, 0xff, 0xff, 0xff, 0xfe, 0])],
    [
      'a map of an unknown key type with entries',
      Buffer.from([13, 0, 1, 1, 8, 0, 0, 0, 1, ...Buffer.alloc(10)]),
    ],
  ],
  compact: [
    ['an unknown field type', Buffer.from([0x1e, 0])],
    [
      'a list claiming more elements than the frame holds',
      Buffer.from([0x19, 0xf5, 0x80, 0x94, 0xeb, 0xdc, 0x03, 0]),
    ],
    ['an empty list of an unknown element type', Buffer.from([0x19, 0x0e, 0])],
    ['a varint longer than 10 bytes', Buffer.from([0x15, ...Buffer.alloc(10, 0x80), 0x01, 0])],
  ],
};

describe("thrift codec: a client's malformed request is refused before it is forwarded", () => {
  for (const transport of FRAMED) {
    for (const protocol of PROTOCOLS) {
      const label = `${transport} ${protocol}`;
      const valid = sampleMessage(transport, protocol, {
        name: 'add',
        seqid: 41,
        body: p => writeAddArgs(p, 1, 2),
      });

      test(`${label}: bytes after the struct, inside the frame`, () => {
        assert.equal(decodeAll(valid), 1);
        for (const extra of [[0], [0, 0, 0], [8, 0, 3, 0, 0, 0, 1]]) {
          assert.throws(
            () => decodeAll(extended(valid, Buffer.from(extra))),
            codecError(ErrorCodes.CODEC_MALFORMED, /bytes after its message/),
          );
        }
      });

      test(`${label}: a struct cut short by its frame`, () => {
        for (const n of [1, 2, 5]) {
          assert.throws(
            () => decodeAll(truncated(valid, n)),
            codecError(ErrorCodes.CODEC_MALFORMED, /past the end of its frame/),
          );
        }
      });

      for (const [what, struct] of BAD_STRUCTS[protocol]) {
        test(`${label}: ${what}`, () => {
          assert.throws(() => decodeAll(callWithStruct(transport, protocol, struct)), CodecError);
        });
      }

      test(`${label}: the refusal is a PROTOCOL_ERROR exception for the refused call, readable by Apache`, () => {
        const codec = thriftCodecFactory.create('downstream');
        assert.throws(() => decodeAll(extended(valid, Buffer.from([0])), codec), CodecError);
        const reply = codec.encodeLocalReply(undefined, {
          kind: 'bad-request',
          message: 'aeraki: bad request',
        });
        assert.ok(reply !== undefined);
        const read = readMessage(reply, transport, protocol);
        assert.deepEqual([read.name, read.type, read.seqid], ['add', EXCEPTION, 41]);
        assert.deepEqual(readApplicationException(read.protocol), {
          message: 'aeraki: bad request',
          type: PROTOCOL_ERROR,
        });
      });

      test(`${label}: a bad struct is refused as soon as its bad part arrives, not at the frame's end`, () => {
        const padding = Buffer.alloc(1 << 20); // a megabyte of string the frame says follows
        const struct = Buffer.concat([Buffer.from(protocol === 'binary' ? [1, 0, 1] : [0x1e]), padding]);
        const bytes = callWithStruct(transport, protocol, struct);
        const queue = new ByteQueue();
        queue.push(bytes.subarray(0, bytes.length - padding.length + 10));
        assert.throws(() => thriftCodecFactory.create('downstream').decode(queue), CodecError);
      });

      test(`${label}: a request arriving in chunks decodes as it does whole`, () => {
        const whole = sampleMessage(transport, protocol, { seqid: 5 });
        for (const chunk of [1, 7, 64]) {
          const { messages, error } = feedMeasured(
            () => thriftCodecFactory.create('downstream'),
            whole,
            chunk,
          );
          assert.equal(error, undefined);
          assert.equal(messages.length, 1);
          assert.ok(messages[0]!.bytes.equals(whole));
        }
      });
    }
  }

  for (const protocol of PROTOCOLS) {
    for (const [what, struct] of BAD_STRUCTS[protocol]) {
      test(`unframed ${protocol}: ${what}`, () => {
        assert.throws(() => decodeAll(callWithStruct('unframed', protocol, struct)), CodecError);
      });
    }
  }

  test('a server is not checked: its replies are decoded from their envelope', () => {
    const reply = writeMessage({
      transport: 'framed',
      protocol: 'binary',
      name: 'add',
      type: 2,
      seqid: 1,
      body: () => {},
    });
    const odd = extended(reply, Buffer.from([0xee, 0xee]));
    assert.equal(decodeAll(odd, thriftCodecFactory.create('upstream')), 1);
  });

  test('validateRequests: false forwards what it cannot read, as a server-side codec does', () => {
    const bytes = callWithStruct('framed', 'binary', BAD_STRUCTS.binary[0]![1]);
    assert.equal(decodeAll(bytes, thriftCodecFactory.create('downstream', { validateRequests: false })), 1);
    assert.throws(
      () => thriftCodecFactory.create('downstream', { validateRequests: 'no' }),
      /validateRequests must be true or false/,
    );
  });
});

/** A THeader call carrying `count` info headers `h<i>` = `value`. */
function theaderCall(count: number, value = 'v'): Buffer {
  const headers: Record<string, string> = {};
  for (let i = 0; i < count; i++) headers[`h${i}`] = value;
  return sampleMessage('header', 'binary', { name: 'add', body: p => writeAddArgs(p, 1, 2), headers });
}

describe('thrift codec: THeader header limits', () => {
  test('maxHeaders (default 128): more info headers are refused, naming the limit', () => {
    const codec = (): Codec => thriftCodecFactory.create('downstream');
    assert.equal(decodeAll(theaderCall(128), codec()), 1);
    assert.throws(
      () => decodeAll(theaderCall(129), codec()),
      codecError(ErrorCodes.CODEC_TOO_LARGE, /129 info headers, more than the limit of 128 \(maxHeaders\)/),
    );
    const four = thriftCodecFactory.create('downstream', { maxHeaders: 4 });
    assert.throws(() => decodeAll(theaderCall(5), four), /maxHeaders/);
  });

  test('maxHeaderBytes (default 64 KiB): a larger header block is refused from its fixed header alone', () => {
    const big = theaderCall(8, 'x'.repeat(9000));
    const queue = new ByteQueue();
    queue.push(big.subarray(0, 14));
    assert.throws(
      () => thriftCodecFactory.create('downstream').decode(queue),
      codecError(ErrorCodes.CODEC_TOO_LARGE, /exceeds the limit of 65536 \(maxHeaderBytes\)/),
    );
    assert.equal(decodeAll(big, thriftCodecFactory.create('downstream', { maxHeaderBytes: 0x3fffc })), 1);
  });

  test('the limits are settings with bounds', () => {
    assert.throws(() => thriftCodecFactory.create('downstream', { maxHeaders: 0 }), /maxHeaders must be/);
    assert.throws(
      () => thriftCodecFactory.create('downstream', { maxHeaderBytes: 1 << 20 }),
      /maxHeaderBytes/,
    );
  });
});

/** A binary framed call whose argument is a list of `count` empty structs: one push and pop per byte. */
function binaryEmptyStructs(frameSize: number): Buffer {
  const envelope = callWithStruct('framed', 'binary', Buffer.alloc(0), 1);
  const count = 4 + frameSize - envelope.length - 8 - 1;
  const struct = Buffer.alloc(8 + count + 1);
  struct.writeUInt8(15, 0); // field 1: list<struct>
  struct.writeInt16BE(1, 1);
  struct.writeUInt8(12, 3);
  struct.writeInt32BE(count, 4);
  return callWithStruct('framed', 'binary', struct, 1);
}

/** A compact framed call whose argument struct has one-byte boolean fields up to the frame size. */
function compactBooleanFields(frameSize: number): Buffer {
  const envelope = callWithStruct('framed', 'compact', Buffer.alloc(0), 1);
  const struct = Buffer.alloc(4 + frameSize - envelope.length, 0x11);
  struct[struct.length - 1] = 0;
  return callWithStruct('framed', 'compact', struct, 1);
}

/** `depth` structs nested in field 1 of each other, in binary, without their ends. */
function binaryNested(depth: number): Buffer {
  const struct = Buffer.alloc(depth * 3 + depth + 1);
  for (let i = 0; i < depth; i++) struct.set([12, 0, 1], i * 3);
  return callWithStruct('framed', 'binary', struct, 1);
}

describe('thrift codec: the work of one decode call is bounded by the limits', () => {
  const MAX_FRAME = 16 * 1024 * 1024;

  test('the costliest frames within the default limits never hold one decode call for long', () => {
    for (const frame of [binaryEmptyStructs(MAX_FRAME), compactBooleanFields(MAX_FRAME)]) {
      assert.equal(frame.readInt32BE(0), MAX_FRAME);
      const { messages, error, maxCallMs } = feedWithinBudget(
        () => thriftCodecFactory.create('downstream'),
        frame,
      );
      assert.equal(error, undefined);
      assert.equal(messages.length, 1);
      assert.ok(maxCallMs < DECODE_CALL_BUDGET_MS, `a decode call took ${maxCallMs} ms`);
    }
  });

  test('a THeader frame with the most and the largest headers allowed decodes in one short call', () => {
    const frame = theaderCall(128, 'x'.repeat(470));
    assert.ok(frame.readUInt16BE(12) * 4 <= 65536 && frame.readUInt16BE(12) * 4 > 60000);
    const { messages, maxCallMs } = feedWithinBudget(
      () => thriftCodecFactory.create('downstream'),
      frame,
      frame.length,
    );
    assert.equal(messages[0]?.metadata.get('h127'), 'x'.repeat(470));
    assert.ok(maxCallMs < DECODE_CALL_BUDGET_MS, `the decode call took ${maxCallMs} ms`);
  });

  test('a struct nested 100,000 deep is refused at depth 65, quickly', () => {
    const frame = binaryNested(100_000);
    const { error, maxCallMs } = feedWithinBudget(() => thriftCodecFactory.create('downstream'), frame);
    assert.ok(codecError(ErrorCodes.CODEC_TOO_LARGE, /limit of 64 \(maxDepth\)/)(error), String(error));
    assert.ok(maxCallMs < DECODE_CALL_BUDGET_MS, `refusing took ${maxCallMs} ms`);
  });

  test('a THeader frame with 50,000 headers is refused quickly, by either limit', () => {
    // Info block 1 with 50,000 empty keys and values (the most a header block can hold is 256 KiB).
    const block = Buffer.concat([Buffer.from([0, 0, 1, 0xd0, 0x86, 0x03]), Buffer.alloc(100_000)]);
    const payload = callWithStruct('unframed', 'binary', Buffer.from([0]));
    const frame = theaderFrame(block, payload);
    for (const config of [undefined, { maxHeaderBytes: 0x3fffc }]) {
      const { error, maxCallMs } = feedWithinBudget(
        () => thriftCodecFactory.create('downstream', config),
        frame,
      );
      assert.ok(codecError(ErrorCodes.CODEC_TOO_LARGE, /maxHeader/)(error), String(error));
      assert.ok(maxCallMs < DECODE_CALL_BUDGET_MS, `refusing took ${maxCallMs} ms`);
    }
  });
});
