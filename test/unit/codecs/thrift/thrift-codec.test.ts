import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ByteQueue } from '../../../../src/codec/byte-queue.js';
import type { Codec, LocalReplyKind } from '../../../../src/codec/codec.js';
import type { Message } from '../../../../src/codec/message.js';
import { ThriftMessageState, thriftCodecFactory } from '../../../../src/codecs/thrift/index.js';
import { AerakiError, CodecError, ErrorCodes } from '../../../../src/errors.js';
import {
  CALL,
  EXCEPTION,
  ONEWAY,
  REPLY,
  T,
  readApplicationException,
  readMessage,
  skipStruct,
  writeAddArgs,
  writeMessage,
} from './apache-thrift.js';
import type { Protocol, TProtocol, Transport } from './apache-thrift.js';
import { PROTOCOLS, TRANSPORTS, sampleMessage } from './fixtures.js';

function decodeAll(bytes: Buffer, codec: Codec = thriftCodecFactory.create('downstream')): Message[] {
  const queue = new ByteQueue();
  queue.push(bytes);
  const out: Message[] = [];
  for (let message = codec.decode(queue); message !== undefined; message = codec.decode(queue))
    out.push(message);
  assert.equal(queue.length, 0, 'every byte decoded');
  return out;
}

function decodeOne(bytes: Buffer, codec?: Codec): Message {
  const messages = decodeAll(bytes, codec);
  assert.equal(messages.length, 1);
  return messages[0]!;
}

function codecError(code: string): (error: unknown) => boolean {
  return error => CodecError.isCodecError(error) && error.code === code;
}

/** Writes `depth` structs nested in field 1 of each other. */
function nestedStructs(depth: number): (p: TProtocol) => void {
  const write = (p: TProtocol, level: number): void => {
    p.writeStructBegin('Node');
    if (level > 1) {
      p.writeFieldBegin('child', T.STRUCT, 1);
      write(p, level - 1);
      p.writeFieldEnd();
    }
    p.writeFieldStop();
    p.writeStructEnd();
  };
  return p => write(p, depth);
}

describe('thrift codec: factory', () => {
  test('is named and declares its capabilities', () => {
    assert.equal(thriftCodecFactory.name, 'aeraki.meta_protocol.codec.thrift');
    assert.deepEqual(thriftCodecFactory.capabilities, {
      requestIds: true,
      heartbeats: false,
      streaming: false,
      serverSpeaksFirst: false,
    });
  });

  test('rejects a bad config with a catalogued error naming the field', () => {
    assert.throws(
      () => thriftCodecFactory.create('downstream', { maxFrameSize: -1 }),
      (error: unknown) =>
        error instanceof AerakiError &&
        error.code === ErrorCodes.CONFIG_INVALID &&
        /maxFrameSize/.test(error.message),
    );
    assert.throws(() => thriftCodecFactory.create('downstream', 'big'), AerakiError);
    thriftCodecFactory.create('downstream', {});
    thriftCodecFactory.create('downstream', {
      '@type': 'type.googleapis.com/aeraki.meta_protocol.codec.ThriftCodec',
    });
  });
});

describe('thrift codec: decode', () => {
  for (const transport of TRANSPORTS) {
    for (const protocol of PROTOCOLS) {
      test(`${transport} ${protocol}: envelope, metadata and codec state`, () => {
        const bytes = sampleMessage(transport, protocol, { seqid: 99 });
        const message = decodeOne(bytes);
        assert.equal(message.type, 'request');
        assert.equal(message.requestId, 99);
        assert.equal(message.operation, 'Calculator/everything');
        assert.equal(message.metadata.get('method'), 'everything');
        assert.equal(message.metadata.get('service'), 'Calculator');
        if (transport === 'header') {
          assert.equal(message.metadata.get('x-request-id'), 'req-1');
          assert.equal(message.metadata.get('tenant'), 'blue');
        } else {
          assert.equal(message.metadata.size, 2);
        }
        assert.ok(message.codecState instanceof ThriftMessageState);
        assert.equal(message.codecState.transport, transport);
        assert.equal(message.codecState.protocol, protocol);
        assert.equal(message.codecState.name, 'Calculator:everything');
      });
    }
  }

  test('CALL, ONEWAY and EXCEPTION map to request, oneway and error', () => {
    const expectations: [number, string, string][] = [
      [CALL, 'request', 'ok'],
      [ONEWAY, 'oneway', 'ok'],
      [EXCEPTION, 'error', 'error'],
    ];
    for (const [type, messageType, status] of expectations) {
      const message = decodeOne(
        sampleMessage('framed', 'binary', { type, body: p => writeAddArgs(p, 1, 2) }),
        thriftCodecFactory.create(type === EXCEPTION ? 'upstream' : 'downstream'),
      );
      assert.equal(message.type, messageType);
      assert.equal(message.status, status);
    }
  });

  test('a client that sends a REPLY or an EXCEPTION is refused: it would belong to no request', () => {
    for (const transport of TRANSPORTS) {
      for (const type of [REPLY, EXCEPTION]) {
        const bytes = sampleMessage(transport, 'binary', { type, seqid: 12 });
        const codec = thriftCodecFactory.create('downstream');
        assert.throws(
          () => decodeAll(bytes, codec),
          (error: unknown) =>
            codecError(ErrorCodes.CODEC_MALFORMED)(error) && /CALL or ONEWAY/.test(String(error)),
        );
        // The refusal answers the message's own seqid.
        const reply = codec.encodeLocalReply(undefined, { kind: 'bad-request', message: 'no' })!;
        assert.equal(readMessage(reply, transport, 'binary').seqid, 12);
      }
    }
  });

  test('a name without a service sets no service attribute', () => {
    const message = decodeOne(sampleMessage('framed', 'compact', { name: 'add' }));
    assert.equal(message.metadata.get('method'), 'add');
    assert.equal(message.metadata.has('service'), false);
    assert.equal(message.operation, 'add');
  });

  test('THeader headers cannot override the method and service taken from the message', () => {
    const message = decodeOne(
      sampleMessage('header', 'binary', { name: 'add', headers: { method: 'spoofed', service: 'spoofed' } }),
    );
    assert.equal(message.metadata.get('method'), 'add');
    assert.equal(message.metadata.has('service'), false);
  });

  test('a framed message in one chunk is a view of that chunk (no copy)', () => {
    const bytes = sampleMessage('framed', 'binary');
    const chunk = Buffer.concat([bytes, bytes]);
    const queue = new ByteQueue();
    queue.push(chunk);
    const codec = thriftCodecFactory.create('downstream');
    const first = codec.decode(queue)!;
    const second = codec.decode(queue)!;
    assert.equal(first.bytes.buffer, chunk.buffer);
    assert.equal(first.bytes.byteOffset, chunk.byteOffset);
    assert.equal(second.bytes.byteOffset, chunk.byteOffset + bytes.length);
  });

  test("a server's framed message is decoded from its envelope alone; a client's is walked first", () => {
    // A valid envelope followed by bytes that are no Thrift struct at all.
    const garbage = Buffer.from([0xee, 0xee, 0xee, 0xee, 0xee]);
    const envelope = Buffer.from([0x80, 0x01, 0x00, 0x02, 0, 0, 0, 3, 0x61, 0x64, 0x64, 0, 0, 0, 9]);
    const frame = Buffer.concat([Buffer.alloc(4), envelope, garbage]);
    frame.writeInt32BE(frame.length - 4, 0);
    const message = decodeOne(frame, thriftCodecFactory.create('upstream'));
    assert.equal(message.metadata.get('method'), 'add');
    assert.equal(message.requestId, 9);
    assert.equal(message.bytes.length, frame.length);
    assert.throws(() => decodeAll(frame), codecError(ErrorCodes.CODEC_MALFORMED));
    const unchecked = thriftCodecFactory.create('downstream', { validateRequests: false });
    assert.equal(decodeOne(frame, unchecked).requestId, 9);
  });

  test('a connection may mix transports and protocols: each message describes itself', () => {
    const messages = [
      sampleMessage('framed', 'binary', { seqid: 1 }),
      sampleMessage('unframed', 'compact', { seqid: 2 }),
      sampleMessage('header', 'compact', { seqid: 3 }),
      sampleMessage('unframed', 'binary', { seqid: 4 }),
    ];
    const decoded = decodeAll(Buffer.concat(messages));
    assert.deepEqual(
      decoded.map(m => m.requestId),
      [1, 2, 3, 4],
    );
  });

  test('an unframed message arriving in many chunks is decoded once it is whole', () => {
    const big = writeMessage({
      transport: 'unframed',
      protocol: 'compact',
      name: 'upload',
      type: CALL,
      seqid: 5,
      body: p => {
        p.writeStructBegin('upload_args');
        p.writeFieldBegin('parts', T.LIST, 1);
        p.writeListBegin(T.STRING, 2000);
        for (let i = 0; i < 2000; i++) p.writeString('x'.repeat(i % 300));
        p.writeListEnd();
        p.writeFieldEnd();
        p.writeFieldBegin('ids', T.LIST, 2);
        p.writeListBegin(T.I64, 5000);
        for (let i = 0; i < 5000; i++) p.writeI64(i * 7919);
        p.writeListEnd();
        p.writeFieldEnd();
        p.writeFieldStop();
        p.writeStructEnd();
      },
    });
    const codec = thriftCodecFactory.create('downstream');
    const queue = new ByteQueue();
    let message: Message | undefined;
    for (let at = 0; at < big.length; at += 1000) {
      assert.equal(message, undefined, 'no message before the last chunk');
      queue.push(Buffer.from(big.subarray(at, at + 1000)));
      message = codec.decode(queue);
    }
    assert.ok(message !== undefined);
    assert.ok(message.bytes.equals(big));
    assert.equal(queue.length, 0);
  });

  test('frames larger than maxFrameSize are refused as soon as their size is read', () => {
    const codec = thriftCodecFactory.create('downstream', { maxFrameSize: 100 });
    const queue = new ByteQueue();
    queue.push(sampleMessage('framed', 'binary').subarray(0, 4));
    assert.throws(() => codec.decode(queue), codecError(ErrorCodes.CODEC_TOO_LARGE));
    const header = new ByteQueue();
    header.push(sampleMessage('header', 'binary').subarray(0, 6));
    assert.throws(
      () => thriftCodecFactory.create('downstream', { maxFrameSize: 100 }).decode(header),
      codecError(ErrorCodes.CODEC_TOO_LARGE),
    );
  });

  test('the default limit is 16 MiB', () => {
    const queue = new ByteQueue();
    const size = Buffer.alloc(6);
    size.writeInt32BE(16 * 1024 * 1024 + 1, 0);
    queue.push(size);
    assert.throws(
      () => thriftCodecFactory.create('downstream').decode(queue),
      codecError(ErrorCodes.CODEC_TOO_LARGE),
    );
  });

  test('unframed messages larger than maxFrameSize are refused', () => {
    const bytes = sampleMessage('unframed', 'binary');
    const codec = thriftCodecFactory.create('downstream', { maxFrameSize: 64 });
    const queue = new ByteQueue();
    queue.push(bytes);
    assert.throws(() => codec.decode(queue), codecError(ErrorCodes.CODEC_TOO_LARGE));
    const fits = thriftCodecFactory.create('downstream', { maxFrameSize: bytes.length });
    assert.equal(decodeOne(bytes, fits).bytes.length, bytes.length);
  });

  test('structs nested deeper than the limit are refused, on every transport', () => {
    for (const [transport, protocol] of TRANSPORTS.flatMap(t => PROTOCOLS.map(p => [t, p] as const))) {
      const deep = writeMessage({
        transport,
        protocol,
        name: 'deep',
        type: CALL,
        seqid: 1,
        body: nestedStructs(70),
      });
      const queue = new ByteQueue();
      queue.push(deep);
      assert.throws(
        () => thriftCodecFactory.create('downstream').decode(queue),
        (error: unknown) => codecError(ErrorCodes.CODEC_TOO_LARGE)(error) && /maxDepth/.test(String(error)),
      );
      assert.equal(
        decodeOne(deep, thriftCodecFactory.create('downstream', { maxDepth: 70 })).bytes.length,
        deep.length,
      );
    }
  });

  test('THeader transforms and the JSON protocol are refused as unsupported', () => {
    const bytes = sampleMessage('header', 'binary');
    const withTransform = Buffer.from(bytes);
    withTransform[15] = 1; // transform count
    assert.throws(() => decodeAll(withTransform), codecError(ErrorCodes.CODEC_UNSUPPORTED));
    const json = Buffer.from(bytes);
    json[14] = 1; // protocol id
    assert.throws(() => decodeAll(json), codecError(ErrorCodes.CODEC_UNSUPPORTED));
  });

  test('non-strict binary and other bytes are malformed', () => {
    const lax = Buffer.from([0, 0, 0, 3, 0x61, 0x64, 0x64, 1, 0, 0, 0, 1, 0]);
    assert.throws(() => decodeAll(lax), codecError(ErrorCodes.CODEC_MALFORMED));
    assert.throws(() => decodeAll(Buffer.from('GET / HTTP/1.1\r\n\r\n')), CodecError);
    assert.throws(() => decodeAll(Buffer.from([0xff, 0, 0, 0, 0])), codecError(ErrorCodes.CODEC_MALFORMED));
  });
});

describe('thrift codec: request id rewrite', () => {
  for (const transport of TRANSPORTS) {
    for (const protocol of PROTOCOLS) {
      test(`${transport} ${protocol}: the Apache library reads the new seqid and intact arguments`, () => {
        for (const [from, to] of [
          [1, 2],
          [1, 0x7ffffff0],
          [0x7ffffff0, 5],
          [5, 0xfffffff0],
        ] as const) {
          const original = sampleMessage(transport, protocol, { seqid: from | 0 });
          const codec = thriftCodecFactory.create('upstream');
          const message = decodeOne(Buffer.from(original), codec);
          const rewritten = Buffer.from(codec.encode(message, { requestId: to }));
          const read = readMessage(rewritten, transport, protocol);
          // The Node library reads a compact seqid as an unsigned number: compare the 32-bit patterns.
          assert.equal(read.seqid | 0, to | 0);
          assert.equal(read.name, 'Calculator:everything');
          if (transport === 'header') {
            assert.equal(read.frameSeqid, to | 0);
            assert.deepEqual(read.headers, { 'X-Request-Id': 'req-1', tenant: 'blue' });
          }
          skipStruct(read.protocol);
          const again = decodeOne(rewritten);
          assert.equal(again.requestId, to);
          assert.ok(
            codec.encode(again, { requestId: from }).equals(original),
            'writing the old id back restores the bytes',
          );
        }
      });
    }
  }

  test('a binary seqid is rewritten in place, without a new buffer', () => {
    const codec = thriftCodecFactory.create('upstream');
    const message = decodeOne(sampleMessage('framed', 'binary'), codec);
    const out = codec.encode(message, { requestId: 12345 });
    assert.equal(out, message.bytes);
    assert.equal(decodeOne(Buffer.from(out)).requestId, 12345);
  });

  test('a compact seqid that needs more varint bytes grows the frame and fixes its length', () => {
    const codec = thriftCodecFactory.create('upstream');
    const message = decodeOne(sampleMessage('framed', 'compact', { seqid: 1 }), codec);
    const out = codec.encode(message, { requestId: 1 << 28 });
    assert.equal(out.length, message.bytes.length + 4);
    assert.equal(out.readInt32BE(0), out.length - 4);
  });

  test('the same id leaves the bytes alone', () => {
    const codec = thriftCodecFactory.create('upstream');
    const message = decodeOne(sampleMessage('unframed', 'compact', { seqid: 8 }), codec);
    assert.equal(codec.encode(message, { requestId: 8 }), message.bytes);
  });
});

describe('thrift codec: mutation', () => {
  for (const protocol of PROTOCOLS) {
    test(`THeader ${protocol}: headers are written, replaced by name, and read by the Apache library`, () => {
      const original = sampleMessage('header', protocol, { seqid: 21 });
      const codec = thriftCodecFactory.create('upstream');
      const message = decodeOne(Buffer.from(original), codec);
      const mutation = new Map([
        ['x-request-id', 'req-2'],
        ['x-b3-traceid', '80f198ee56343ba864fe8b2a57d3eff7'],
        ['unicode', 'ünï ✓'],
      ]);
      const out = codec.encode(message, { mutation, requestId: 22 });
      const read = readMessage(out, 'header', protocol);
      assert.deepEqual(read.headers, {
        'x-request-id': 'req-2',
        tenant: 'blue',
        'x-b3-traceid': '80f198ee56343ba864fe8b2a57d3eff7',
        unicode: 'ünï ✓',
      });
      assert.equal(read.seqid, 22);
      assert.equal(read.frameSeqid, 22);
      assert.equal(read.name, 'Calculator:everything');
      skipStruct(read.protocol);
      assert.equal((out.readUInt16BE(12) * 4) % 4, 0);
      assert.equal(out.readInt32BE(0), out.length - 4);
      // The payload after the header block is the original payload, with only the seqid changed.
      const again = decodeOne(out);
      assert.equal(again.metadata.get('x-b3-traceid'), '80f198ee56343ba864fe8b2a57d3eff7');
      assert.equal(again.requestId, 22);
      const back = codec.encode(again, { requestId: 21 });
      const originalPayload = original.subarray((message.codecState as ThriftMessageState).messageOffset);
      const backPayload = back.subarray((again.codecState as ThriftMessageState).messageOffset);
      assert.ok(backPayload.equals(originalPayload));
    });
  }

  test('THeader compact: a mutation together with a seqid that needs a longer varint', () => {
    const codec = thriftCodecFactory.create('upstream');
    const message = decodeOne(sampleMessage('header', 'compact', { seqid: 1 }), codec);
    const out = codec.encode(message, { mutation: new Map([['x-new', 'yes']]), requestId: 1 << 30 });
    const read = readMessage(out, 'header', 'compact');
    assert.equal(read.seqid, 1 << 30);
    assert.equal(read.frameSeqid, 1 << 30);
    assert.equal(read.headers['x-new'], 'yes');
    assert.equal(read.headers.tenant, 'blue');
    skipStruct(read.protocol);
  });

  test('a mutation keeps the frame seqid when no request id is given', () => {
    const codec = thriftCodecFactory.create('upstream');
    const message = decodeOne(sampleMessage('header', 'binary', { seqid: 33 }), codec);
    const out = codec.encode(message, { mutation: new Map([['a', 'b']]) });
    const read = readMessage(out, 'header', 'binary');
    assert.equal(read.frameSeqid, 33);
    assert.equal(read.headers.a, 'b');
  });

  test('a header block too large for THeader is refused with a codec error', () => {
    const codec = thriftCodecFactory.create('upstream');
    const message = decodeOne(sampleMessage('header', 'binary'), codec);
    assert.throws(
      () => codec.encode(message, { mutation: new Map([['huge', 'x'.repeat(300_000)]]) }),
      codecError(ErrorCodes.CODEC_UNSUPPORTED),
    );
  });

  for (const transport of ['framed', 'unframed'] as const) {
    test(`${transport}: a mutation cannot be carried and is ignored`, () => {
      const codec = thriftCodecFactory.create('upstream');
      const message = decodeOne(sampleMessage(transport, 'compact'), codec);
      const original = Buffer.from(message.bytes);
      const out = codec.encode(message, { mutation: new Map([['x-request-id', 'r']]) });
      assert.ok(out.equals(original));
    });
  }
});

describe('thrift codec: local replies', () => {
  const kinds: [LocalReplyKind, number][] = [
    ['no-route', 1],
    ['bad-request', 7],
    ['timeout', 6],
    ['no-healthy-upstream', 6],
    ['over-limit', 6],
    ['bad-response', 6],
  ];

  for (const transport of TRANSPORTS) {
    for (const protocol of PROTOCOLS) {
      test(`${transport} ${protocol}: an EXCEPTION the Apache library reads as a TApplicationException`, () => {
        for (const [kind, type] of kinds) {
          const codec = thriftCodecFactory.create('downstream');
          const request = decodeOne(sampleMessage(transport, protocol, { seqid: -3 }), codec);
          const text = `aeraki: ${kind} for method 'everything' ✗`;
          const reply = codec.encodeLocalReply(request, { kind, message: text });
          assert.ok(reply !== undefined);
          const read = readMessage(reply, transport, protocol);
          assert.equal(read.name, 'Calculator:everything');
          assert.equal(read.type, EXCEPTION);
          assert.equal(read.seqid | 0, -3);
          assert.deepEqual(readApplicationException(read.protocol), { message: text, type });
          const decoded = decodeOne(reply, thriftCodecFactory.create('upstream'));
          assert.equal(decoded.type, 'error');
          assert.equal(decoded.requestId, request.requestId);
        }
      });
    }
  }

  test('a one-way request gets no reply', () => {
    const codec = thriftCodecFactory.create('downstream');
    const request = decodeOne(sampleMessage('framed', 'binary', { type: ONEWAY }), codec);
    assert.equal(codec.encodeLocalReply(request, { kind: 'no-route', message: 'x' }), undefined);
  });

  test('with no request: framed binary before any message, then the connection format', () => {
    const fresh = thriftCodecFactory.create('downstream');
    const reply = fresh.encodeLocalReply(undefined, { kind: 'bad-request', message: 'garbage' })!;
    const read = readMessage(reply, 'framed', 'binary');
    assert.equal(read.name, '');
    assert.equal(read.seqid, 0);
    assert.deepEqual(readApplicationException(read.protocol), { message: 'garbage', type: 7 });

    for (const transport of TRANSPORTS) {
      for (const protocol of PROTOCOLS) {
        const codec = thriftCodecFactory.create('downstream');
        decodeOne(sampleMessage(transport, protocol), codec);
        const later = codec.encodeLocalReply(undefined, { kind: 'bad-request', message: 'later' })!;
        const readLater = readMessage(later, transport, protocol);
        assert.equal(readLater.type, EXCEPTION);
        assert.deepEqual(readApplicationException(readLater.protocol), { message: 'later', type: 7 });
      }
    }
  });

  test('a reply to a decode failure on a partly detected connection uses what was seen', () => {
    const codec = thriftCodecFactory.create('downstream');
    const queue = new ByteQueue();
    queue.push(Buffer.from([0x82, 0x21, 0x01, 0x03, 0x61, 0x64, 0x64, 0x1f]));
    assert.throws(() => codec.decode(queue), CodecError);
    const reply = codec.encodeLocalReply(undefined, { kind: 'bad-request', message: 'bad' })!;
    const read = readMessage(reply, 'unframed', 'compact');
    assert.equal(read.type, EXCEPTION);
  });
});

describe('thrift codec: interoperability details', () => {
  test('a compact REPLY with success field 0 is ok, and with field 1 is an error', () => {
    for (const transport of TRANSPORTS) {
      for (const protocol of PROTOCOLS as readonly Protocol[]) {
        const ok = decodeOne(
          writeMessage({
            transport: transport as Transport,
            protocol,
            name: 'get',
            type: REPLY,
            seqid: 1,
            body: p => {
              p.writeStructBegin('get_result');
              p.writeFieldBegin('success', T.STRING, 0);
              p.writeString('value');
              p.writeFieldEnd();
              p.writeFieldStop();
              p.writeStructEnd();
            },
          }),
          thriftCodecFactory.create('upstream'),
        );
        assert.equal(ok.status, 'ok', `${transport} ${protocol}`);
      }
    }
  });
});
