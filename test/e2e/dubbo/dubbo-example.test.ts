/**
 * examples/dubbo/ as shipped: it validates, and `aeraki up examples/dubbo/` with providers on its
 * endpoint ports routes service version 2.0.0 to v2 and splits the other calls 80/20.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { binomialBounds, repoRoot, runAeraki, startAeraki, type AerakiProcess } from '../harness/index.js';
import { Dubbo2jsClient } from './dubbo2js-client.js';
import { startProvider, type HessianProvider } from './hessian-provider.js';

const EXAMPLE = join(repoRoot(), 'examples/dubbo');
/** Where the example's ServiceEntry puts the service and its two endpoints. */
const LISTENER = { host: '127.0.20.1', port: 20880 };
const ENDPOINTS = { v1: 20891, v2: 20892 } as const;
const SERVICE = 'org.apache.dubbo.samples.basic.api.DemoService';
const SPLIT_CALLS = 200;

const providers: HessianProvider[] = [];
let aeraki: AerakiProcess | undefined;
let client: Dubbo2jsClient | undefined;

before(
  async () => {
    for (const [tag, port] of Object.entries(ENDPOINTS)) providers.push(await startProvider({ tag, port }));
    aeraki = await startAeraki(EXAMPLE, { listeners: [LISTENER] });
    client = new Dubbo2jsClient(LISTENER.host, LISTENER.port);
  },
  { timeout: 30000 },
);

after(async () => {
  client?.close();
  await aeraki?.stop();
  await Promise.all(providers.map(p => p.close()));
});

test('the example validates', async () => {
  const result = await runAeraki(['validate', EXAMPLE]);
  assert.equal(result.code, 0, result.stdout + result.stderr);
});

test('service version 2.0.0 goes to v2; other calls split 80/20', async () => {
  for (let i = 0; i < 5; i++) {
    const { res, err } = await client!.call(SERVICE, 'sayHello', [], { version: '2.0.0' });
    assert.equal(err, null);
    assert.equal(res, 'v2');
  }
  const results = await Promise.all(
    Array.from({ length: SPLIT_CALLS }, () => client!.call(SERVICE, 'sayHello', [], { version: '1.0.0' })),
  );
  const v1 = results.filter(r => r.res === 'v1').length;
  assert.equal(v1 + results.filter(r => r.res === 'v2').length, SPLIT_CALLS);
  const { low, high } = binomialBounds(SPLIT_CALLS, 0.8, 0.999);
  assert.ok(v1 >= low && v1 <= high, `v1 got ${v1} of ${SPLIT_CALLS}, expected ${low}..${high}`);
});
