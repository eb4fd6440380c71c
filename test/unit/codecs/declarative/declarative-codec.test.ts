/**
 * The declarative codec: memcached's binary protocol described in YAML routes by key (checked with
 * the codec test kit on frames recorded from memjs and memcached), a made-up protocol exercises the
 * rest of the format (little-endian fields, bits, 8-byte ids, heartbeats, a key-value section that
 * takes mutations, local reply templates), and every mistake in a description names its field.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import {
  ByteQueue,
  checkCodec,
  loadCodecFixtures,
  runCodecTestKit,
  type CodecFixture,
  type Message,
} from '../../../../src/codec/index.js';
import {
  codecFactoryFromDescription,
  compileDescription,
  declarativeCodecFactory,
  DescriptionError,
} from '../../../../src/codecs/declarative/index.js';
import { AerakiError, ErrorCodes } from '../../../../src/errors.js';

const repo = join(import.meta.dirname, '../../../../..');
const memcachedDescription = parse(
  readFileSync(join(repo, 'plugins/declarative/memcached.yaml'), 'utf8'),
) as Record<string, unknown>;

function decodeAll(codec: ReturnType<typeof declarativeCodecFactory.create>, bytes: Buffer): Message[] {
  const queue = new ByteQueue();
  queue.push(bytes);
  const out: Message[] = [];
  for (let m = codec.decode(queue); m !== undefined; m = codec.decode(queue)) out.push(m);
  return out;
}

describe('declarative codec: memcached binary, described in YAML', async () => {
  const factory = codecFactoryFromDescription(memcachedDescription);
  // The plugin's fixtures minus what only code does (quiet names, commands answered by the proxy).
  const fixtures = (await loadCodecFixtures(join(repo, 'plugins/memcached/fixtures'))).filter(
    f => !/quiet batch|quit and stat/.test(f.name),
  );

  test('its name, and the capabilities the description gives it', () => {
    assert.equal(factory.name, 'aeraki.meta_protocol.codec.memcached');
    assert.deepEqual(factory.capabilities, {
      requestIds: true,
      heartbeats: false,
      streaming: false,
      serverSpeaksFirst: false,
    });
  });

  runCodecTestKit(factory, fixtures, { test });

  test('routes by key: a get and a set from memjs carry command and key', () => {
    const codec = factory.create('downstream');
    const [set, get] = decodeAll(
      codec,
      Buffer.concat([
        fixtures.find(f => f.name.startsWith('set'))!.bytes,
        fixtures.find(f => f.name.startsWith('get user'))!.bytes,
      ]),
    );
    assert.deepEqual(set!.metadata.toJSON(), { command: 'set', key: 'user:42' });
    assert.deepEqual(get!.metadata.toJSON(), { command: 'get', key: 'user:42' });
    assert.equal(get!.operation, 'get');
    assert.equal(get!.requestId, 2);
  });

  test("local replies are memcached responses with memcached's own statuses", () => {
    const codec = factory.create('downstream');
    const [get] = decodeAll(codec, fixtures.find(f => f.name.startsWith('get user'))!.bytes);
    const reply = codec.encodeLocalReply(get, { kind: 'connect-failure', message: 'no server' })!;
    assert.equal(reply[0], 0x81);
    assert.equal(reply[1], 0x00, "the request's opcode");
    assert.equal(reply.readUInt16BE(6), 0x86, 'temporary failure');
    assert.equal(reply.readUInt32BE(8), 'no server'.length);
    assert.equal(reply.readUInt32BE(12), 2, "the request's opaque");
    assert.equal(reply.subarray(24).toString(), 'no server');
    const [answer] = decodeAll(factory.create('upstream'), reply);
    assert.equal(answer!.status, 'error');
    const noRoute = codec.encodeLocalReply(get, { kind: 'no-route', message: 'x' })!;
    assert.equal(noRoute.readUInt16BE(6), 0x84, 'internal error by default');
  });
});

/**
 * A made-up protocol, little-endian:
 *   0 magic u16 = 0xcafe; 2 flags u8 (0x80 request, 0x40 two-way, 0x20 heartbeat); 3 status u8;
 *   4 length u32 (bytes after offset 8); 8 id i64; 16 header count u16; 18 reserved u16;
 *   20 method length u8; 21 method; then the headers (u8 key length, key, u16 value length, value),
 *   then the payload.
 */
const KV_DESCRIPTION = parse(`
name: kv
byteOrder: little
fields:
  magic: { offset: 0, size: 2 }
  flags: { offset: 2, size: 1 }
  status: { offset: 3, size: 1 }
  length: { offset: 4, size: 4 }
  id: { offset: 8, size: 8, signed: true }
  headerCount: { offset: 16, size: 2 }
  methodLength: { offset: 20, size: 1 }
magic: { field: magic, values: [0xcafe] }
length: { field: length, adjust: 8, max: 65536 }
requestId: { field: id }
messageType:
  - { when: { flags: { mask: 0xa0, equals: 0xa0 } }, type: heartbeat }
  - { when: { flags: { mask: 0xa0, equals: 0x20 } }, type: heartbeat-reply }
  - { when: { flags: { mask: 0xc0, equals: 0xc0 } }, type: request }
  - { when: { flags: { mask: 0xc0, equals: 0x80 } }, type: oneway }
  - { when: { flags: { mask: 0x80, equals: 0 } }, type: response }
responseStatus: { field: status, ok: [0] }
metadata:
  - { name: method, at: 21, length: methodLength }
operation: method
headers: { at: 21 + methodLength, countField: headerCount, keyPrefix: 1, valuePrefix: 2 }
heartbeat:
  reply: { bytes: fe ca 20 00 00000000 0000000000000000 0000 0000 00 }
  probe: { bytes: fe ca a0 00 00000000 0000000000000000 0000 0000 00 }
localReply:
  bytes: fe ca 00 00 00000000 0000000000000000 0000 0000 00
  set: { status: { no-route: 4, default: 9 } }
`) as Record<string, unknown>;

function kvFrame(
  flags: number,
  id: bigint,
  method: string,
  headers: Record<string, string>,
  payload: string,
  status = 0,
): Buffer {
  const m = Buffer.from(method);
  const entries = Object.entries(headers).map(([k, v]) => {
    const key = Buffer.from(k);
    const value = Buffer.from(v);
    const e = Buffer.alloc(1 + key.length + 2 + value.length);
    e[0] = key.length;
    key.copy(e, 1);
    e.writeUInt16LE(value.length, 1 + key.length);
    value.copy(e, 3 + key.length);
    return e;
  });
  const head = Buffer.alloc(21);
  head.writeUInt16LE(0xcafe, 0);
  head[2] = flags;
  head[3] = status;
  head.writeBigInt64LE(id, 8);
  head.writeUInt16LE(entries.length, 16);
  head[20] = m.length;
  const frame = Buffer.concat([head, m, ...entries, Buffer.from(payload)]);
  frame.writeUInt32LE(frame.length - 8, 4);
  return frame;
}

describe('declarative codec: the rest of the format on a made-up protocol', () => {
  const factory = codecFactoryFromDescription(KV_DESCRIPTION);
  const call = kvFrame(0xc0, 7n, 'sayHello', { tenant: 'acme', trace: 'abc' }, 'world');
  const wideId = kvFrame(0xc0, -(2n ** 63n), 'sayHello', {}, 'x');
  const fixtures: CodecFixture[] = [
    {
      name: 'call with headers',
      bytes: call,
      carriesMutation: true,
      expect: [
        {
          type: 'request',
          requestId: 7,
          operation: 'sayHello',
          metadata: { method: 'sayHello', tenant: 'acme', trace: 'abc' },
        },
      ],
    },
    {
      name: 'call with a wide id',
      bytes: wideId,
      carriesMutation: true,
      expect: [{ type: 'request', requestId: -(2n ** 63n) }],
    },
    {
      name: 'one-way, heartbeat and heartbeat reply',
      bytes: Buffer.concat([
        kvFrame(0x80, 1n, 'log', {}, ''),
        kvFrame(0xa0, 2n, '', {}, ''),
        kvFrame(0x20, 3n, '', {}, ''),
      ]),
      expect: [
        { type: 'oneway', requestId: 1 },
        { type: 'heartbeat', requestId: 2 },
        { type: 'heartbeat-reply', requestId: 3 },
      ],
    },
    {
      name: 'replies',
      side: 'upstream',
      bytes: Buffer.concat([
        kvFrame(0x40, 7n, 'sayHello', { server: 'v1' }, 'hi'),
        kvFrame(0x40, 8n, 'sayHello', {}, 'no', 3),
      ]),
      carriesMutation: true,
      expect: [
        { type: 'response', requestId: 7, status: 'ok', metadata: { server: 'v1' } },
        { type: 'response', requestId: 8, status: 'error' },
      ],
    },
  ];

  test('capabilities: request ids (8 bytes), heartbeats (it has a reply template)', () => {
    assert.deepEqual(factory.capabilities, {
      requestIds: true,
      heartbeats: true,
      streaming: false,
      serverSpeaksFirst: false,
    });
  });

  runCodecTestKit(factory, fixtures, {
    test,
    requestIds: [1, 70000, 0x7ffffff0, 2n ** 63n - 1n, -(2n ** 53n) - 1n],
  });

  test('a mutation replaces same-named headers, appends the others, and fixes the count and length', () => {
    const codec = factory.create('downstream');
    const [message] = decodeAll(codec, Buffer.from(call));
    const out = codec.encode(message!, {
      mutation: new Map([
        ['Tenant', 'globex'],
        ['x-request-id', 'r1'],
      ]),
      requestId: 99,
    });
    const [again] = decodeAll(factory.create('downstream'), out);
    assert.deepEqual(again!.metadata.toJSON(), {
      method: 'sayHello',
      tenant: 'globex',
      trace: 'abc',
      'x-request-id': 'r1',
    });
    assert.equal(again!.requestId, 99);
    assert.equal(out.readUInt16LE(16), 3);
    assert.equal(
      out.subarray(out.length - 5).toString(),
      'world',
      'the payload after the headers is untouched',
    );
  });

  test('heartbeats are answered, and probes are built, from templates with the right ids', () => {
    const codec = factory.create('downstream');
    const [, heartbeat] = decodeAll(codec, fixtures[2]!.bytes);
    const [reply] = decodeAll(factory.create('upstream'), codec.encodeHeartbeatReply!(heartbeat!));
    assert.equal(reply!.type, 'heartbeat-reply');
    assert.equal(reply!.requestId, 2);
    const [probe] = decodeAll(factory.create('downstream'), factory.create('upstream').encodeHeartbeat!(42));
    assert.equal(probe!.type, 'heartbeat');
    assert.equal(probe!.requestId, 42);
  });

  test('local replies take their status per kind, and carry the message', () => {
    const codec = factory.create('downstream');
    const [request] = decodeAll(codec, Buffer.from(call));
    for (const [kind, status] of [
      ['no-route', 4],
      ['timeout', 9],
    ] as const) {
      const bytes = codec.encodeLocalReply(request, { kind, message: `because ${kind}` })!;
      const [reply] = decodeAll(factory.create('upstream'), bytes);
      assert.equal(reply!.type, 'response');
      assert.equal(reply!.status, 'error');
      assert.equal(reply!.requestId, 7);
      assert.equal(bytes[3], status);
      assert.ok(bytes.toString().endsWith(`because ${kind}`));
    }
    const [oneway] = decodeAll(codec, kvFrame(0x80, 1n, 'log', {}, ''));
    assert.equal(codec.encodeLocalReply(oneway, { kind: 'no-route', message: 'x' }), undefined);
  });

  test('a frame over the maximum, a wrong magic and a frame shorter than its fields are codec errors', () => {
    const codec = factory.create('downstream');
    const big = Buffer.from(call);
    big.writeUInt32LE(70000, 4);
    const badMagic = Buffer.from(call);
    badMagic[0] = 0;
    const short = Buffer.from(call.subarray(0, 21));
    short.writeUInt32LE(4, 4);
    for (const [bytes, code] of [
      [big, ErrorCodes.CODEC_TOO_LARGE],
      [badMagic, ErrorCodes.CODEC_MALFORMED],
      [short, ErrorCodes.CODEC_MALFORMED],
    ] as const) {
      assert.throws(
        () => decodeAll(codec, bytes),
        (err: unknown) => (err as AerakiError).code === code,
      );
    }
  });
});

describe('declarative codec: descriptions that do not compile name the field', () => {
  const base = (): Record<string, unknown> => structuredClone(KV_DESCRIPTION);
  const cases: [string, (d: Record<string, unknown>) => void, RegExp][] = [
    ['an unknown field', d => (d['lenght'] = {}), /^description: unknown field\(s\) lenght$/],
    ['a missing field', d => delete d['length'], /^length: /],
    [
      'a field that is not defined',
      d => (d['requestId'] = { field: 'opaque' }),
      /^requestId\.field: 'opaque' is not a field \(fields: magic, flags/,
    ],
    [
      'a bad size',
      d => ((d['fields'] as Record<string, unknown>)['flags'] = { offset: 2, size: 3 }),
      /^fields\.flags\.size: /,
    ],
    [
      'an expression with an unknown name',
      d => (d['metadata'] = [{ name: 'm', at: '21 + methodLen', length: 1 }]),
      /^metadata\.0\.at: 'methodLen' is not a field/,
    ],
    [
      'an expression that does not parse',
      d => (d['metadata'] = [{ name: 'm', at: '21 +', length: 1 }]),
      /^metadata\.0\.at: '21 \+' is not a complete expression/,
    ],
    [
      'a rule on an unknown field',
      d => (d['messageType'] = [{ when: { kind: 1 }, type: 'request' }]),
      /^messageType\.0\.when\.kind: 'kind' is not a field/,
    ],
    [
      'a template too short for its fields',
      d => (d['localReply'] = { bytes: 'feca' }),
      /^localReply\.bytes: 2 bytes cannot hold field 'length'/,
    ],
    [
      'a template that is not hex',
      d => (d['localReply'] = { bytes: 'fe cz' }),
      /^localReply\.bytes: must be hex digits in pairs/,
    ],
    [
      'a value that does not fit its field',
      d => (d['localReply'] = { bytes: '00'.repeat(21), set: { status: { default: 300 } } }),
      /^localReply\.set\.status: 300 does not fit field 'status'/,
    ],
    [
      'headers with two extents',
      d => ((d['headers'] as Record<string, unknown>)['toEnd'] = true),
      /^headers: give exactly one of sizeField, countField and toEnd/,
    ],
    [
      'a maximum below the fields',
      d => (d['length'] = { field: 'length', max: 4 }),
      /^length\.max: 4 is shorter than the fields \(21 bytes\)/,
    ],
  ];
  for (const [name, change, pattern] of cases) {
    test(name, () => {
      const description = base();
      change(description);
      assert.throws(
        () => compileDescription(description),
        (err: unknown) =>
          err instanceof DescriptionError &&
          err.code === ErrorCodes.CONFIG_INVALID &&
          pattern.test(err.message),
      );
    });
  }
});

describe('the built-in declarative codec (ApplicationProtocol declarativeCodec)', () => {
  test('compiles each description once, whatever object carries it', () => {
    const first = declarativeCodecFactory.create('downstream', structuredClone(memcachedDescription));
    const failures = checkCodec(
      {
        ...declarativeCodecFactory,
        create: side => declarativeCodecFactory.create(side, structuredClone(memcachedDescription)),
      },
      [
        {
          name: 'get',
          bytes: Buffer.from('800000070000000000000007000000020000000000000000757365723a3432', 'hex'),
          expect: [{ type: 'request', metadata: { key: 'user:42' } }],
        },
      ],
    );
    assert.deepEqual(failures, []);
    assert.ok(first !== undefined);
  });

  test('without a description, or with one that does not compile, create throws AERAKI_ERR_CONFIG_INVALID', () => {
    for (const config of [undefined, 'text', { fields: {} }]) {
      assert.throws(
        () => declarativeCodecFactory.create('downstream', config),
        (err: unknown) => err instanceof AerakiError && err.code === ErrorCodes.CONFIG_INVALID,
      );
    }
  });
});
