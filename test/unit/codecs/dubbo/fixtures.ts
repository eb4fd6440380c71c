/**
 * Real Dubbo frames for the codec tests: requests exactly as the dubbo2.js client writes them (its
 * own encoder), and requests, responses and events written with hessian.js.
 */
import java from 'js-to-java';
import type { CodecFixture } from '../../../../src/codec/test-kit.js';
import {
  FLAG_REQUEST,
  FLAG_TWO_WAY,
  HESSIAN2,
  ResponseType,
  attachmentsMap,
  frame,
  heartbeatFrame,
  heartbeatReplyFrame,
  hessianBytes,
  readOnlyEventFrame,
  javaException,
  requestFrame,
  responseFrame,
} from '../../../e2e/dubbo/dubbo-wire.js';
import { dubbo2jsHeartbeatFrame, dubbo2jsRequestFrame } from '../../../e2e/dubbo/dubbo2js-wire.js';

export const SERVICE = 'org.apache.dubbo.demo.DemoService';

const user = (name: string, age: number): unknown => ({
  $class: 'com.example.User',
  $: { name, age: java.int(age), tags: ['a', 'b'] },
});

/**
 * One argument of every Hessian type hessian.js writes: strings (short, 2-byte length, 'S', non-ASCII
 * and surrogate pairs), ints and longs of every width, doubles of every form, booleans, null, both
 * dates, binaries, class definitions and instances (and a second instance by class reference), a
 * back-reference, typed and untyped lists, fixed-length typed arrays, typed and untyped maps, a map
 * with int keys.
 */
export function allTypesArgs(): unknown[] {
  const shared = user('ann', 3);
  return [
    java.String('hello'),
    'x'.repeat(40),
    'y'.repeat(1100),
    'héllo 中文 😀',
    -5,
    70000,
    2147483647,
    -2147483648,
    java.long(3),
    java.long(300),
    java.long(100000),
    java.long(1e6),
    java.long(2 ** 40),
    java.long('9007199254740993'),
    0.0,
    1.0,
    -3.0,
    300.5,
    1.5,
    Math.PI,
    true,
    false,
    null,
    new Date(60000 * 5),
    new Date(12345),
    Buffer.alloc(10, 1),
    Buffer.alloc(300, 2),
    shared,
    shared,
    user('bob', 4),
    [1, 'a', null],
    { $class: 'java.util.LinkedList', $: [1, 2, 3] },
    java.array('int', [1, 2, 3, 4, 5, 6, 7, 8, 9]),
    { $class: 'java.util.HashMap', $: { a: 1, b: [true] } },
    { $class: 'java.util.TreeMap', $: { k: 'v' } },
    { $class: 'com.alibaba.fastjson.JSONObject', $: { k: 'v', n: 2 } },
    { $class: 'java.util.HashMap', $: new Map<unknown, unknown>([[1, 'one']]) },
  ];
}

/** A descriptor with one `java.lang.Object` per argument. */
export function objectDescriptor(count: number): string {
  return 'Ljava/lang/Object;'.repeat(count);
}

export const dubbo2jsSayHello = (requestId: number): Buffer =>
  dubbo2jsRequestFrame({
    requestId,
    service: SERVICE,
    version: '1.0.0',
    group: 'blue',
    timeout: 3000,
    method: 'sayHello',
    args: [java.String('node')],
  });

/** The fixtures the codec test kit runs. */
export function codecFixtures(): CodecFixture[] {
  const allTypes = allTypesArgs();
  return [
    {
      name: 'dubbo2.js sayHello',
      bytes: dubbo2jsSayHello(7),
      carriesMutation: true,
      expect: [
        {
          type: 'request',
          requestId: 7,
          operation: `${SERVICE}/sayHello`,
          metadata: {
            interface: SERVICE,
            method: 'sayHello',
            version: '1.0.0',
            group: 'blue',
            timeout: '3000',
            application: 'dubbo2.js',
            path: SERVICE,
          },
        },
      ],
    },
    {
      name: 'dubbo2.js custom attachments, no arguments',
      bytes: dubbo2jsRequestFrame({
        requestId: 2 ** 40,
        service: SERVICE,
        method: 'ping',
        attachments: { 'x-user': 'alice', 'x-count': 3 },
      }),
      carriesMutation: true,
      expect: [
        {
          type: 'request',
          requestId: 2 ** 40,
          metadata: { method: 'ping', version: '0.0.0', 'x-user': 'alice', 'x-count': '3' },
        },
      ],
    },
    {
      name: 'dubbo2.js heartbeat',
      bytes: dubbo2jsHeartbeatFrame(),
      expect: [{ type: 'heartbeat', requestId: 0 }],
    },
    {
      name: 'every hessian type as arguments',
      bytes: requestFrame({
        requestId: 1,
        service: SERVICE,
        version: '2.1.0',
        method: 'everything',
        parameterTypes: objectDescriptor(allTypes.length),
        args: allTypes,
        attachments: attachmentsMap({ group: 'g', 'x-trace': 't-1' }),
      }),
      carriesMutation: true,
      expect: [
        {
          type: 'request',
          requestId: 1,
          metadata: { method: 'everything', version: '2.1.0', group: 'g', 'x-trace': 't-1' },
        },
      ],
    },
    {
      name: 'typed attachments map, one-way',
      bytes: requestFrame({
        requestId: 3,
        service: SERVICE,
        method: 'notify',
        parameterTypes: 'IJ[Ljava/lang/String;',
        args: [java.int(1), java.long(2), java.array('java.lang.String', ['a'])],
        attachments: { $class: 'com.alibaba.fastjson.JSONObject', $: { path: SERVICE, token: 'k' } },
        twoWay: false,
      }),
      carriesMutation: true,
      expect: [{ type: 'oneway', requestId: 3, metadata: { path: SERVICE, token: 'k', method: 'notify' } }],
    },
    {
      name: 'null and absent attachments, pipelined',
      bytes: Buffer.concat([
        requestFrame({
          requestId: 4,
          service: SERVICE,
          version: '',
          method: 'a',
          parameterTypes: '',
          attachments: null,
        }),
        requestFrame({ requestId: 5, service: SERVICE, method: 'b', parameterTypes: 'Z', args: [true] }),
      ]),
      carriesMutation: true,
      expect: [
        { type: 'request', requestId: 4, metadata: { interface: SERVICE, method: 'a' } },
        { type: 'request', requestId: 5, metadata: { method: 'b', version: '0.0.0' } },
      ],
    },
    {
      name: 'dubbox request (int after the method name)',
      bytes: frame(
        FLAG_REQUEST | FLAG_TWO_WAY | HESSIAN2,
        0,
        6,
        hessianBytes(
          '2.0.2',
          SERVICE,
          '1.0.0',
          'sayHello',
          -1,
          'Ljava/lang/String;',
          'x',
          attachmentsMap({}),
        ),
      ),
      carriesMutation: true,
      expect: [{ type: 'request', requestId: 6, metadata: { method: 'sayHello' } }],
    },
    ...responseFixtures(),
    {
      name: 'heartbeat and its reply',
      bytes: Buffer.concat([heartbeatFrame(11), heartbeatReplyFrame(11)]),
      side: 'upstream',
      expect: [
        { type: 'heartbeat', requestId: 11 },
        { type: 'heartbeat-reply', requestId: 11 },
      ],
    },
    {
      // A provider shutting down: answered by nobody, and never mistaken for a heartbeat.
      name: 'read-only event',
      bytes: Buffer.concat([readOnlyEventFrame(12), heartbeatFrame(13)]),
      side: 'upstream',
      expect: [
        { type: 'goaway', requestId: 12 },
        { type: 'heartbeat', requestId: 13 },
      ],
    },
    {
      // Java longs a number cannot hold (this heartbeat id was seen in the field), and the wrap-around.
      name: 'heartbeat with a wide id',
      bytes: heartbeatFrame(0x0ba57dc2b73348adn),
      expect: [{ type: 'heartbeat', requestId: 0x0ba57dc2b73348adn }],
    },
    {
      name: 'wide and negative request ids',
      bytes: Buffer.concat([
        requestFrame({ requestId: 2n ** 63n - 1n, service: SERVICE, method: 'a', parameterTypes: '' }),
        requestFrame({ requestId: -(2n ** 63n), service: SERVICE, method: 'b', parameterTypes: '' }),
        requestFrame({ requestId: -1, service: SERVICE, method: 'c', parameterTypes: '' }),
      ]),
      carriesMutation: true,
      expect: [
        { type: 'request', requestId: 2n ** 63n - 1n, metadata: { method: 'a' } },
        { type: 'request', requestId: -(2n ** 63n), metadata: { method: 'b' } },
        { type: 'request', requestId: -1, metadata: { method: 'c' } },
      ],
    },
  ];
}

function responseFixtures(): CodecFixture[] {
  const ok = (name: string, type: number, value: unknown, status: 'ok' | 'error'): CodecFixture => ({
    name: `response type ${type} (${name})`,
    bytes: responseFrame({
      requestId: 20 + type,
      type,
      value,
      ...(type >= ResponseType.exceptionWithAttachments ? { attachments: { 'x-served-by': 'p1' } } : {}),
    }),
    side: 'upstream',
    carriesMutation: true,
    expect: [
      {
        type: status === 'ok' ? 'response' : 'error',
        status,
        requestId: 20 + type,
        ...(type >= ResponseType.exceptionWithAttachments ? { metadata: { 'x-served-by': 'p1' } } : {}),
      },
    ],
  });
  const statuses = [30, 31, 40, 50, 60, 70, 80, 90, 100];
  return [
    ok('exception', ResponseType.exception, javaException('boom'), 'error'),
    ok('value', ResponseType.value, { $class: 'com.example.Reply', $: { text: 'hi', n: java.int(2) } }, 'ok'),
    ok('null value', ResponseType.nullValue, null, 'ok'),
    ok('exception with attachments', ResponseType.exceptionWithAttachments, javaException('bad'), 'error'),
    ok('value with attachments', ResponseType.valueWithAttachments, ['r', 1], 'ok'),
    ok('null value with attachments', ResponseType.nullValueWithAttachments, null, 'ok'),
    {
      name: 'error statuses',
      bytes: Buffer.concat(
        statuses.map(status =>
          responseFrame({ requestId: status, status, errorMessage: `status ${status}` }),
        ),
      ),
      side: 'upstream',
      expect: statuses.map(status => ({
        type: 'error' as const,
        status: 'error' as const,
        requestId: status,
      })),
    },
  ];
}
