import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { ByteQueue } from '../../../../src/codec/byte-queue.js';
import type { Codec } from '../../../../src/codec/codec.js';
import type { Message } from '../../../../src/codec/message.js';
import { DeferredAttachments } from '../../../../src/codecs/dubbo/deferred-attachments.js';
import { dubboCodecFactory } from '../../../../src/codecs/dubbo/index.js';
import { CodecError, ErrorCodes } from '../../../../src/errors.js';
import {
  attachmentsMap,
  decodeRequestBody,
  frame,
  hessianBytes,
  readHeader,
  requestFrame,
  responseFrame,
  type RequestSpec,
} from '../../../e2e/dubbo/dubbo-wire.js';
import { SERVICE } from './fixtures.js';

const request = (spec: Partial<RequestSpec> = {}): Buffer =>
  requestFrame({
    requestId: 42,
    service: SERVICE,
    version: '1.0.0',
    method: 'sayHello',
    parameterTypes: 'Ljava/lang/String;',
    args: ['world'],
    attachments: attachmentsMap({
      application: 'demo-consumer',
      path: SERVICE,
      timeout: 3000,
      token: 'secret',
    }),
    ...spec,
  });

function decodeWith(codec: Codec, bytes: Buffer): Message {
  const queue = new ByteQueue();
  queue.push(Buffer.from(bytes));
  const message = codec.decode(queue);
  assert.ok(message !== undefined);
  return message;
}

/** Counts the calls of DeferredAttachments.addTo while a test runs. */
let decodedAttachments = 0;
const addTo = DeferredAttachments.prototype.addTo;
beforeEach(() => {
  decodedAttachments = 0;
  DeferredAttachments.prototype.addTo = function (this: DeferredAttachments, metadata) {
    decodedAttachments++;
    addTo.call(this, metadata);
  };
});
afterEach(() => {
  DeferredAttachments.prototype.addTo = addTo;
});

describe('dubbo codec: attachments decoded when read', () => {
  test('the service and method are read without decoding the attachments; any other key decodes them once', () => {
    const message = decodeWith(dubboCodecFactory.create('downstream'), request());
    assert.equal(message.metadata.get('interface'), SERVICE);
    assert.equal(message.metadata.get('method'), 'sayHello');
    assert.equal(decodedAttachments, 0);
    assert.equal(message.metadata.get('token'), 'secret');
    assert.equal(message.metadata.get('timeout'), '3000');
    assert.deepEqual(
      [...message.metadata.entries()],
      [
        ['version', '1.0.0'],
        ['application', 'demo-consumer'],
        ['path', SERVICE],
        ['timeout', '3000'],
        ['token', 'secret'],
        ['interface', SERVICE],
        ['method', 'sayHello'],
      ],
      'the order of an eager decode: body version, attachments, then interface and method',
    );
    assert.equal(decodedAttachments, 1);
  });

  test('a filter that sets or deletes attributes before they are read keeps its change', () => {
    const message = decodeWith(dubboCodecFactory.create('downstream'), request());
    message.metadata.set('Application', 'changed-by-filter');
    message.metadata.set('x-added', 'yes');
    assert.equal(decodedAttachments, 0);
    message.metadata.delete('token');
    assert.equal(decodedAttachments, 1);
    assert.equal(message.metadata.get('application'), 'changed-by-filter');
    assert.equal(message.metadata.get('x-added'), 'yes');
    assert.equal(message.metadata.has('token'), false);
    assert.equal(message.metadata.get('path'), SERVICE);
  });

  test('a header mutation is written into the attachments whether or not they were read', () => {
    for (const readFirst of [false, true]) {
      const codec = dubboCodecFactory.create('downstream');
      const message = decodeWith(codec, request());
      if (readFirst) assert.equal(message.metadata.get('token'), 'secret');
      const encoded = codec.encode(message, {
        requestId: 7,
        mutation: new Map([
          ['Token', 'replaced'],
          ['x-request-id', 'abc'],
        ]),
      });
      assert.equal(readHeader(encoded).requestId, 7);
      assert.deepEqual(decodeRequestBody(encoded.subarray(16)).attachments, {
        application: 'demo-consumer',
        path: SERVICE,
        timeout: 3000,
        Token: 'replaced',
        'x-request-id': 'abc',
      });
      const again = decodeWith(dubboCodecFactory.create('downstream'), encoded);
      assert.deepEqual(again.metadata.toJSON(), {
        version: '1.0.0',
        application: 'demo-consumer',
        path: SERVICE,
        timeout: '3000',
        token: 'replaced',
        'x-request-id': 'abc',
        interface: SERVICE,
        method: 'sayHello',
      });
      // The original message still reads its own attachments after the id was rewritten in place.
      assert.equal(message.metadata.get('token'), 'secret');
    }
  });

  test('messages of one connection read their own attachments, in any order', () => {
    const codec = dubboCodecFactory.create('downstream');
    const messages = ['a', 'b', 'c'].map((token, i) =>
      decodeWith(
        codec,
        request({ requestId: i + 1, version: '', attachments: attachmentsMap({ token, nth: i }) }),
      ),
    );
    assert.deepEqual(
      messages.reverse().map(m => m.metadata.toJSON()),
      ['c', 'b', 'a'].map((token, i) => ({
        token,
        nth: String(2 - i),
        interface: SERVICE,
        method: 'sayHello',
      })),
    );
  });

  test('response attachments are decoded when read', () => {
    const codec = dubboCodecFactory.create('upstream');
    const message = decodeWith(
      codec,
      responseFrame({ requestId: 5, value: 'r', attachments: { served: 'p1' } }),
    );
    assert.equal(message.type, 'response');
    assert.equal(decodedAttachments, 0);
    assert.deepEqual(message.metadata.toJSON(), { served: 'p1' });
    assert.equal(decodedAttachments, 1);
    const bare = decodeWith(codec, responseFrame({ requestId: 6, value: 'r' }));
    assert.deepEqual(bare.metadata.toJSON(), {});
    assert.equal(decodedAttachments, 1, 'a response without attachments defers nothing');
  });

  test('malformed attachment bytes are refused when the frame is decoded, answered with BAD_REQUEST', () => {
    const good = request({ requestId: 9 });
    const at = good.indexOf(Buffer.from('secret'));
    assert.ok(at > 0);
    const corruptions: [string, (bytes: Buffer) => void][] = [
      ['an invalid CESU-8 lead byte in a value', b => (b[at + 2] = 0xff)],
      ['an invalid continuation byte in a value', b => ((b[at + 1] = 0xc3), (b[at + 2] = 0x41))],
      ['a value that runs past the body', b => (b[at - 1] = 0x1f)],
      ['a key replaced by an unknown tag', b => (b[good.indexOf(Buffer.from('token')) - 1] = 0x45)],
    ];
    for (const [what, corrupt] of corruptions) {
      const bytes = Buffer.from(good);
      corrupt(bytes);
      const codec = dubboCodecFactory.create('downstream');
      const queue = new ByteQueue();
      queue.push(bytes);
      assert.throws(
        () => codec.decode(queue),
        (error: unknown) => CodecError.isCodecError(error) && error.code === ErrorCodes.CODEC_MALFORMED,
        what,
      );
      const reply = codec.encodeLocalReply(undefined, { kind: 'bad-request', message: what });
      assert.ok(reply !== undefined);
      assert.deepEqual(
        { status: readHeader(reply).status, requestId: readHeader(reply).requestId },
        { status: 40, requestId: 9 },
        what,
      );
      // The next frame on a fresh codec still decodes (the error is the frame's, not the process's).
      assert.equal(decodeWith(dubboCodecFactory.create('downstream'), good).metadata.get('token'), 'secret');
    }
  });
});

describe('dubbo codec: attachments repeated from the last message', () => {
  test('the same attachments after arguments of another length are found where they are', () => {
    const codec = dubboCodecFactory.create('downstream');
    const attachments = attachmentsMap({ application: 'demo', timeout: 3000, path: SERVICE });
    for (const arg of ['w', 'a much longer argument than the first', '', 'w']) {
      const message = decodeWith(codec, request({ args: [arg], attachments }));
      const encoded = codec.encode(message, { requestId: 3, mutation: new Map([['path', 'p2']]) });
      const body = decodeRequestBody(encoded.subarray(16));
      assert.deepEqual(body.args, [arg]);
      assert.deepEqual(body.attachments, { application: 'demo', timeout: 3000, path: 'p2' });
      assert.equal(message.metadata.get('timeout'), '3000');
      assert.equal(message.metadata.get('path'), SERVICE);
    }
  });

  test('attachments whose meaning depends on what came before them are checked in every message', () => {
    // A ref in the attachments to the second argument: valid after two lists, not after a string.
    const first = ['a'];
    const second = ['b'];
    const head = ['2.0.2', SERVICE, '1.0.0', 'sayHello'];
    const withLists = hessianBytes(...head, '[Ljava/lang/String;[Ljava/lang/String;', first, second, {
      $class: 'java.util.HashMap',
      $: { list: second },
    });
    const prefix = hessianBytes(...head, '[Ljava/lang/String;[Ljava/lang/String;', first, second);
    const attachmentBytes = withLists.subarray(prefix.length);
    assert.ok(attachmentBytes.includes(0x51), 'hessian.js wrote the repeated list as a ref (Q)');
    const afterString = Buffer.concat([
      hessianBytes(...head, 'Ljava/lang/String;', 'world'),
      attachmentBytes,
    ]);
    const codec = dubboCodecFactory.create('downstream');
    const accepted = decodeWith(codec, frame(0xc2, 0, 1, withLists));
    assert.equal(accepted.metadata.has('list'), false, 'a list is not an attribute');
    const queue = new ByteQueue();
    queue.push(frame(0xc2, 0, 2, afterString));
    assert.throws(
      () => codec.decode(queue),
      (error: unknown) => CodecError.isCodecError(error) && /ref/.test(error.message),
    );
  });
});
