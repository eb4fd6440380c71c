import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ControlPlaneMetrics } from '../../../src/control-plane/control-plane-metrics.js';

const LDS = 'type.googleapis.com/envoy.config.listener.v3.Listener';
const RDS = 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration';

async function values(
  metrics: ControlPlaneMetrics,
  name: string,
): Promise<{ labels: object; value: number }[]> {
  const metric = metrics.registry.getSingleMetric(name);
  assert.ok(metric !== undefined, `${name} is registered`);
  return (await metric.get()).values.map(v => ({ labels: v.labels, value: v.value }));
}

test('pushes and NACKs are counted by xDS type; connected proxies are read when scraped', async () => {
  let connected = 3;
  const metrics = new ControlPlaneMetrics(() => connected);
  metrics.sent(LDS);
  metrics.sent(LDS);
  metrics.sent(RDS);
  metrics.answered(RDS, false, Date.now(), true);
  assert.deepEqual(await values(metrics, 'pilot_xds_pushes'), [
    { labels: { type: 'lds' }, value: 2 },
    { labels: { type: 'rds' }, value: 1 },
  ]);
  assert.deepEqual(await values(metrics, 'pilot_total_xds_rejects'), [{ labels: { type: 'rds' }, value: 1 }]);
  assert.deepEqual(await values(metrics, 'pilot_xds'), [{ labels: {}, value: 3 }]);
  connected = 1;
  assert.deepEqual(await values(metrics, 'pilot_xds'), [{ labels: {}, value: 1 }]);
});

test('convergence counts only ACKs of responses sent after the last publish', async () => {
  const metrics = new ControlPlaneMetrics(() => 0);
  const published = Date.now() - 50;
  metrics.published(published);
  metrics.answered(LDS, true, published - 10, true); // sent before the change: not converged on it
  metrics.answered(LDS, true, published + 5, false); // superseded: a newer response is on its way
  metrics.answered(LDS, true, published + 5, true);
  const text = await metrics.registry.getSingleMetricAsString('pilot_proxy_convergence_time');
  assert.match(text, /^pilot_proxy_convergence_time_count 1$/m);
  assert.match(
    await metrics.registry.getSingleMetricAsString('pilot_xds_push_time'),
    /^pilot_xds_push_time_count\{type="lds"\} 2$/m,
  );
});

test('config loads: applied and rejected counted, errors of the last load as a gauge', async () => {
  const metrics = new ControlPlaneMetrics(() => 0);
  metrics.configLoaded(0);
  metrics.configLoaded(3);
  assert.deepEqual(await values(metrics, 'aeraki_config_reloads_total'), [
    { labels: { result: 'applied' }, value: 1 },
    { labels: { result: 'rejected' }, value: 1 },
  ]);
  assert.deepEqual(await values(metrics, 'aeraki_config_errors'), [{ labels: {}, value: 3 }]);
  metrics.configLoaded(0);
  assert.deepEqual(await values(metrics, 'aeraki_config_errors'), [{ labels: {}, value: 0 }]);
});
