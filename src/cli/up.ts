import { resolve } from 'node:path';
import { reportRefusedConfig } from './refused-config.js';
import { ControlPlaneAdminServer } from '../control-plane/admin-server.js';
import { ControlPlane } from '../control-plane/control-plane.js';
import { bindAdmin } from '../net/http-admin.js';
import { AerakiError, ErrorCodes } from '../errors.js';
import { parseCommandArgs, parseHostPort, parseXdsApi } from './args.js';
import { createLogger } from './logger.js';
import { startProxyRuntime } from './proxy-runtime.js';
import { DEBOUNCE_OPTIONS, DEBOUNCE_USAGE, debounceOptions } from './debounce-options.js';
import {
  CONFIG_LIMIT_OPTIONS,
  CONFIG_LIMIT_USAGE,
  CONFIG_WATCH_OPTIONS,
  CONFIG_WATCH_USAGE,
  configLimitOptions,
  configWatchOptions,
} from './config-source-options.js';
import { TELEMETRY_OPTIONS, TELEMETRY_USAGE, telemetryOptions } from './telemetry-options.js';
import { DRAIN_MS, untilSignal } from './signals.js';
import { PLUGIN_OPTIONS, PLUGIN_USAGE, filterCheckOf, loadCliCodecs } from './plugin-options.js';
import { checkDeclarativeCodec } from './declarative-codec-check.js';
import { LIMIT_OPTIONS, LIMIT_USAGE, limitOptions } from './limit-options.js';
import { WORKERS_OPTION, WORKERS_USAGE, workerCount } from './workers-option.js';

const USAGE = `Usage: aeraki up DIR [options]

Serves the config in DIR (every *.yaml / *.yml file below it, several documents per file) on this
machine: a control plane and a proxy, connected over xDS. For each ServiceEntry port named
tcp-metaprotocol-<protocol>-… (or tcp-thrift-…, tcp-dubbo-…) the proxy listens on every address of the
entry at that port and routes by the MetaRouter for its host. DIR is watched: a valid edit takes
effect within a second, connections stay open; an invalid one is reported and the running config
keeps serving.

Options:
  --admin HOST:PORT   the proxy's admin API (default 127.0.0.1:15000; port 0 picks a free one)
  --control-plane-admin HOST:PORT
                      the control plane's admin API, read by 'aeraki status' (default 127.0.0.1:15011)
  --xds HOST:PORT     where the control plane serves xDS (default 127.0.0.1:0, a free port)
  --xds-api API       how the proxy talks to it: delta (incremental xDS, the default) or sotw
${DEBOUNCE_USAGE}${CONFIG_WATCH_USAGE}${CONFIG_LIMIT_USAGE}  --log-level LEVEL   trace | debug | info | warn | error (default info)
${WORKERS_USAGE}${TELEMETRY_USAGE}${PLUGIN_USAGE}  --no-watch          do not watch DIR for changes

${LIMIT_USAGE}`;

/** `aeraki up DIR`: control plane + proxy through the xDS path, until SIGINT/SIGTERM. */
export async function upCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    args,
    {
      admin: { type: 'string', default: '127.0.0.1:15000' },
      'control-plane-admin': { type: 'string', default: '127.0.0.1:15011' },
      xds: { type: 'string', default: '127.0.0.1:0' },
      'xds-api': { type: 'string', default: 'delta' },
      ...DEBOUNCE_OPTIONS,
      ...CONFIG_WATCH_OPTIONS,
      ...CONFIG_LIMIT_OPTIONS,
      'log-level': { type: 'string' },
      ...TELEMETRY_OPTIONS,
      ...PLUGIN_OPTIONS,
      ...LIMIT_OPTIONS,
      ...WORKERS_OPTION,
      'no-watch': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    USAGE,
  );
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (positionals.length !== 1) throw new AerakiError(ErrorCodes.CLI_USAGE, `expected one DIR\n\n${USAGE}`);
  const dir = resolve(positionals[0]!);
  const admin = parseHostPort(values.admin, '--admin');
  const controlPlaneAdmin = parseHostPort(values['control-plane-admin'], '--control-plane-admin');
  const xds = parseHostPort(values.xds, '--xds');
  const api = parseXdsApi(values['xds-api']);
  const debounce = debounceOptions(values);
  const source = { ...configWatchOptions(values), ...configLimitOptions(values) };
  const limits = limitOptions(values);
  const workers = workerCount(values.workers);
  const logger = createLogger(values['log-level']);
  const { codecs, filters } = await loadCliCodecs(values.plugin, logger);

  const controlPlane = new ControlPlane({
    dir,
    logger,
    watch: !values['no-watch'],
    debounce,
    source,
    knownCodecs: codecs.names(),
    checkApplicationProtocol: checkDeclarativeCodec,
    checkFilter: filterCheckOf(filters),
  });
  const started = await controlPlane.start(xds.host, xds.port);
  if (started.snapshot === undefined) {
    reportRefusedConfig(started, dir, 'nothing was started');
    return 1;
  }

  const cpAdmin = new ControlPlaneAdminServer(controlPlane);
  const cpAdminPort = await bindAdmin(
    cpAdmin,
    'control-plane admin API',
    controlPlaneAdmin.host,
    controlPlaneAdmin.port,
  ).catch(async (err: unknown) => {
    await controlPlane.stop();
    throw err;
  });
  const stopControlPlane = (): Promise<unknown> => Promise.all([controlPlane.stop(), cpAdmin.close()]);

  const runtime = await startProxyRuntime({
    xds: { target: `${xds.host}:${started.port}`, nodeId: `aeraki-up~${process.pid}`, api },
    admin,
    logger,
    telemetry: telemetryOptions(values),
    codecs,
    filters,
    limits,
    workers: { count: workers, settings: { values } },
  }).catch(async (err: unknown) => {
    await stopControlPlane();
    throw err;
  });
  let rejected;
  try {
    rejected = await runtime.waitForListeners(
      [...started.snapshot.listeners, ...(started.snapshot.redisListeners ?? [])].map(l => l.name),
      10_000,
    );
  } catch (err) {
    await runtime.close(0);
    await stopControlPlane();
    throw err;
  }
  logger.info(
    {
      dir,
      version: controlPlane.version,
      listeners: [
        ...started.snapshot.listeners.map(l => `${l.address}:${l.port} (${l.protocol})`),
        ...(started.snapshot.redisListeners ?? []).map(l => `${l.address}:${l.port} (redis)`),
      ],
      admin: `${admin.host}:${runtime.adminPort}`,
      controlPlaneAdmin: `${controlPlaneAdmin.host}:${cpAdminPort}`,
      xds: `${xds.host}:${started.port}`,
      ...(rejected.length === 0 ? {} : { rejectedListeners: rejected.map(r => `${r.name}: ${r.reason}`) }),
    },
    'ready',
  );

  const signal = await untilSignal();
  logger.info({ signal }, 'shutting down');
  await runtime.close(DRAIN_MS);
  await stopControlPlane();
  return 0;
}
