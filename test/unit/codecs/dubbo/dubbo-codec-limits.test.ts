/**
 * What the Dubbo codec refuses from clients before anything is forwarded (bodies that do not end
 * with their attachments, refs to nothing, limits on attachments, header fields and nesting), how it
 * answers, and that the work of one decode call stays small whatever a frame holds within the limits.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import hessian from 'hessian.js';
import { ByteQueue } from '../../../../src/codec/byte-queue.js';
import type { Codec } from '../../../../src/codec/index.js';
import { dubboCodecFactory } from '../../../../src/codecs/dubbo/index.js';
import { CodecError, ErrorCodes } from '../../../../src/errors.js';
import {
  attachmentsMap,
  frame,
  hessianBytes,
  readHeader,
  requestBody,
  requestFrame,
  type RequestSpec,
} from '../../../e2e/dubbo/dubbo-wire.js';
import { DECODE_CALL_BUDGET_MS, feedMeasured, feedWithinBudget } from '../decode-cost.js';
import { SERVICE, allTypesArgs, objectDescriptor } from './fixtures.js';

const REQUEST_TWO_WAY_HESSIAN = 0xc2;
const STATUS_BAD_REQUEST = 40;

function codecError(code: string, pattern: RegExp): (error: unknown) => boolean {
  return error => CodecError.isCodecError(error) && error.code === code && pattern.test(error.message);
}

function downstream(config?: unknown): Codec {
  return dubboCodecFactory.create('downstream', config);
}

function decodeAll(bytes: Buffer, codec: Codec = downstream()): number {
  const queue = new ByteQueue();
  queue.push(bytes);
  let count = 0;
  while (codec.decode(queue) !== undefined) count++;
  return count;
}

const sayHello = (extra: Partial<RequestSpec> = {}): RequestSpec => ({
  requestId: 77,
  service: SERVICE,
  version: '1.0.0',
  method: 'sayHello',
  parameterTypes: 'Ljava/lang/String;',
  args: ['world'],
  attachments: attachmentsMap({ path: SERVICE, timeout: '3000' }),
  ...extra,
});

/** A request frame whose body is `body` (raw bytes). */
function requestWithBody(body: Buffer, requestId = 77): Buffer {
  return frame(REQUEST_TWO_WAY_HESSIAN, 0, requestId, body);
}

/** The body of `spec` with its attachments replaced by raw bytes. */
function bodyWithRawTail(spec: RequestSpec, tail: Buffer): Buffer {
  return Buffer.concat([requestBody({ ...spec, attachments: undefined }), tail]);
}

describe("dubbo codec: a client's malformed request is refused before it is forwarded", () => {
  test('every request the fixtures hold is accepted, in every argument type', () => {
    const args = allTypesArgs();
    assert.equal(
      decodeAll(requestFrame(sayHello({ parameterTypes: objectDescriptor(args.length), args }))),
      1,
    );
  });

  test('bytes after the attachments', () => {
    const body = bodyWithRawTail(
      sayHello(),
      Buffer.concat([hessianBytes(attachmentsMap({ a: 'b' })), Buffer.from('N')]),
    );
    assert.throws(
      () => decodeAll(requestWithBody(body)),
      codecError(ErrorCodes.CODEC_MALFORMED, /1 bytes after its attachments/),
    );
  });

  test('more arguments than the parameter types announce', () => {
    // Arguments are checked for their structure, not against the types: the extra one is where the
    // attachments should be.
    const spec = sayHello({ args: ['one', 'two'] });
    assert.throws(
      () => decodeAll(requestFrame(spec)),
      codecError(ErrorCodes.CODEC_MALFORMED, /attachments must be a map/),
    );
  });

  test('a body cut short inside an argument', () => {
    const whole = requestBody(sayHello({ attachments: undefined, args: ['x'.repeat(40)] }));
    assert.throws(
      () => decodeAll(requestWithBody(whole.subarray(0, whole.length - 5))),
      codecError(ErrorCodes.CODEC_MALFORMED, /past the end of the body/),
    );
  });

  test('a ref to no earlier list, map or object, and a type index naming no earlier type', () => {
    const refToNothing = Buffer.from([0x51, 0x90]); // Q 0, before any container
    const typeToNothing = Buffer.from([0x70, 0x91]); // a typed list of type #1, none defined
    for (const arg of [refToNothing, typeToNothing]) {
      const body = Buffer.concat([
        requestBody(sayHello({ parameterTypes: 'Ljava/lang/Object;', args: [], attachments: undefined })),
        arg,
      ]);
      assert.throws(
        () => decodeAll(requestWithBody(body)),
        codecError(ErrorCodes.CODEC_MALFORMED, /names no earlier/),
      );
    }
  });

  test('a map ending between a key and its value, and a tag that starts no value', () => {
    for (const arg of [Buffer.from([0x48, 0x91, 0x5a]), Buffer.from([0x40])]) {
      const body = Buffer.concat([
        requestBody(sayHello({ parameterTypes: 'Ljava/lang/Object;', args: [], attachments: undefined })),
        arg,
      ]);
      assert.throws(
        () => decodeAll(requestWithBody(body)),
        codecError(ErrorCodes.CODEC_MALFORMED, /hessian/),
      );
    }
  });

  test('nesting deeper than maxDepth (default 512) is refused, naming the limit', () => {
    const nested = (depth: number): unknown => (depth === 0 ? 1 : [nested(depth - 1)]);
    const request = (depth: number): Buffer =>
      requestFrame(sayHello({ parameterTypes: 'Ljava/lang/Object;', args: [nested(depth)] }));
    assert.equal(decodeAll(request(512)), 1);
    assert.throws(() => decodeAll(request(513)), codecError(ErrorCodes.CODEC_TOO_LARGE, /512 \(maxDepth\)/));
    assert.throws(() => decodeAll(request(9), downstream({ maxDepth: 8 })), /maxDepth/);
  });

  test('a response frame from a client belongs to no request: refused, not dropped', () => {
    const response = frame(0x02, 20, 5, hessianBytes(1, 'x'));
    assert.throws(
      () => decodeAll(response),
      codecError(ErrorCodes.CODEC_MALFORMED, /client sent a response/),
    );
    assert.equal(decodeAll(response, dubboCodecFactory.create('upstream')), 1);
  });

  test('the refusal is a BAD_REQUEST response with the refused request id, readable by hessian.js', () => {
    const codec = downstream();
    const body = bodyWithRawTail(sayHello(), Buffer.from([0x48, 0x5a, 0x4e]));
    assert.throws(() => decodeAll(requestWithBody(body, 991), codec), CodecError);
    const reply = codec.encodeLocalReply(undefined, { kind: 'bad-request', message: 'aeraki: bad request' })!;
    const header = readHeader(reply);
    assert.deepEqual([header.requestId, header.status], [991, STATUS_BAD_REQUEST]);
    assert.equal(new hessian.DecoderV2(reply.subarray(16)).read(), 'aeraki: bad request');
  });
});

/** A request with `count` attachments `k<i>` = `value`. */
function withAttachments(count: number, value = 'v'): Buffer {
  const attachments: Record<string, string> = {};
  for (let i = 0; i < count; i++) attachments[`k${i}`] = value;
  return requestFrame(sayHello({ attachments: attachmentsMap(attachments) }));
}

describe('dubbo codec: header limits', () => {
  test('maxHeaders (default 128): more attachments are refused, naming the limit', () => {
    assert.equal(decodeAll(withAttachments(128)), 1);
    assert.throws(
      () => decodeAll(withAttachments(129)),
      codecError(ErrorCodes.CODEC_TOO_LARGE, /limit of 128 entries \(maxHeaders\)/),
    );
    assert.throws(() => decodeAll(withAttachments(5), downstream({ maxHeaders: 4 })), /maxHeaders/);
  });

  test('maxHeaderBytes (default 64 KiB): a larger attachments map is refused without reading past the limit', () => {
    const big = withAttachments(2, 'x'.repeat(40_000));
    assert.throws(
      () => decodeAll(big),
      codecError(
        ErrorCodes.CODEC_TOO_LARGE,
        /attachments exceed the limit of 65536 bytes \(maxHeaderBytes\)/,
      ),
    );
    assert.equal(decodeAll(big, downstream({ maxHeaderBytes: 100_000 })), 1);
  });

  test('maxHeaderBytes also bounds the fields before the arguments', () => {
    const longMethod = requestFrame(sayHello({ method: 'm'.repeat(70_000) }));
    assert.throws(
      () => decodeAll(longMethod),
      codecError(ErrorCodes.CODEC_TOO_LARGE, /fields before the arguments exceed the limit of 65536/),
    );
  });

  test('the limits hold for responses too, which carry attachments from servers', () => {
    const attachments: Record<string, string> = {};
    for (let i = 0; i < 129; i++) attachments[`k${i}`] = 'v';
    const body = hessianBytes(4, 'value', attachmentsMap(attachments));
    assert.throws(
      () => decodeAll(frame(0x02, 20, 3, body), dubboCodecFactory.create('upstream')),
      /maxHeaders/,
    );
  });
});

/** A request whose one argument is a fixed list of one-byte values filling the body to `bodySize`. */
function listOfTokens(bodySize: number, token: number): Buffer {
  const spec = sayHello({ parameterTypes: '[Ljava/lang/Object;', args: [] });
  const head = requestBody({ ...spec, attachments: undefined });
  const tail = hessianBytes(attachmentsMap({ path: SERVICE }));
  const count = bodySize - head.length - tail.length - 6;
  const list = Buffer.alloc(6 + count, token);
  list[0] = 0x58; // fixed-length untyped list
  list[1] = 0x49; // int length: 'I' b3..b0
  list.writeInt32BE(count, 2);
  return requestWithBody(Buffer.concat([head, list, tail]));
}

describe('dubbo codec: the work of one decode call is bounded by the limits', () => {
  const MAX_BODY = 8 * 1024 * 1024;

  test('a request arriving in chunks decodes as it does whole', () => {
    const args = allTypesArgs();
    const whole = requestFrame(
      sayHello({ parameterTypes: objectDescriptor(args.length + 1), args: [...args, 'é'.repeat(70_000)] }),
    );
    for (const chunk of [1, 999, 16 * 1024, 64 * 1024]) {
      const { messages, error } = feedMeasured(() => downstream(), whole, chunk);
      assert.equal(error, undefined);
      assert.equal(messages.length, 1);
      assert.ok(messages[0]!.bytes.equals(whole));
      assert.equal(messages[0]!.metadata.get('timeout'), '3000');
    }
  });

  test('the costliest bodies within the default limits never hold one decode call for long', () => {
    // Empty lists (a push and a pop per byte), nulls and empty strings: one value per byte.
    for (const token of [0x78, 0x4e, 0x00]) {
      const request = listOfTokens(MAX_BODY, token);
      assert.equal(request.readInt32BE(12), MAX_BODY);
      const { messages, error, maxCallMs } = feedWithinBudget(() => downstream(), request);
      assert.equal(error, undefined);
      assert.equal(messages.length, 1);
      assert.ok(maxCallMs < DECODE_CALL_BUDGET_MS, `a decode call took ${maxCallMs} ms`);
    }
  });

  test('a request with the most and the largest attachments allowed decodes in one short call', () => {
    const request = withAttachments(128, 'x'.repeat(500));
    const { messages, maxCallMs } = feedWithinBudget(() => downstream(), request, request.length);
    assert.equal(messages[0]?.metadata.get('k127'), 'x'.repeat(500));
    assert.ok(maxCallMs < DECODE_CALL_BUDGET_MS, `the decode call took ${maxCallMs} ms`);
  });

  test('an argument nested 100,000 deep and 50,000 attachments are refused quickly', () => {
    const deep = requestWithBody(
      Buffer.concat([
        requestBody({
          ...sayHello({ parameterTypes: 'Ljava/lang/Object;', args: [] }),
          attachments: undefined,
        }),
        Buffer.alloc(100_000, 0x79), // lists of one element, each holding the next
        Buffer.from([0x90]),
      ]),
    );
    const many = withAttachments(50_000);
    for (const [request, limit] of [
      [deep, /maxDepth/],
      [many, /maxHeader/],
    ] as const) {
      const { error, maxCallMs } = feedWithinBudget(() => downstream(), request);
      assert.ok(codecError(ErrorCodes.CODEC_TOO_LARGE, limit)(error), String(error));
      assert.ok(maxCallMs < DECODE_CALL_BUDGET_MS, `refusing took ${maxCallMs} ms`);
    }
  });
});
