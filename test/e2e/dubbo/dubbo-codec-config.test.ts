/**
 * A MetaProtocolProxy's codec config bounds both sides: with the Dubbo codec's `maxBodySize`, a
 * request above it is refused downstream (BAD_REQUEST, its connection closed) and a response above
 * it is refused upstream (the client gets BAD_RESPONSE, the upstream connection is closed), while
 * other clients go on. The proxy runs from a static bootstrap (`aeraki proxy --config`), where the
 * codec config travels as a google.protobuf.Struct, as it would over xDS.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import java from 'js-to-java';
import { loadConfig, translate } from '../../../src/control-plane/index.js';
import { encodeSnapshot } from '../../../src/xds/snapshot-codec.js';
import { resourceToJson } from '../../../src/xds/resource-json.js';
import {
  createConfigDir,
  freePort,
  startAerakiCommand,
  testAddress,
  type AerakiProcess,
  type ConfigDir,
} from '../harness/index.js';
import { clusterStats } from '../harness/admin-api.js';
import { dubboServiceEntry } from './dubbo-mesh.js';
import { Dubbo2jsClient } from './dubbo2js-client.js';
import { attachmentsMap, readHeader, requestFrame } from './dubbo-wire.js';
import { startProvider, type HessianProvider } from './hessian-provider.js';
import { RawDubboConnection } from './raw-dubbo-client.js';

const ADDRESS = testAddress(42);
const DEMO = 'org.apache.dubbo.demo.DemoService';
const HOST = 'limits.dubbo.e2e.svc.cluster.local';
/** The listener's codec config: bodies up to 2 KiB (the default is 8 MiB). */
const MAX_BODY_SIZE = 2048;

let provider: HessianProvider | undefined;
let config: ConfigDir | undefined;
let aeraki: AerakiProcess | undefined;
let port = 0;
const clients: Dubbo2jsClient[] = [];
const raws: RawDubboConnection[] = [];

before(
  async () => {
    provider = await startProvider({ tag: 'p' });
    port = await freePort(ADDRESS);
    config = await createConfigDir({
      'dubbo.yaml': [
        dubboServiceEntry({
          name: 'limits',
          host: HOST,
          addresses: [ADDRESS],
          port,
          endpoints: [{ address: provider.host, port: provider.port, labels: {} }],
        }),
      ],
    });
    const loaded = await loadConfig(config.path);
    assert.deepEqual(loaded.issues, []);
    const snapshot = translate(loaded.config);
    const bounded = {
      ...snapshot,
      listeners: snapshot.listeners.map(l => ({ ...l, codecConfig: { maxBodySize: MAX_BODY_SIZE } })),
    };
    const file = join(config.path, 'bootstrap.json');
    await writeFile(file, JSON.stringify({ resources: encodeSnapshot(bounded).map(resourceToJson) }));
    aeraki = await startAerakiCommand(['proxy', '--config', file, '--admin', '127.0.0.1:0'], 'ready', {
      listeners: [{ host: ADDRESS, port }],
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

function dubbo(): Dubbo2jsClient {
  const client = new Dubbo2jsClient(ADDRESS, port);
  clients.push(client);
  return client;
}

async function raw(): Promise<RawDubboConnection> {
  const connection = await RawDubboConnection.connect(ADDRESS, port);
  raws.push(connection);
  return connection;
}

/** A call of `method` with one argument, as a Java consumer writes it. */
function call(requestId: number, method: string, arg: unknown): Buffer {
  return requestFrame({
    requestId,
    service: DEMO,
    method,
    parameterTypes: typeof arg === 'string' ? 'Ljava/lang/String;' : 'I',
    args: [arg],
    attachments: attachmentsMap({}),
  });
}

test('a request above the limit is refused downstream: BAD_REQUEST, that connection closed', async () => {
  const bystander = dubbo();
  assert.equal((await bystander.call(DEMO, 'whoami')).res, 'p');
  const seen = provider!.calls.length;
  const connection = await raw();
  const reply = await connection.exchange(call(7, 'echo', 'x'.repeat(MAX_BODY_SIZE)));
  assert.equal(readHeader(reply).status, 40, 'BAD_REQUEST');
  assert.equal(readHeader(reply).requestId, 7);
  await connection.closed;
  assert.equal(provider!.calls.length, seen, 'the provider never saw it');
  const { err } = await dubbo().call(DEMO, 'echo', [java.String('y'.repeat(MAX_BODY_SIZE))]);
  assert.ok(err !== null, 'dubbo2.js sees the refusal as an error');
  assert.match(err.message, /exceeds the limit of 2048 bytes/);
  assert.equal((await bystander.call(DEMO, 'whoami')).res, 'p', 'other clients go on');
});

test('a response above the limit is refused upstream: BAD_RESPONSE, the upstream connection closed', async () => {
  const bystander = dubbo();
  assert.equal((await bystander.call(DEMO, 'big', [java.int(100)])).res, 'x'.repeat(100));
  const stats = () => clusterStats(aeraki!, `outbound|${port}||${HOST}`);
  const before = await stats();
  const connection = await raw();
  const reply = await connection.exchange(call(8, 'big', MAX_BODY_SIZE));
  assert.equal(readHeader(reply).status, 50, 'BAD_RESPONSE');
  assert.equal(readHeader(reply).requestId, 8);
  // Connections closed so far: a new one may open meanwhile (a client's heartbeat), so count closes.
  const closed = (s: Record<string, number>): number => s['cxTotal']! - s['cxActive']!;
  let after = await stats();
  // The connection is gone once its close event has run, which may come just after the reply (on a
  // busy host some time after: wait up to 5 s, not a number of polls).
  const until = Date.now() + 5000;
  while (closed(after) === closed(before) && Date.now() < until) {
    await sleep(10);
    after = await stats();
  }
  assert.equal(after['rsDecodeError']! - before['rsDecodeError']!, 1);
  assert.equal(closed(after) - closed(before), 1, 'the upstream connection was closed');
  // The client's own connection stays, and so does everyone else's; a new upstream connection serves.
  const small = await connection.exchange(call(9, 'big', 10));
  assert.equal(readHeader(small).status, 20);
  assert.equal((await bystander.call(DEMO, 'big', [java.int(100)])).res, 'x'.repeat(100));
});
