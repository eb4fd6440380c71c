/**
 * The quickstart demo (`npm run quickstart`): `aeraki up examples/` in front of two services, each in
 * two versions — a Thrift service (real Apache Thrift servers and clients) and a Dubbo service (Dubbo2
 * providers on hessian.js, the dubbo2.js client) — with a live count of how many calls each version
 * got. The splits follow examples/thrift/metarouter.yaml (20% v1, 80% v2) and
 * examples/dubbo/metarouter.yaml (80% v1, 20% v2); edit them while it runs. A Redis service is split
 * by key prefix over three redis-servers (examples/redis/redisservice.yaml), with a live count of
 * the keys each store received.
 *
 * Options: see USAGE in scripts/quickstart/options.ts.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { repoRoot, startAeraki, type AerakiProcess } from '../test/e2e/harness/index.js';
import { loadDemoConfig, reloadRouting, type HostPort, type RoutingState } from './quickstart/demo-config.js';
import { dubboDriver } from './quickstart/dubbo-driver.js';
import { redisDriver } from './quickstart/redis-driver.js';
import { LiveView, type ServiceFrame } from './quickstart/live-view.js';
import { parseOptions, USAGE } from './quickstart/options.js';
import { ensureFree } from './quickstart/ports.js';
import type { ProtocolDriver } from './quickstart/protocol-driver.js';
import { configuredSplit } from './quickstart/route-split.js';
import { ServiceDemo } from './quickstart/service-demo.js';
import { thriftDriver } from './quickstart/thrift-driver.js';

/** Served by one `aeraki up`: every example below it (each subfolder uses its own addresses and ports). */
const CONFIG_DIR = 'examples';
/** The protocols the quickstart starts backends and clients for. */
const DRIVERS: ReadonlyMap<string, ProtocolDriver> = new Map(
  [thriftDriver, dubboDriver, redisDriver].map(d => [d.protocol, d]),
);

/** Resolves with 'interrupted' at the first SIGINT/SIGTERM; a second one exits at once. */
function stopOnSignal(): { signalled: Promise<string>; readonly received: () => boolean } {
  let received = false;
  let resolve: (reason: string) => void = () => {};
  const signalled = new Promise<string>(r => (resolve = r));
  const onSignal = (): void => {
    // The harness kills `aeraki up` on exit; the servers and clients live in this process.
    if (received) process.exit(0);
    received = true;
    resolve('interrupted');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return { signalled, received: () => received };
}

function frameOf(
  demo: ServiceDemo,
  window: ReadonlyMap<string, number>,
  routing: RoutingState,
): ServiceFrame {
  const routes = routing.routes.get(demo.service.host);
  return {
    demo,
    window,
    split: routes === undefined ? undefined : configuredSplit(routes.routes, demo.driver.callAttributes),
    routesFile: routes?.file,
  };
}

function describeSplit(demo: ServiceDemo, routing: RoutingState): string {
  const own = demo.service.routing;
  if (own !== undefined) return `${own.file} (${own.description})`;
  const routes = routing.routes.get(demo.service.host);
  if (routes === undefined) return `no MetaRouter for ${demo.service.host}`;
  const split = configuredSplit(routes.routes, demo.driver.callAttributes);
  if (split === undefined) return `${routes.file} (no route matches these calls)`;
  const weights = [...split.weights].map(([subset, w]) => `${subset} ${w}%`).join(', ');
  return `${routes.file} (route ${split.routeName}: ${weights})`;
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const stop = stopOnSignal();
  const root = repoRoot();
  const configDir = join(root, CONFIG_DIR);
  const config = await loadDemoConfig(configDir, root, new Set(DRIVERS.keys()));
  const order = [...DRIVERS.keys()];
  const demos = config.services
    .map(s => new ServiceDemo(s, DRIVERS.get(s.protocol)!))
    .sort((a, b) => order.indexOf(a.service.protocol) - order.indexOf(b.service.protocol));

  for (const { service } of demos) {
    for (const e of service.endpoints) {
      await ensureFree(e.host, e.port, `${service.name} ${e.version} (an endpoint in ${service.file})`);
    }
  }
  for (const l of config.listeners) {
    await ensureFree(
      l.host,
      l.port,
      `the proxy's listener (a ServiceEntry address and port in ${CONFIG_DIR}/)`,
    );
  }

  const out = process.stdout;
  const view = new LiveView(out.isTTY === true);
  let aeraki: AerakiProcess | undefined;
  try {
    const services = demos.map(d => `a ${d.driver.title} service`).join(' and ');
    out.write(
      `Aeraki quickstart: ${services}, each running as v1 and v2,\n` +
        `behind one MetaProtocol proxy that routes their calls by the YAML in ${CONFIG_DIR}/.\n\n`,
    );
    for (const demo of demos) {
      await demo.startBackends(e =>
        out.write(
          `  started ${demo.service.name} ${e.version} on ${e.host}:${e.port}: ${demo.driver.backendKind}\n`,
        ),
      );
    }
    if (stop.received()) return 0;

    out.write(`  starting aeraki up ${CONFIG_DIR}/ …\n`);
    const args = [
      ...(options.admin === undefined ? [] : ['--admin', options.admin]),
      ...(options.controlPlaneAdmin === undefined
        ? []
        : ['--control-plane-admin', options.controlPlaneAdmin]),
    ];
    aeraki = await startAeraki(configDir, { args, listeners: config.listeners, readyTimeoutMs: 20000 });
    const ready = aeraki.logs.find(l => l.msg === 'ready');
    const listeners = demos.flatMap(d => d.service.listeners.map(l => `${hostPort(l)} (${d.driver.title})`));
    for (const l of config.listeners) {
      if (!demos.some(d => d.service.listeners.some(s => s.host === l.host && s.port === l.port))) {
        listeners.push(`${hostPort(l)} (no backends started by the quickstart)`);
      }
    }
    out.write(
      `  aeraki up ${CONFIG_DIR}/ is ready (pid ${aeraki.pid})\n` +
        `    the proxy listens on ${listeners.join(', ')}\n` +
        (typeof ready?.admin === 'string'
          ? `    admin API: http://${ready.admin}/ (try /clusters, /routes, /config_dump)\n`
          : '') +
        (typeof ready?.controlPlaneAdmin === 'string'
          ? `    control plane admin API: http://${ready.controlPlaneAdmin}/ (aeraki status reads it)\n`
          : ''),
    );
    if (stop.received()) return 0;

    const perService = options.rate > 0 ? `, ${options.rate} calls/s` : ', as fast as they can';
    for (const demo of demos) {
      await demo.startClients(options.concurrency, options.rate);
      out.write(
        `  ${options.concurrency} ${demo.driver.clientKind} call ${demo.driver.callDescription} ` +
          `through ${hostPort(demo.listener)}${perService}\n`,
      );
    }

    let routing = config.routing;
    const width = Math.max(...demos.map(d => d.driver.title.length)) + 1;
    out.write(
      `\nTo change a split, edit the weights in a MetaRouter (they add up to 100), or a RedisService's prefixes, and save;\n` +
        `new calls follow within a second, on the connections already open:\n` +
        demos.map(d => `  ${`${d.driver.title}:`.padEnd(width)} ${describeSplit(d, routing)}\n`).join('') +
        `\n${options.durationSeconds === undefined ? 'Press Ctrl-C to stop.' : `Running for ${options.durationSeconds}s.`}\n\n`,
    );

    const started = performance.now();
    const deadline =
      options.durationSeconds === undefined ? Infinity : started + options.durationSeconds * 1000;
    const proxyExited = aeraki.waitExit().then(() => 'proxy-exited');
    let reason = '';
    for (let second = 1; reason === ''; second++) {
      // Ticks on a fixed schedule, so the time spent drawing does not add up.
      const tickAt = Math.min(started + second * 1000, deadline);
      const tick = sleep(Math.max(0, tickAt - performance.now())).then(() => '');
      reason = await Promise.race([tick, stop.signalled, proxyExited]);
      if (reason === 'proxy-exited') {
        // On a terminal, Ctrl-C reaches `aeraki up` too, which may exit before this process sees it.
        reason = await Promise.race([stop.signalled, sleep(300).then(() => 'proxy-exited')]);
        if (reason === 'proxy-exited') {
          process.stderr.write(`\nquickstart: aeraki up stopped unexpectedly\n${aeraki.outputTail()}\n`);
          return 1;
        }
      }
      if (reason === 'interrupted') break;
      const elapsed = (performance.now() - started) / 1000;
      const windows = demos.map(d => d.tally.takeWindow());
      routing = await reloadRouting(configDir, root, routing).catch(() => routing);
      view.update(
        elapsed,
        options.durationSeconds,
        demos.map((d, i) => frameOf(d, windows[i]!, routing)),
        routing.errors,
      );
      for (const demo of demos) {
        demo.tally.checkpoint();
        demo.tick();
      }
      if (performance.now() >= deadline) reason = 'done';
    }

    for (const demo of demos) await demo.stopClients();
    if (reason === 'interrupted') {
      // Ctrl-C on a terminal also reaches `aeraki up`, which may close the clients' connections before
      // this process sees the signal: the summary counts up to the last full second, without those.
      for (const demo of demos) demo.tally.rollback();
      out.write('\n\nStopped; counts up to the last full second:');
    }
    view.summary(demos);
    if (reason === 'interrupted') return 0;
    const silent = demos.filter(d => d.tally.sum === 0);
    if (silent.length > 0) {
      for (const d of silent) {
        process.stderr.write(
          `quickstart: no ${d.driver.title} call succeeded` +
            (d.tally.lastError === '' ? '\n' : `; last error: ${d.tally.lastError}\n`),
        );
      }
      return 1;
    }
    return 0;
  } catch (err) {
    // Ctrl-C while starting also stops `aeraki up` (same terminal), which then fails to become ready.
    if (stop.received()) return 0;
    throw err;
  } finally {
    for (const demo of demos) await demo.stopClients();
    await aeraki?.stop();
    for (const demo of demos) await demo.closeBackends();
  }
}

function hostPort(l: HostPort): string {
  return `${l.host}:${l.port}`;
}

try {
  process.exitCode = await main();
} catch (err) {
  // Printed without a stack: QuickstartErrors say what to fix, the others (aeraki up not starting) carry its output.
  process.stderr.write(`quickstart: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
// Client sockets, timers and signal handlers must not keep a finished demo alive.
process.exit(process.exitCode);
