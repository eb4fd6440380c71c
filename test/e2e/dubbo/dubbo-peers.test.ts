/**
 * The real dubbo2.js client and hessian.js providers through `aeraki up`: heartbeats answered by the
 * proxy, provider exceptions, a 1 MiB argument, 200 calls in flight, local replies as dubbo2.js shows
 * them, and malformed or unsupported frames that get a Dubbo error and close only their connection.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import hessian from 'hessian.js';
import java from 'js-to-java';
import {
  createConfigDir,
  destination,
  destinationRule,
  exactMatch,
  freePort,
  metaRouter,
  startAeraki,
  testAddress,
  type AerakiProcess,
  type ConfigDir,
} from '../harness/index.js';
import { dubboServiceEntry } from './dubbo-mesh.js';
import { Dubbo2jsClient } from './dubbo2js-client.js';
import { dubbo2jsDecodeResponse, dubbo2jsHeartbeatFrame, dubbo2jsRequestFrame } from './dubbo2js-wire.js';
import {
  FLAG_REQUEST,
  FLAG_TWO_WAY,
  frame,
  heartbeatFrame,
  hessianBytes,
  readHeader,
  requestFrame,
} from './dubbo-wire.js';
import { startProvider, type HessianProvider } from './hessian-provider.js';
import { RawDubboConnection } from './raw-dubbo-client.js';

const ADDRESS = testAddress(21);
const DEMO = 'org.apache.dubbo.demo.DemoService';
const HOST = 'peers.dubbo.e2e.svc.cluster.local';
const DEAD_HOST = 'dead.dubbo.e2e.svc.cluster.local';
const SLOW_TIMEOUT_MS = 300;

let provider: HessianProvider | undefined;
let port = 0;
let deadPort = 0;
let config: ConfigDir | undefined;
let aeraki: AerakiProcess | undefined;
const clients: Dubbo2jsClient[] = [];
const raws: RawDubboConnection[] = [];

function dubbo(target = port): Dubbo2jsClient {
  const c = new Dubbo2jsClient(ADDRESS, target);
  clients.push(c);
  return c;
}

async function raw(target = port): Promise<RawDubboConnection> {
  const r = await RawDubboConnection.connect(ADDRESS, target);
  raws.push(r);
  return r;
}

/** The Hessian string body of an error response, read as a Java consumer reads it. */
function errorMessage(reply: Buffer): string {
  return new hessian.DecoderV2(reply.subarray(16)).readString();
}

before(
  async () => {
    provider = await startProvider({ tag: 'p', jitterMs: 3 });
    port = await freePort(ADDRESS);
    deadPort = await freePort(ADDRESS);
    const closedPort = await freePort('127.0.0.1');
    config = await createConfigDir({
      'mesh.yaml': [
        dubboServiceEntry({
          name: 'peers',
          host: HOST,
          addresses: [ADDRESS],
          port,
          endpoints: [{ address: provider.host, port: provider.port, labels: { app: 'p' } }],
        }),
        // Nothing listens on the endpoint's port: every call is a connect failure.
        dubboServiceEntry({
          name: 'dead',
          host: DEAD_HOST,
          addresses: [ADDRESS],
          port: deadPort,
          endpoints: [{ address: '127.0.0.1', port: closedPort, labels: {} }],
        }),
        destinationRule({ name: 'dead', host: DEAD_HOST, subsets: {} }),
        metaRouter({
          name: 'peers',
          host: HOST,
          routes: [
            {
              name: 'slow',
              match: exactMatch({ method: 'slow' }),
              route: [destination(HOST)],
              timeout: `${SLOW_TIMEOUT_MS}ms`,
            },
            // Only DemoService is routed: any other interface has no route.
            { name: 'demo', match: exactMatch({ interface: DEMO }), route: [destination(HOST)] },
          ],
        }),
      ],
    });
    aeraki = await startAeraki(config.path, {
      listeners: [
        { host: ADDRESS, port },
        { host: ADDRESS, port: deadPort },
      ],
    });
  },
  { timeout: 30000 },
);

after(async () => {
  for (const c of clients) c.close();
  for (const r of raws) r.destroy();
  await aeraki?.stop();
  await provider?.close();
  await config?.remove();
});

test('the codec fixtures write exactly what the dubbo2.js client sends', async () => {
  // Straight to the provider, no proxy: the unit tests' dubbo2.js frames come from the same encoder.
  const direct = new Dubbo2jsClient(provider!.host, provider!.port);
  clients.push(direct);
  const { err } = await direct.call(DEMO, 'fixtureCheck', [java.String('node'), java.int(7)], {
    group: 'blue',
    timeout: 3000,
  });
  assert.equal(err, null);
  const received = provider!.callsOf('fixtureCheck')[0]!;
  const expected = dubbo2jsRequestFrame({
    requestId: Number(received.requestId),
    service: DEMO,
    version: '1.0.0',
    group: 'blue',
    timeout: 3000,
    method: 'fixtureCheck',
    args: [java.String('node'), java.int(7)],
  });
  assert.equal(received.frame.toString('hex'), expected.toString('hex'));
});

test('heartbeats are answered by the proxy and never reach the provider', async () => {
  const connection = await raw();
  const reply = await connection.exchange(dubbo2jsHeartbeatFrame());
  assert.equal(reply.toString('hex'), 'dabb2214' + '0000000000000000' + '00000001' + '4e');
  const marked = await connection.exchange(heartbeatFrame(0x5eed));
  assert.deepEqual(readHeader(marked), { flags: 0x22, status: 20, requestId: 0x5eed, bodyLength: 1 });
  const answer = await connection.exchange(
    dubbo2jsRequestFrame({ requestId: 77, service: DEMO, version: '1.0.0', method: 'whoami' }),
  );
  assert.equal(dubbo2jsDecodeResponse(answer).res, 'p');
  // dubbo2.js's own client handles the proxy's heartbeat reply on its connection.
  const client = dubbo();
  assert.equal((await client.call(DEMO, 'whoami')).res, 'p');
  client.writeRaw(dubbo2jsHeartbeatFrame());
  assert.equal((await client.call(DEMO, 'whoami')).res, 'p');
  assert.ok(!provider!.heartbeatIds.includes(0x5eed), 'the client heartbeat was not forwarded');
});

test('a provider exception reaches the dubbo2.js caller', async () => {
  const { res, err } = await dubbo().call(DEMO, 'fail', [java.String('x')]);
  assert.equal(res, null);
  assert.ok(err !== null);
  assert.equal(err.name, 'java.lang.RuntimeException');
  assert.equal(err.message, 'boom from p');
});

test('a 1 MiB argument passes through byte-identical', async () => {
  const text = ('aé中😀' + 'x'.repeat(60)).repeat(16 * 1024);
  assert.ok(text.length >= 1024 * 1024);
  const { res, err } = await dubbo().call(DEMO, 'echo', [java.String(text)]);
  assert.equal(err, null);
  assert.equal(res, text);
  // Byte level: the provider hashes the argument's Hessian bytes exactly as they reached it.
  const argument = hessianBytes(text);
  const connection = await raw();
  const reply = await connection.exchange(
    requestFrame({
      requestId: 5,
      service: DEMO,
      method: 'sha256',
      parameterTypes: 'Ljava/lang/String;',
      args: [text],
      attachments: { $class: 'java.util.HashMap', $: {} },
    }),
  );
  assert.equal(dubbo2jsDecodeResponse(reply).res, createHash('sha256').update(argument).digest('hex'));
});

test('200 calls in flight over 4 connections all get their own answers', async () => {
  // dubbo2.js numbers calls process-wide, so its connections never reuse an id; the raw connections
  // use the same ids 1..50 at once, which only works if the proxy keeps them apart upstream.
  const clients = [dubbo(), dubbo()];
  const dubboCalls = Array.from({ length: 100 }, (_, i) =>
    clients[i % 2]!.call(DEMO, 'echo', [java.String(`call-${i}`)]).then(r => ({ i, ...r })),
  );
  const rawCalls = [await raw(), await raw()].map(async (connection, c) => {
    for (let id = 1; id <= 50; id++) {
      connection.send(
        dubbo2jsRequestFrame({
          requestId: id,
          service: DEMO,
          method: 'echo',
          args: [java.String(`raw-${c}-${id}`)],
        }),
      );
    }
    const answers = new Map<number, unknown>();
    for (let n = 0; n < 50; n++) {
      const reply = dubbo2jsDecodeResponse(await connection.next());
      answers.set(reply.requestId, reply.res);
    }
    return { c, answers };
  });
  for (const { i, res, err } of await Promise.all(dubboCalls)) {
    assert.equal(err, null);
    assert.equal(res, `call-${i}`);
  }
  for (const { c, answers } of await Promise.all(rawCalls)) {
    assert.equal(answers.size, 50);
    for (const [id, res] of answers) assert.equal(res, `raw-${c}-${id}`);
  }
});

test('local replies: no route, timeout and connect failure, as statuses and as dubbo2.js shows them', async () => {
  const connection = await raw();
  const expectations: Array<[string, string, number, RegExp]> = [
    ['org.example.Unrouted', 'anything', 60, /aeraki: no route matches/],
    [DEMO, 'slow', 31, /aeraki: no response .* within 300 ms/],
  ];
  for (const [service, method, status, text] of expectations) {
    const reply = await connection.exchange(
      dubbo2jsRequestFrame({ requestId: 600 + status, service, method }),
    );
    assert.equal(readHeader(reply).status, status, `${service}.${method}`);
    assert.equal(readHeader(reply).requestId, 600 + status);
    const { err } = await dubbo().call(service, method);
    assert.ok(err !== null);
    assert.match(err.message, text);
  }
  const dead = await raw(deadPort);
  const reply = await dead.exchange(dubbo2jsRequestFrame({ requestId: 70, service: DEMO, method: 'whoami' }));
  assert.equal(readHeader(reply).status, 70);
  const { err } = await dubbo(deadPort).call(DEMO, 'whoami');
  assert.ok(err !== null);
  assert.match(err.message, /aeraki: connection to .* (refused|failed|closed)/i);
});

test('malformed frames and an unknown serialization get a BAD_REQUEST reply and close only their connection', async () => {
  const bystander = dubbo();
  assert.equal((await bystander.call(DEMO, 'whoami')).res, 'p');
  const rawBystander = await raw();

  const http = await raw();
  const notDubbo = await http.exchange(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
  assert.deepEqual(readHeader(notDubbo), {
    flags: 2,
    status: 40,
    requestId: 0,
    bodyLength: notDubbo.length - 16,
  });
  assert.match(errorMessage(notDubbo), /magic/);
  await http.closed;

  const garbage = await raw();
  const badBody = await garbage.exchange(
    frame(FLAG_REQUEST | FLAG_TWO_WAY | 2, 0, 31337, Buffer.from([0x40, 1, 2])),
  );
  assert.equal(readHeader(badBody).status, 40);
  assert.equal(readHeader(badBody).requestId, 31337);
  await garbage.closed;

  const java = await raw();
  const javaRequest = dubbo2jsRequestFrame({ requestId: 4242, service: DEMO, method: 'whoami' });
  javaRequest[2] = FLAG_REQUEST | FLAG_TWO_WAY | 3;
  const unsupported = await java.exchange(javaRequest);
  assert.equal(readHeader(unsupported).status, 40);
  assert.equal(readHeader(unsupported).requestId, 4242);
  assert.match(errorMessage(unsupported), /serialization id 3 is not supported/);
  await java.closed;

  assert.equal((await bystander.call(DEMO, 'whoami')).res, 'p');
  const answer = await rawBystander.exchange(
    dubbo2jsRequestFrame({ requestId: 1, service: DEMO, method: 'whoami' }),
  );
  assert.equal(dubbo2jsDecodeResponse(answer).res, 'p');
});
