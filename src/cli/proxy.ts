import { hostname } from 'node:os';
import { AerakiError, ErrorCodes } from '../errors.js';
import { parseCommandArgs, parseHostPort, parseXdsApi } from './args.js';
import { createLogger } from './logger.js';
import { startProxyRuntime } from './proxy-runtime.js';
import { TELEMETRY_OPTIONS, TELEMETRY_USAGE, telemetryOptions } from './telemetry-options.js';
import { LIMIT_OPTIONS, LIMIT_USAGE, limitOptions } from './limit-options.js';
import { readStaticConfig } from './static-config.js';
import { DRAIN_MS, untilSignal } from './signals.js';

const USAGE = `Usage: aeraki proxy (--xds HOST:PORT | --config FILE) [options]

Runs a MetaProtocol proxy configured over xDS by a control plane ('aeraki control-plane'). Route
changes never close a connection; if the control plane goes away, the proxy keeps its last good
config and reconnects with backoff. An invalid update is rejected (NACK) with a readable reason.

Options:
  --xds HOST:PORT     the control plane's xDS address
  --config FILE       a static bootstrap instead: Envoy v3 resources as JSON (a list, or
                      {"resources": [...]}: Listener, Cluster, ClusterLoadAssignment, RouteConfiguration)
  --node-id ID        this proxy's node id (default sidecar~<hostname>~<pid>)
  --xds-api API       delta (incremental xDS, the default) or sotw (state of the world)
  --admin HOST:PORT   admin API address (default 127.0.0.1:15000; port 0 picks a free one)
  --log-level LEVEL   trace | debug | info | warn | error (default info)
${TELEMETRY_USAGE}
${LIMIT_USAGE}`;

/** `aeraki proxy --xds HOST:PORT`. */
export async function proxyCommand(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(
    args,
    {
      xds: { type: 'string' },
      config: { type: 'string' },
      'node-id': { type: 'string' },
      'xds-api': { type: 'string', default: 'delta' },
      admin: { type: 'string', default: '127.0.0.1:15000' },
      'log-level': { type: 'string' },
      ...TELEMETRY_OPTIONS,
      ...LIMIT_OPTIONS,
      help: { type: 'boolean', short: 'h', default: false },
    },
    USAGE,
  );
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if ((values.xds === undefined) === (values.config === undefined)) {
    throw new AerakiError(ErrorCodes.CLI_USAGE, `give exactly one of --xds and --config\n\n${USAGE}`);
  }
  if (values.xds !== undefined) parseHostPort(values.xds, '--xds');
  const api = parseXdsApi(values['xds-api']);
  const limits = limitOptions(values);
  const staticConfig = values.config === undefined ? undefined : await readStaticConfig(values.config);
  const logger = createLogger(values['log-level']);
  const nodeId = values['node-id'] ?? `sidecar~${hostname()}~${process.pid}`;
  const runtime = await startProxyRuntime({
    xds: values.xds === undefined ? undefined : { target: values.xds, nodeId, api },
    admin: parseHostPort(values.admin, '--admin'),
    logger,
    telemetry: telemetryOptions(values),
    limits,
  });
  if (staticConfig !== undefined) {
    try {
      await runtime.proxy.apply(staticConfig);
    } catch (err) {
      await runtime.close(0);
      throw err;
    }
    logger.info({ config: values.config, version: staticConfig.version, admin: runtime.adminPort }, 'ready');
  } else {
    logger.info({ xds: values.xds, nodeId, admin: runtime.adminPort }, 'proxy started; waiting for config');
  }
  const signal = await untilSignal();
  logger.info({ signal }, 'shutting down');
  await runtime.close(DRAIN_MS);
  return 0;
}
