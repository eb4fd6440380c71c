import { AerakiError, ErrorCodes } from '../errors.js';
import { parseDurationMs } from '../api/duration-text.js';
import { DEFAULT_RECONNECT_BACKOFF, type BackoffPolicy } from '../net/retry-backoff.js';
import { parseCommandArgs, parseHostPort, parseXdsApi } from './args.js';
import { createLogger } from './logger.js';
import { startProxyRuntime } from './proxy-runtime.js';
import { TELEMETRY_OPTIONS, TELEMETRY_USAGE, telemetryOptions } from './telemetry-options.js';
import { LIMIT_OPTIONS, LIMIT_USAGE, limitOptions } from './limit-options.js';
import { WORKERS_OPTION, WORKERS_USAGE, workerCount } from './workers-option.js';
import { readStaticConfig } from './static-config.js';
import { releaseProtoSchema } from '../xds/proto-root.js';
import { DRAIN_MS, untilSignal } from './signals.js';
import { PLUGIN_OPTIONS, PLUGIN_USAGE, loadCliCodecs } from './plugin-options.js';
import {
  PROXY_IDENTITY_OPTIONS,
  PROXY_IDENTITY_USAGE,
  defaultNodeId,
  proxyNodeIdentity,
  xdsConnection,
} from './proxy-identity-options.js';

const USAGE = `Usage: aeraki proxy (--xds HOST:PORT | --config FILE) [options]

Runs a MetaProtocol proxy configured over xDS by a control plane ('aeraki control-plane'). Route
changes never close a connection; if the control plane goes away, the proxy keeps its last good
config and reconnects with backoff. An invalid update is rejected (NACK) with a readable reason.

Options:
  --xds HOST:PORT     the control plane's xDS address
  --config FILE       a static bootstrap instead: Envoy v3 resources as JSON (a list, or
                      {"resources": [...]}: Listener, Cluster, ClusterLoadAssignment, RouteConfiguration)
  --node-id ID        this proxy's node id (default sidecar~<ip>~<pod>.<ns>~<ns>.svc.cluster.local
                      with a namespace, else sidecar~<hostname>~<pid>)
  --listen-address IP bind every listener on IP instead of its service's address (in a
                      Kubernetes pod: 0.0.0.0 for a gateway, 127.0.0.1 for a sidecar)
  --xds-api API       delta (incremental xDS, the default) or sotw (state of the world)
  --xds-retry-initial DURATION, --xds-retry-max DURATION
                      reconnect backoff: the first wait is up to the initial one, doubling
                      up to the max, each drawn at random below that (default 250ms, 2s)
  --admin HOST:PORT   admin API address (default 127.0.0.1:15000; port 0 picks a free one)
  --log-level LEVEL   trace | debug | info | warn | error (default info)
${WORKERS_USAGE}${PROXY_IDENTITY_USAGE}${TELEMETRY_USAGE}${PLUGIN_USAGE}
${LIMIT_USAGE}`;

/** `aeraki proxy --xds HOST:PORT`. */
export async function proxyCommand(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(
    args,
    {
      xds: { type: 'string' },
      config: { type: 'string' },
      'node-id': { type: 'string' },
      'listen-address': { type: 'string' },
      'xds-api': { type: 'string', default: 'delta' },
      'xds-retry-initial': { type: 'string' },
      'xds-retry-max': { type: 'string' },
      admin: { type: 'string', default: '127.0.0.1:15000' },
      'log-level': { type: 'string' },
      ...PROXY_IDENTITY_OPTIONS,
      ...TELEMETRY_OPTIONS,
      ...PLUGIN_OPTIONS,
      ...LIMIT_OPTIONS,
      ...WORKERS_OPTION,
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
  const backoff = parseBackoff(values['xds-retry-initial'], values['xds-retry-max']);
  const limits = limitOptions(values);
  const workers = workerCount(values.workers);
  const staticConfig = values.config === undefined ? undefined : await readStaticConfig(values.config);
  // Read: without an xDS client nothing decodes protobuf any more (a worker's config is plain
  // objects; a rate-limit service's client reads the schema again when it makes its first channel),
  // so the schema goes with the full collection after the config is applied (Proxy.apply).
  if (staticConfig !== undefined) releaseProtoSchema();
  const logger = createLogger(values['log-level']);
  const identity = proxyNodeIdentity(values);
  const connection = xdsConnection(values);
  const nodeId = values['node-id'] ?? defaultNodeId(identity.namespace);
  // With workers, only they run codecs and filters; the primary loads the plugins only to fail here
  // if one does not load.
  const { codecs, filters } =
    workers > 1 && (values.plugin ?? []).length === 0
      ? { codecs: undefined, filters: undefined }
      : await loadCliCodecs(values.plugin, logger);
  const runtime = await startProxyRuntime({
    ...(codecs === undefined ? {} : { codecs }),
    ...(filters === undefined ? {} : { filters }),
    xds:
      values.xds === undefined
        ? undefined
        : {
            target: values.xds,
            nodeId,
            api,
            backoff,
            ...(Object.keys(identity.metadata).length === 0 ? {} : { metadata: identity.metadata }),
            ...(connection === undefined ? {} : { connection }),
          },
    admin: parseHostPort(values.admin, '--admin'),
    logger,
    telemetry: telemetryOptions(values),
    limits,
    workers: { count: workers, settings: { values } },
    ...(values['listen-address'] === undefined ? {} : { listenAddress: values['listen-address'] }),
  });
  if (staticConfig !== undefined) {
    let rejected;
    try {
      ({ rejected } = await runtime.apply(staticConfig));
    } catch (err) {
      await runtime.close(0);
      throw err;
    }
    logger.info(
      {
        config: values.config,
        version: staticConfig.version,
        admin: runtime.adminPort,
        ...(rejected.length === 0 ? {} : { rejectedListeners: rejected.map(r => `${r.name}: ${r.reason}`) }),
      },
      'ready',
    );
  } else {
    logger.info(
      { xds: values.xds, tls: connection !== undefined, nodeId, admin: runtime.adminPort },
      'proxy started; waiting for config',
    );
  }
  const signal = await untilSignal();
  logger.info({ signal }, 'shutting down');
  await runtime.close(DRAIN_MS);
  return 0;
}

/** `--xds-retry-initial` and `--xds-retry-max` as a backoff policy. */
function parseBackoff(initial: string | undefined, max: string | undefined): BackoffPolicy {
  const initialMs =
    initial === undefined
      ? DEFAULT_RECONNECT_BACKOFF.initialMs
      : durationOption(initial, '--xds-retry-initial');
  const maxMs =
    max === undefined
      ? Math.max(DEFAULT_RECONNECT_BACKOFF.maxMs, initialMs)
      : durationOption(max, '--xds-retry-max');
  if (initialMs <= 0 || maxMs < initialMs) {
    throw new AerakiError(
      ErrorCodes.CLI_USAGE,
      `the xDS retry backoff needs 0 < --xds-retry-initial ≤ --xds-retry-max, got ${initialMs} ms and ${maxMs} ms`,
    );
  }
  return { initialMs, maxMs };
}

function durationOption(value: string, option: string): number {
  const ms = parseDurationMs(value);
  if (ms === undefined)
    throw new AerakiError(
      ErrorCodes.CLI_USAGE,
      `${option} must be a duration such as 500ms or 2s, got '${value}'`,
    );
  return ms;
}
