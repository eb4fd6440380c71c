/**
 * `aeraki proxy --config FILE`: a proxy started from a static bootstrap of Envoy v3 resources (JSON),
 * without a control plane; a bad file is refused with every problem named.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { loadConfig, translate } from '../../src/control-plane/index.js';
import { encodeSnapshot } from '../../src/xds/snapshot-codec.js';
import { resourceToJson } from '../../src/xds/resource-json.js';
import {
  connectHello,
  createConfigDir,
  destination,
  destinationRule,
  freePort,
  metaRouter,
  runAeraki,
  startAerakiCommand,
  startHelloServer,
  testAddress,
  thriftServiceEntry,
  versionTag,
  type ConfigDir,
  type HelloServer,
  type ThriftStack,
} from './harness/index.js';

const ADDRESS = testAddress(7);
const HOST = 'static.e2e.svc.cluster.local';
const STACK: ThriftStack = { protocol: 'compact', transport: 'framed' };

let v2: HelloServer | undefined;
let config: ConfigDir | undefined;
let port = 0;

before(async () => {
  v2 = await startHelloServer({ tag: versionTag('v2'), stack: STACK });
  port = await freePort(ADDRESS);
  config = await createConfigDir({
    'mesh.yaml': [
      thriftServiceEntry({
        name: 'static',
        host: HOST,
        addresses: [ADDRESS],
        port,
        endpoints: [{ address: v2.host, port: v2.port, labels: { version: 'v2' } }],
      }),
      destinationRule({ name: 'static', host: HOST, subsets: { v2: { version: 'v2' } } }),
      metaRouter({ name: 'static', host: HOST, routes: [{ name: 'v2', route: [destination(HOST, 'v2')] }] }),
    ],
  });
});

after(async () => {
  await v2?.close();
  await config?.remove();
});

test('a proxy runs a static bootstrap of Envoy resources', { timeout: 20000 }, async () => {
  const loaded = await loadConfig(config!.path);
  assert.deepEqual(loaded.issues, []);
  const file = join(config!.path, 'bootstrap.json');
  await writeFile(
    file,
    JSON.stringify({ resources: encodeSnapshot(translate(loaded.config)).map(resourceToJson) }),
  );
  const proxy = await startAerakiCommand(['proxy', '--config', file, '--admin', '127.0.0.1:0'], 'ready', {
    listeners: [{ host: ADDRESS, port }],
  });
  try {
    const hello = await connectHello(ADDRESS, port, { stack: STACK });
    for (let i = 0; i < 3; i++) assert.equal(await hello.client.whoami(), versionTag('v2'));
    await hello.close();
  } finally {
    await proxy.stop();
  }
});

test('a bad static bootstrap is refused, naming each problem', { timeout: 20000 }, async () => {
  const file = join(config!.path, 'bad.json');
  await writeFile(
    file,
    JSON.stringify([
      {
        '@type': 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
        name: 'r',
        virtual_hosts: [
          {
            name: 'dummy',
            domains: ['*'],
            routes: [{ match: { prefix: '/' }, route: { cluster: 'missing' } }],
          },
        ],
      },
    ]),
  );
  const result = await runAeraki(['proxy', '--config', file, '--admin', '127.0.0.1:0']);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /bad\.json: invalid config/);
  assert.match(result.stderr, /cluster "missing" is not defined/);
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
});
