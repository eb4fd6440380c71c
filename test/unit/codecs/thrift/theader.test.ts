import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ByteQueue } from '../../../../src/codec/byte-queue.js';
import { thriftCodecFactory } from '../../../../src/codecs/thrift/index.js';
import { readTHeader } from '../../../../src/codecs/thrift/theader-reader.js';
import { theaderBlockLength, writeTHeaderPrefix } from '../../../../src/codecs/thrift/theader-writer.js';
import { CodecError, ErrorCodes } from '../../../../src/errors.js';
import { readMessage, skipStruct } from './apache-thrift.js';
import { sampleMessage, theaderFrame } from './fixtures.js';

const ascii = (text: string): number[] => [text.length, ...Buffer.from(text)];

/** The binary payload of a sample message (after its THeader block). */
function binaryPayload(): Buffer {
  const bytes = sampleMessage('header', 'binary');
  return bytes.subarray(14 + bytes.readUInt16BE(12) * 4);
}

function decode(bytes: Buffer) {
  const queue = new ByteQueue();
  queue.push(bytes);
  const message = thriftCodecFactory.create('downstream').decode(queue);
  assert.ok(message !== undefined);
  return message;
}

describe('THeader reader', () => {
  test('reads flags, seqid, protocol, key/value and persistent headers', () => {
    const block = [0, 0, 1, 1, ...ascii('a'), ...ascii('1'), 2, 1, ...ascii('p'), ...ascii('2')];
    const bytes = theaderFrame(block, binaryPayload(), 0x0001, 77);
    const queue = new ByteQueue();
    queue.push(bytes);
    const fields = readTHeader(queue, bytes.length, { maxHeaders: 128, maxHeaderBytes: 65536 })!;
    assert.equal(fields.flags, 1);
    assert.equal(fields.seqid, 77);
    assert.equal(fields.protocolId, 0);
    assert.deepEqual(fields.headers, ['a', '1']);
    assert.deepEqual(fields.persistentHeaders, ['p', '2']);
    assert.equal(fields.payloadOffset, 14 + 16);
    const message = decode(bytes);
    assert.equal(message.metadata.get('a'), '1');
    assert.equal(message.metadata.get('p'), '2');
  });

  test('an unknown info id ends the header block, as the Apache implementations do', () => {
    const message = decode(
      theaderFrame([0, 0, 1, 1, ...ascii('a'), ...ascii('1'), 9, 5, 5, 5], binaryPayload()),
    );
    assert.equal(message.metadata.get('a'), '1');
  });

  test('lies about sizes are malformed', () => {
    const lies = [
      [0, 0, 1, 100, ...ascii('a')], // 100 headers in 3 bytes
      [0, 0, 1, 1, 50, 0x61], // a key longer than the block
      [0, 0, 1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], // a varint too long
    ];
    for (const block of lies) {
      assert.throws(
        () => decode(theaderFrame(block, binaryPayload())),
        (error: unknown) => CodecError.isCodecError(error) && error.code === ErrorCodes.CODEC_MALFORMED,
      );
    }
    const short = theaderFrame([0, 0], binaryPayload());
    short.writeUInt16BE(0x4000, 12); // header larger than the frame
    assert.throws(() => decode(short), CodecError);
  });

  test('a payload in the other protocol than the header says is malformed', () => {
    assert.throws(() => decode(theaderFrame([2, 0], binaryPayload())), CodecError);
  });
});

describe('THeader writer', () => {
  test('writes a prefix the Apache library reads, with padding to 4 bytes', () => {
    const payload = binaryPayload();
    const headers = ['x-one', '1', 'ключ', 'значение'];
    const blockLength = theaderBlockLength(0, headers, []);
    assert.equal(blockLength % 4, 0);
    const out = Buffer.alloc(14 + blockLength + payload.length);
    const at = writeTHeaderPrefix(out, payload.length, 0, 5, 0, headers, [], blockLength);
    payload.copy(out, at);
    const read = readMessage(out, 'header', 'binary');
    assert.deepEqual(read.headers, { 'x-one': '1', ключ: 'значение' });
    assert.equal(read.frameSeqid, 5);
    skipStruct(read.protocol);
  });

  test('persistent headers survive a mutation of the per-message headers', () => {
    const block = [0, 0, 1, 1, ...ascii('a'), ...ascii('1'), 2, 1, ...ascii('p'), ...ascii('2')];
    const codec = thriftCodecFactory.create('upstream');
    const queue = new ByteQueue();
    queue.push(theaderFrame(block, binaryPayload(), 1, 1));
    const message = codec.decode(queue)!;
    const out = codec.encode(message, { mutation: new Map([['A', 'changed']]) });
    const again = decode(out);
    assert.equal(again.metadata.get('a'), 'changed');
    assert.equal(again.metadata.get('p'), '2');
    assert.equal(out.readUInt16BE(6), 1, 'flags are kept');
  });
});
