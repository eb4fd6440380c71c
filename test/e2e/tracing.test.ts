/**
 * Tracing through `aeraki up`: a W3C trace context sent by a real client (an Apache Thrift THeader
 * info header; a Dubbo attachment) reaches the server as the child of the proxy's span, and the proxy's
 * span, exported over OTLP/HTTP, carries the client's trace id. At 0 % sampling a request without
 * trace context gets no span and no added header.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import java from 'js-to-java';
import {
  connectHello,
  createConfigDir,
  freePort,
  OtlpReceiver,
  startAeraki,
  startHelloServer,
  testAddress,
  thriftServiceEntry,
  versionTag,
  type AerakiProcess,
  type ConfigDir,
  type HelloServer,
  type ThriftStack,
} from './harness/index.js';
import { dubboServiceEntry } from './dubbo/dubbo-mesh.js';
import { attachmentsMap, requestFrame } from './dubbo/dubbo-wire.js';
import { startProvider, type HessianProvider } from './dubbo/hessian-provider.js';
import { RawDubboConnection } from './dubbo/raw-dubbo-client.js';

const ADDRESS = testAddress(52);
const STACK: ThriftStack = { protocol: 'binary', transport: 'header' };
const THRIFT_HOST = 'hello.tracing.svc.cluster.local';
const DUBBO_HOST = 'demo.tracing.svc.cluster.local';

let server: HelloServer | undefined;
let provider: HessianProvider | undefined;
let receiver: OtlpReceiver | undefined;
let aeraki: AerakiProcess | undefined;
let config: ConfigDir | undefined;
let thriftPort = 0;
let dubboPort = 0;

before(
  async () => {
    server = await startHelloServer({ tag: versionTag('v1'), stack: STACK });
    provider = await startProvider({ tag: 'v1' });
    receiver = await OtlpReceiver.start();
    thriftPort = await freePort(ADDRESS);
    dubboPort = await freePort(ADDRESS);
    config = await createConfigDir({
      'tracing.yaml': [
        thriftServiceEntry({
          name: 'hello',
          host: THRIFT_HOST,
          addresses: [ADDRESS],
          port: thriftPort,
          endpoints: [{ address: server.host, port: server.port, labels: { version: 'v1' } }],
        }),
        dubboServiceEntry({
          name: 'demo',
          host: DUBBO_HOST,
          addresses: [ADDRESS],
          port: dubboPort,
          endpoints: [{ address: provider.host, port: provider.port, labels: { version: 'v1' } }],
        }),
      ],
    });
    aeraki = await startAeraki(config.path, {
      extraArgs: ['--trace-otlp', receiver.url, '--trace-sampling', '0', '--workload', 'tracing-e2e'],
      listeners: [
        { host: ADDRESS, port: thriftPort },
        { host: ADDRESS, port: dubboPort },
      ],
    });
  },
  { timeout: 30000 },
);

after(
  async () => {
    await aeraki?.stop();
    await Promise.all([server?.close(), provider?.close(), receiver?.close()]);
    await config?.remove();
  },
  { timeout: 15000 },
);

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-(0[01])$/;

test(
  'Thrift: the client trace reaches the server through the proxy span, exported over OTLP',
  { timeout: 20000 },
  async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const clientSpan = '00f067aa0ba902b7';
    const hello = await connectHello(ADDRESS, thriftPort, { stack: STACK });
    try {
      // No context, 0 % sampling: no span, and no trace header added on the way.
      assert.equal(await hello.client.sayHello('untraced'), `Hello untraced, from ${versionTag('v1')}`);
      const { value } = await hello.callWithHeaders({ traceparent: `00-${traceId}-${clientSpan}-01` }, c =>
        c.sayHello('traced'),
      );
      assert.equal(value, `Hello traced, from ${versionTag('v1')}`);
    } finally {
      await hello.close();
    }
    const [untraced, traced] = server!.calls.filter(c => c.method === 'sayHello');
    assert.equal(untraced?.headers['traceparent'], undefined);
    const received = TRACEPARENT.exec(traced?.headers['traceparent'] ?? '');
    assert.ok(received !== null, `the server got traceparent ${traced?.headers['traceparent']}`);
    assert.equal(received[1], traceId, 'same trace');
    assert.notEqual(received[2], clientSpan, "the server's parent is the proxy's span, not the client's");
    assert.equal(received[3], '01', 'sampled, as the client asked');

    const span = await receiver!.waitFor(
      s => s.traceId === traceId && s.attributes['rpc.system'] === 'thrift',
    );
    assert.equal(span.spanId, received[2]);
    assert.equal(span.parentSpanId, clientSpan);
    assert.equal(span.attributes['rpc.method'], 'sayHello');
    assert.equal(span.attributes['aeraki.upstream_cluster'], `outbound|${thriftPort}||${THRIFT_HOST}`);
    assert.equal(span.attributes['server.port'], server!.port);
    assert.equal(span.serviceName, 'tracing-e2e');
    assert.equal(
      receiver!.spans.filter(s => s.attributes['rpc.system'] === 'thrift').length,
      1,
      'the untraced call made no span',
    );
  },
);

test('Dubbo: the trace context travels in attachments', { timeout: 20000 }, async () => {
  const traceId = '0af7651916cd43dd8448eb211c80319c';
  const clientSpan = 'b7ad6b7169203331';
  const connection = await RawDubboConnection.connect(ADDRESS, dubboPort);
  try {
    connection.send(
      requestFrame({
        requestId: 7,
        service: 'org.apache.dubbo.demo.DemoService',
        method: 'sayHello',
        parameterTypes: 'Ljava/lang/String;',
        args: [java.String('x')],
        attachments: attachmentsMap({
          traceparent: `00-${traceId}-${clientSpan}-01`,
          path: 'org.apache.dubbo.demo.DemoService',
        }),
      }),
    );
    await connection.next();
  } finally {
    connection.destroy();
  }
  const call = provider!.calls.at(-1);
  const received = TRACEPARENT.exec(String(call?.attachments['traceparent'] ?? ''));
  assert.ok(received !== null, `the provider got attachments ${JSON.stringify(call?.attachments)}`);
  assert.equal(received[1], traceId);
  const span = await receiver!.waitFor(s => s.traceId === traceId);
  assert.equal(span.spanId, received[2]);
  assert.equal(span.parentSpanId, clientSpan);
  assert.equal(span.attributes['rpc.system'], 'dubbo');
  assert.equal(span.attributes['rpc.service'], 'org.apache.dubbo.demo.DemoService');
});
