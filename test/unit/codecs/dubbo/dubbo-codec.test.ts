import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import hessian from 'hessian.js';
import java from 'js-to-java';
import { ByteQueue } from '../../../../src/codec/byte-queue.js';
import type { Codec, LocalReplyKind } from '../../../../src/codec/codec.js';
import type { Message } from '../../../../src/codec/message.js';
import { dubboCodecFactory } from '../../../../src/codecs/dubbo/index.js';
import { AerakiError, CodecError, ErrorCodes } from '../../../../src/errors.js';
import {
  FLAG_EVENT,
  FLAG_REQUEST,
  FLAG_TWO_WAY,
  ResponseType,
  attachmentsMap,
  decodeRequestBody,
  decodeResponseBody,
  frame,
  heartbeatFrame,
  hessianBytes,
  javaException,
  readHeader,
  readOnlyEventFrame,
  requestFrame,
  responseFrame,
  type RequestSpec,
} from '../../../e2e/dubbo/dubbo-wire.js';
import { dubbo2jsDecodeResponse, dubbo2jsHeartbeatFrame } from '../../../e2e/dubbo/dubbo2js-wire.js';
import { SERVICE, dubbo2jsSayHello } from './fixtures.js';

function decodeWith(codec: Codec, bytes: Buffer): Message {
  const queue = new ByteQueue();
  queue.push(Buffer.from(bytes));
  const message = codec.decode(queue);
  assert.ok(message !== undefined, 'a whole frame decodes');
  assert.equal(queue.length, 0, 'the frame is consumed whole');
  return message;
}

function decode(bytes: Buffer, side: 'downstream' | 'upstream' = 'downstream', config?: unknown): Message {
  return decodeWith(dubboCodecFactory.create(side, config), bytes);
}

function decodeError(bytes: Buffer, config?: unknown): { error: CodecError; codec: Codec } {
  const codec = dubboCodecFactory.create('downstream', config);
  const queue = new ByteQueue();
  queue.push(bytes);
  try {
    codec.decode(queue);
  } catch (error) {
    assert.ok(CodecError.isCodecError(error), `threw a non-codec error: ${String(error)}`);
    return { error, codec };
  }
  assert.fail('decode did not throw');
}

/** Ids a number cannot hold, and the negative ones a Java client reaches after wrapping around. */
const WIDE_IDS = [2n ** 53n + 1n, 2n ** 63n - 1n, -1, -(2n ** 63n), 0x0ba57dc2b73348adn, -(2 ** 40)];

const request = (spec: Partial<RequestSpec> = {}): Buffer =>
  requestFrame({
    requestId: 42,
    service: SERVICE,
    version: '1.0.0',
    method: 'sayHello',
    parameterTypes: 'Ljava/lang/String;',
    args: ['world'],
    attachments: attachmentsMap({ path: SERVICE }),
    ...spec,
  });

/** The body of a frame, read by hessian.js as a provider would. */
const providerView = (bytes: Buffer) => {
  assert.equal(readHeader(bytes).bodyLength, bytes.length - 16, 'the header has the body length');
  return decodeRequestBody(bytes.subarray(16));
};

describe('dubbo codec: request metadata', () => {
  test('the body version is used unless an attachment names one', () => {
    assert.equal(decode(request()).metadata.get('version'), '1.0.0');
    const overridden = request({ attachments: attachmentsMap({ version: '2.0.0' }) });
    assert.equal(decode(overridden).metadata.get('version'), '2.0.0');
    assert.equal(decode(request({ version: '' })).metadata.has('version'), false);
  });

  test('interface and method come from the body; attachments cannot override them', () => {
    const bytes = request({ attachments: attachmentsMap({ interface: 'evil.Service', method: 'evil' }) });
    const message = decode(bytes);
    assert.equal(message.metadata.get('interface'), SERVICE);
    assert.equal(message.metadata.get('method'), 'sayHello');
    assert.equal(message.operation, `${SERVICE}/sayHello`);
  });

  test('number and boolean attachments are exposed as text; other values are not exposed', () => {
    const message = decode(
      request({
        attachments: attachmentsMap({
          int: 7,
          long: java.long('9007199254740993'),
          double: 2.5,
          yes: true,
          missing: null,
          list: ['a'],
          when: new Date(0),
          keyed: 'Mixed-Case',
        }),
      }),
    );
    assert.equal(message.metadata.get('int'), '7');
    assert.equal(message.metadata.get('long'), '9007199254740993');
    assert.equal(message.metadata.get('double'), '2.5');
    assert.equal(message.metadata.get('yes'), 'true');
    assert.equal(message.metadata.get('keyed'), 'Mixed-Case');
    for (const key of ['missing', 'list', 'when']) assert.equal(message.metadata.has(key), false);
  });

  test('any 64-bit id is taken: requests, heartbeats and responses keep it exactly', () => {
    for (const id of WIDE_IDS) {
      const message = decode(request({ requestId: id }));
      assert.equal(message.type, 'request');
      assert.equal(message.requestId, id);
      const heartbeat = decode(heartbeatFrame(id));
      assert.equal(heartbeat.type, 'heartbeat');
      assert.equal(heartbeat.requestId, id);
      const reply = dubboCodecFactory.create('downstream').encodeHeartbeatReply!(heartbeat);
      assert.deepEqual(readHeader(reply), { flags: 0x22, status: 20, requestId: id, bodyLength: 1 });
      const response = decode(responseFrame({ requestId: id, value: 'v' }), 'upstream');
      assert.equal(response.requestId, id);
    }
  });

  test('a wide id is written back exactly: over a proxy id, and with a mutation', () => {
    for (const id of WIDE_IDS) {
      const downstream = dubboCodecFactory.create('downstream');
      const original = request({ requestId: id });
      const sent = downstream.encode(decodeWith(downstream, original), { requestId: 7 });
      assert.equal(readHeader(sent).requestId, 7);
      const upstream = decode(responseFrame({ requestId: 7, value: 'v' }), 'upstream');
      const back = downstream.encode(upstream, { requestId: id });
      assert.equal(readHeader(back).requestId, id);
      const mutated = downstream.encode(decode(responseFrame({ requestId: 7, value: 'v' }), 'upstream'), {
        requestId: id,
        mutation: new Map([['x-k', 'v']]),
      });
      assert.equal(readHeader(mutated).requestId, id);
      assert.equal(decode(mutated, 'upstream').metadata.get('x-k'), 'v');
    }
  });

  test('local replies carry a wide id: to a request, and to a frame rejected after its header', () => {
    for (const id of WIDE_IDS) {
      const codec = dubboCodecFactory.create('downstream');
      const message = decodeWith(codec, request({ requestId: id }));
      for (const kind of ['no-route', 'timeout'] as const) {
        const reply = codec.encodeLocalReply(message, { kind, message: kind })!;
        assert.equal(readHeader(reply).requestId, id);
        assert.equal(decode(reply, 'upstream').requestId, id);
      }
      const tooLarge = request({ requestId: id });
      const { codec: rejecting } = decodeError(tooLarge, { maxBodySize: 10 });
      const reply = rejecting.encodeLocalReply(undefined, { kind: 'bad-request', message: 'x' })!;
      assert.equal(readHeader(reply).requestId, id);
    }
  });
});

describe('dubbo codec: events', () => {
  test("the read-only event ('R') is goaway, in any string form; other event data is a heartbeat", () => {
    const flags = FLAG_REQUEST | FLAG_EVENT | 2;
    assert.equal(decode(readOnlyEventFrame(5), 'upstream').type, 'goaway');
    // 'S' + 16-bit length: the long form of the same string.
    assert.equal(
      decode(frame(flags, 0, 5, Buffer.from([0x53, 0x00, 0x01, 0x52])), 'upstream').type,
      'goaway',
    );
    assert.equal(decode(frame(flags, 0, 5, hessianBytes('X')), 'upstream').type, 'heartbeat');
    assert.equal(decode(frame(flags, 0, 5, hessianBytes('RR')), 'upstream').type, 'heartbeat');
    assert.equal(decode(frame(flags, 0, 5, Buffer.alloc(0)), 'upstream').type, 'heartbeat');
    assert.equal(decode(heartbeatFrame(5), 'upstream').type, 'heartbeat');
    // A read-only event as a response (no request flag) is only a heartbeat reply.
    assert.equal(decode(frame(FLAG_EVENT | 2, 20, 5, hessianBytes('R')), 'upstream').type, 'heartbeat-reply');
  });
});

describe('dubbo codec: rejected frames', () => {
  test('a serialization other than hessian2 is unsupported; the reply names it and carries the id', () => {
    const bytes = request({ requestId: 77 });
    bytes[2] = FLAG_REQUEST | FLAG_TWO_WAY | 3;
    const { error, codec } = decodeError(bytes);
    assert.equal(error.code, ErrorCodes.CODEC_UNSUPPORTED);
    assert.match(error.message, /serialization id 3/);
    const reply = codec.encodeLocalReply(undefined, {
      kind: 'bad-request',
      message: `aeraki: ${error.message}`,
    })!;
    assert.deepEqual(readHeader(reply), {
      flags: 2,
      status: 40,
      requestId: 77,
      bodyLength: reply.length - 16,
    });
    assert.equal(new hessian.DecoderV2(reply.subarray(16)).readString(), `aeraki: ${error.message}`);
    const upstream = decode(reply, 'upstream');
    assert.equal(upstream.type, 'error');
    assert.equal(upstream.requestId, 77);
  });

  test('a body over the limit is too large, before it arrives', () => {
    const header = request({ requestId: 9 }).subarray(0, 16);
    header.writeInt32BE(8 * 1024 * 1024 + 1, 12);
    const { error, codec } = decodeError(Buffer.from(header));
    assert.equal(error.code, ErrorCodes.CODEC_TOO_LARGE);
    assert.equal(
      readHeader(codec.encodeLocalReply(undefined, { kind: 'bad-request', message: 'x' })!).requestId,
      9,
    );
    const small = decodeError(request(), { maxBodySize: 100 });
    assert.equal(small.error.code, ErrorCodes.CODEC_TOO_LARGE);
    assert.equal(decode(request(), 'downstream', { maxBodySize: 200 }).type, 'request');
  });

  test('a wrong magic fails at the first byte; a negative length and a bad descriptor are malformed', () => {
    assert.equal(decodeError(Buffer.from([0x00])).error.code, ErrorCodes.CODEC_MALFORMED);
    assert.equal(decodeError(Buffer.from([0xda, 0x00])).error.code, ErrorCodes.CODEC_MALFORMED);
    const negative = request();
    negative.writeInt32BE(-1, 12);
    assert.equal(decodeError(negative).error.code, ErrorCodes.CODEC_MALFORMED);
    assert.equal(decodeError(request({ parameterTypes: 'Ljava' })).error.code, ErrorCodes.CODEC_MALFORMED);
    const { codec } = decodeError(Buffer.from([0x00]));
    assert.equal(
      readHeader(codec.encodeLocalReply(undefined, { kind: 'bad-request', message: 'x' })!).requestId,
      0,
    );
  });

  test('a bad codec config names the field', () => {
    for (const config of [{ maxBodySize: 0 }, { maxDepth: 'deep' }, 'x']) {
      assert.throws(
        () => dubboCodecFactory.create('downstream', config),
        (error: unknown) => error instanceof AerakiError && error.code === ErrorCodes.CONFIG_INVALID,
      );
    }
  });
});

describe('dubbo codec: request mutations', () => {
  const mutation = new Map([
    ['x-request-id', 'abc'],
    ['Version', '9.9.9'],
  ]);

  test('new and replaced attachments reach the provider; arguments and other entries are untouched', () => {
    const original = dubbo2jsSayHello(5);
    const codec = dubboCodecFactory.create('downstream');
    const message = decodeWith(codec, original);
    const encoded = codec.encode(message, { mutation, requestId: 1000 });
    const seen = providerView(encoded);
    assert.deepEqual(seen.rawArgs, providerView(original).rawArgs);
    assert.deepEqual(seen.attachments, {
      application: 'dubbo2.js',
      group: 'blue',
      interface: SERVICE,
      path: SERVICE,
      timeout: 3000,
      Version: '9.9.9',
      'x-request-id': 'abc',
    });
    const again = decode(encoded);
    assert.equal(again.requestId, 1000);
    assert.equal(again.metadata.get('version'), '9.9.9');
    assert.equal(again.metadata.get('x-request-id'), 'abc');
    assert.equal(again.metadata.get('timeout'), '3000');
  });

  test('null or absent attachments become a new map', () => {
    for (const attachments of [null, undefined]) {
      const bytes = request({ attachments });
      const encoded = dubboCodecFactory.create('downstream').encode(decode(bytes), { mutation });
      assert.deepEqual(providerView(encoded).attachments, { 'x-request-id': 'abc', Version: '9.9.9' });
      assert.deepEqual(providerView(encoded).args, ['world']);
    }
  });

  test('an entry of the same key holding a list is kept, and the new entry after it wins', () => {
    const bytes = request({ attachments: attachmentsMap({ 'x-request-id': ['old'], keep: 'k' }) });
    const encoded = dubboCodecFactory.create('downstream').encode(decode(bytes), { mutation });
    const seen = providerView(encoded);
    assert.equal(seen.attachments['x-request-id'], 'abc');
    assert.equal(seen.attachments.keep, 'k');
    assert.equal(decode(encoded).metadata.get('x-request-id'), 'abc');
  });

  test('a request id alone is rewritten in place', () => {
    const bytes = request();
    const message = decode(bytes);
    const encoded = dubboCodecFactory.create('downstream').encode(message, { requestId: 2 ** 33 + 5 });
    assert.equal(encoded, message.bytes);
    assert.equal(readHeader(encoded).requestId, 2 ** 33 + 5);
  });
});

describe('dubbo codec: responses', () => {
  test('status 20 responses are ok unless they carry an exception; other statuses, 80 included, are errors', () => {
    const cases: Array<[Buffer, string, string]> = [
      [responseFrame({ requestId: 1, value: 'v' }), 'response', 'ok'],
      [responseFrame({ requestId: 1, type: ResponseType.nullValue }), 'response', 'ok'],
      [
        responseFrame({ requestId: 1, type: ResponseType.exception, value: javaException('x') }),
        'error',
        'error',
      ],
      [
        responseFrame({
          requestId: 1,
          type: ResponseType.exceptionWithAttachments,
          value: javaException('x'),
        }),
        'error',
        'error',
      ],
      [responseFrame({ requestId: 1, status: 80, errorMessage: 'server error' }), 'error', 'error'],
      [responseFrame({ requestId: 1, status: 31, errorMessage: '' }), 'error', 'error'],
    ];
    for (const [bytes, type, status] of cases) {
      const message = decode(bytes, 'upstream');
      assert.equal(message.type, type);
      assert.equal(message.status, status);
    }
  });

  test('a response mutation upgrades types 0, 1, 2 to 3, 4, 5 with attachments that dubbo2.js reads', () => {
    const mutation = new Map([['x-served-by', 'aeraki']]);
    const cases: Array<[number, unknown, number]> = [
      [ResponseType.value, 'hello', ResponseType.valueWithAttachments],
      [ResponseType.nullValue, undefined, ResponseType.nullValueWithAttachments],
      [ResponseType.exception, javaException('boom'), ResponseType.exceptionWithAttachments],
    ];
    for (const [type, value, upgraded] of cases) {
      const response = decode(responseFrame({ requestId: 3, type, value }), 'upstream');
      const encoded = dubboCodecFactory.create('downstream').encode(response, { mutation, requestId: 8 });
      const body = decodeResponseBody(encoded.subarray(16));
      assert.equal(body.type, upgraded);
      assert.deepEqual(body.attachments, { 'x-served-by': 'aeraki' });
      const seen = dubbo2jsDecodeResponse(encoded);
      assert.equal(seen.requestId, 8);
      assert.deepEqual(seen.attachments, { 'x-served-by': 'aeraki' });
      if (type === ResponseType.value) assert.equal(seen.res, 'hello');
      if (type === ResponseType.exception) assert.match(String(seen.err?.message), /boom/);
      assert.equal(decode(encoded, 'upstream').metadata.get('x-served-by'), 'aeraki');
    }
  });

  test('attachments of types 3, 4, 5 are rewritten, keeping the provider entries', () => {
    const response = decode(
      responseFrame({ requestId: 3, value: ['r'], attachments: { 'x-served-by': 'p1', other: 'o' } }),
      'upstream',
    );
    assert.equal(response.metadata.get('other'), 'o');
    const encoded = dubboCodecFactory
      .create('downstream')
      .encode(response, { mutation: new Map([['x-served-by', 'aeraki']]) });
    assert.deepEqual(dubbo2jsDecodeResponse(encoded).attachments, { other: 'o', 'x-served-by': 'aeraki' });
  });

  test('no upgrade for a client whose protocol version does not read response attachments', () => {
    for (const [version, upgrades] of [
      ['2.0.1', false],
      ['2.6.2', false],
      ['2.0.2', true],
    ] as const) {
      const codec = dubboCodecFactory.create('downstream');
      decodeWith(codec, request({ dubboVersion: version }));
      const response = decode(responseFrame({ requestId: 42, value: 'v' }), 'upstream');
      const encoded = codec.encode(response, { mutation: new Map([['k', 'v']]), requestId: 42 });
      assert.equal(decodeResponseBody(encoded.subarray(16)).type, upgrades ? 4 : 1, version);
    }
  });

  test('error statuses and events carry no attachments: the mutation is ignored, the id is rewritten', () => {
    for (const bytes of [
      responseFrame({ requestId: 3, status: 70, errorMessage: 'failed' }),
      frame(FLAG_EVENT | 2, 20, 3, Buffer.from('N')),
    ]) {
      const message = decode(bytes, 'upstream');
      const encoded = dubboCodecFactory
        .create('downstream')
        .encode(message, { mutation: new Map([['k', 'v']]), requestId: 4 });
      assert.equal(encoded.length, bytes.length);
      assert.equal(readHeader(encoded).requestId, 4);
    }
  });
});

describe('dubbo codec: local replies and heartbeats', () => {
  const expectations: Array<[LocalReplyKind, number]> = [
    ['no-route', 60],
    ['no-cluster', 60],
    ['timeout', 31],
    ['over-limit', 100],
    ['bad-request', 40],
    ['bad-response', 50],
    ['no-healthy-upstream', 70],
    ['connect-failure', 70],
    ['upstream-reset', 70],
    ['internal', 80],
  ];
  for (const [kind, status] of expectations) {
    test(`${kind} → status ${status} with the message as a Hessian string`, () => {
      const codec = dubboCodecFactory.create('downstream');
      const message = decodeWith(codec, request({ requestId: 123 }));
      const text = `aeraki: ${kind} for ${SERVICE}/sayHello`;
      const reply = codec.encodeLocalReply(message, { kind, message: text })!;
      assert.deepEqual(readHeader(reply), {
        flags: 2,
        status,
        requestId: 123,
        bodyLength: reply.length - 16,
      });
      assert.equal(new hessian.DecoderV2(reply.subarray(16)).readString(), text);
      const seen = dubbo2jsDecodeResponse(reply);
      assert.equal(seen.requestId, 123);
      assert.ok(seen.err?.message.endsWith(text), `dubbo2.js shows ${JSON.stringify(seen.err?.message)}`);
    });
  }

  test('long and non-ASCII messages are chunked as Hessian strings', () => {
    const codec = dubboCodecFactory.create('downstream');
    for (const text of ['', 'é'.repeat(31), 'x'.repeat(1023), 'x'.repeat(1024), '😀'.repeat(40000)]) {
      const reply = codec.encodeLocalReply(undefined, { kind: 'internal', message: text })!;
      assert.equal(new hessian.DecoderV2(reply.subarray(16)).readString(), text);
    }
  });

  test('one-way requests get no local reply', () => {
    const message = decode(request({ twoWay: false }));
    assert.equal(message.type, 'oneway');
    assert.equal(
      dubboCodecFactory.create('downstream').encodeLocalReply(message, { kind: 'timeout', message: 'x' }),
      undefined,
    );
  });

  test("dubbo2.js's heartbeat is answered with an event response, status 20, the same id, body N", () => {
    const codec = dubboCodecFactory.create('downstream');
    const heartbeat = decodeWith(codec, dubbo2jsHeartbeatFrame());
    assert.equal(heartbeat.type, 'heartbeat');
    const reply = codec.encodeHeartbeatReply!(heartbeat);
    assert.equal(reply.toString('hex'), 'dabb2214' + '0000000000000000' + '00000001' + '4e');
    const seen = decode(reply, 'upstream');
    assert.equal(seen.type, 'heartbeat-reply');
  });

  test('heartbeat probes are two-way events; a one-way event gets no reply', () => {
    const codec = dubboCodecFactory.create('upstream');
    const probe = codec.encodeHeartbeat!(2 ** 31 + 1);
    assert.deepEqual(readHeader(probe), { flags: 0xe2, status: 0, requestId: 2 ** 31 + 1, bodyLength: 1 });
    const decoded = decode(probe);
    assert.equal(decoded.type, 'heartbeat');
    const oneWay = decode(frame(FLAG_REQUEST | FLAG_EVENT | 2, 0, 5, Buffer.from([0x01, 0x52])));
    assert.equal(codec.encodeHeartbeatReply!(oneWay).length, 0);
  });
});

describe('dubbo codec: a request head repeated from the last request', () => {
  test('requests on one connection whose fields before the arguments change each read as their own', () => {
    const codec = dubboCodecFactory.create('downstream');
    const specs: Partial<RequestSpec>[] = [
      {},
      {},
      { method: 'sayBye' },
      { version: '1.0.10' },
      { service: `${SERVICE}2`, parameterTypes: 'Ljava/lang/String;I', args: ['x', 7] },
      { dubboVersion: '2.7.8' },
      {},
      { parameterTypes: 'Ljava/lang/String;I', args: ['x', 7] },
    ];
    for (const spec of specs) {
      const message = decodeWith(codec, request(spec));
      const what = JSON.stringify(spec);
      assert.equal(message.metadata.get('interface'), spec.service ?? SERVICE, what);
      assert.equal(message.metadata.get('method'), spec.method ?? 'sayHello', what);
      assert.equal(message.metadata.get('version'), spec.version ?? '1.0.0', what);
      assert.equal(message.operation, `${spec.service ?? SERVICE}/${spec.method ?? 'sayHello'}`, what);
    }
  });

  test('a repeated head followed by fewer arguments than its types name is still refused', () => {
    const codec = dubboCodecFactory.create('downstream');
    decodeWith(codec, request({ parameterTypes: 'Ljava/lang/String;I', args: ['x', 7] }));
    const queue = new ByteQueue();
    const short = request({ parameterTypes: 'Ljava/lang/String;I', args: ['x'], attachments: undefined });
    queue.push(short);
    assert.throws(
      () => codec.decode(queue),
      (error: unknown) => CodecError.isCodecError(error) && /past the end/.test(error.message),
    );
  });
});
