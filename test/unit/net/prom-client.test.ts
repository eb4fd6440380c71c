/**
 * prom-client from its own modules: the same metrics as its index's `collectDefaultMetrics`, without
 * what the index loads besides (OpenTelemetry's API, the Pushgateway's https and zlib).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import * as promClient from 'prom-client';
import { Counter, Gauge, Histogram, Registry, collectProcessMetrics } from '../../../src/net/prom-client.js';

test('the process metrics are those of collectDefaultMetrics: names, types and help', async () => {
  const ours = new Registry();
  collectProcessMetrics(ours);
  const theirs = new promClient.Registry();
  promClient.collectDefaultMetrics({ register: theirs });
  const shape = async (registry: promClient.Registry) =>
    (await registry.getMetricsAsJSON()).map(m => ({ name: m.name, type: m.type, help: m.help }));
  assert.deepEqual(await shape(ours), await shape(theirs));
});

test('the CPU counters add up the CPU time spent between scrapes', async () => {
  const registry = new Registry();
  collectProcessMetrics(registry);
  const cpu = async () => {
    const metrics = await registry.getMetricsAsJSON();
    const value = (name: string) => metrics.find(m => m.name === name)?.values[0]?.value ?? NaN;
    return {
      user: value('process_cpu_user_seconds_total'),
      system: value('process_cpu_system_seconds_total'),
      total: value('process_cpu_seconds_total'),
    };
  };
  const before = await cpu();
  const spinUntil = process.cpuUsage().user + 50_000;
  while (process.cpuUsage().user < spinUntil) Math.sqrt(Math.random());
  const after = await cpu();
  assert.ok(after.user - before.user >= 0.05, `user ${before.user} -> ${after.user}`);
  assert.ok(after.system >= before.system);
  assert.ok(Math.abs(after.total - (after.user + after.system)) < 1e-9);
});

test("the classes are prom-client's own", () => {
  assert.equal(Registry, promClient.Registry);
  assert.equal(Counter, promClient.Counter);
  assert.equal(Gauge, promClient.Gauge);
  assert.equal(Histogram, promClient.Histogram);
});

test("it loads neither OpenTelemetry's API nor the Pushgateway's modules", () => {
  const module = new URL('../../../src/net/prom-client.js', import.meta.url).href;
  const script = `
    const { Registry, collectProcessMetrics } = await import(${JSON.stringify(module)});
    collectProcessMetrics(new Registry());
    const { createRequire } = await import('node:module');
    const loaded = Object.keys(createRequire(import.meta.url).cache);
    const builtins = process.moduleLoadList.filter(m => /^NativeModule (https|zlib)$/.test(m));
    process.stdout.write(JSON.stringify({ loaded, builtins }));
    process.exit(0);`;
  const out = JSON.parse(
    execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }),
  ) as {
    loaded: string[];
    builtins: string[];
  };
  assert.ok(
    out.loaded.some(f => f.includes('/prom-client/lib/registry.js')),
    'prom-client is loaded',
  );
  assert.deepEqual(
    out.loaded.filter(f => f.includes('@opentelemetry') || f.includes('pushgateway')),
    [],
  );
  assert.deepEqual(out.builtins, []);
});
