import { resolve } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { reportRefusedConfig } from './refused-config.js';
import { ControlPlaneAdminServer } from '../control-plane/admin-server.js';
import { checkDeclarativeCodec } from './declarative-codec-check.js';
import { ControlPlane } from '../control-plane/control-plane.js';
import {
  DEFAULT_TOKEN_AUDIENCE,
  DEFAULT_TRUST_DOMAIN,
  TokenReviewAuthenticator,
} from '../control-plane/server/index.js';
import { bindAdmin } from '../net/http-admin.js';
import { AerakiError, ErrorCodes } from '../errors.js';
import { parseCommandArgs, parseHostPort } from './args.js';
import { DEBOUNCE_OPTIONS, DEBOUNCE_USAGE, debounceOptions } from './debounce-options.js';
import {
  CONFIG_LIMIT_OPTIONS,
  CONFIG_LIMIT_USAGE,
  CONFIG_WATCH_OPTIONS,
  CONFIG_WATCH_USAGE,
  configLimitOptions,
  configWatchOptions,
} from './config-source-options.js';
import { createLogger } from './logger.js';
import { PLUGIN_OPTIONS, PLUGIN_USAGE, filterCheckOf, loadCliCodecs } from './plugin-options.js';
import { MESH_OPTIONS, MESH_USAGE, meshOptions } from './mesh-options.js';
import { XDS_SECURITY_OPTIONS, XDS_SECURITY_USAGE, xdsPorts } from './xds-security-options.js';
import { KUBERNETES_OPTIONS, KUBERNETES_USAGE } from './kubernetes-options.js';
import { untilSignal } from './signals.js';

const USAGE = `Usage: aeraki control-plane (--config-dir DIR | --kubernetes) [options]

Serves the config in DIR over xDS (ADS, gRPC) to any number of proxies ('aeraki proxy --xds …').
DIR is watched: a valid edit is pushed within a second; an invalid one is reported (file, document,
field, rule) and the last good config keeps being served.

With --kubernetes, config comes from the Kubernetes API instead (ServiceEntry, DestinationRule,
Gateway, Services with their EndpointSlices, and the Aeraki kinds), listed and watched; an object
that breaks a rule is left out (or keeps its last accepted version) and the rest is served. If the
API server goes away, the last config read keeps serving and the watches resume when it is back.

Options:
  --config-dir DIR    the config directory
${KUBERNETES_USAGE}
  --admin HOST:PORT   admin API: /status (per-proxy ACK/NACK), /config (the config served and
                      its files), /snapshot, /resources, /visibility (why a proxy sees a service)
                      (default 127.0.0.1:15011; port 0 picks a free one)
${XDS_SECURITY_USAGE}${MESH_USAGE}${PLUGIN_USAGE}${DEBOUNCE_USAGE}${CONFIG_WATCH_USAGE}${CONFIG_LIMIT_USAGE}  --log-level LEVEL   trace | debug | info | warn | error (default info)
`;

/** How much V8 may grow the heap between full collections once the control plane runs. */
const RUNNING_HEAP_GROWING_PERCENT = 15;

/**
 * Called once the config is loaded and served. From then on V8 may grow the heap by 15% of what
 * survives a full collection before the next one, instead of up to several times that: what a
 * running control plane allocates (a reload's new index, translation and snapshot maps, about 40 MB
 * at 10,000 services) is collected before it piles up, instead of raising RSS edit after edit. Not
 * from the start: loading a large config would then collect far more often and take 35% more CPU.
 * The loading's own garbage is collected stage by stage instead (ControlPlaneOptions.collectGarbage,
 * with the `gc` bin/aeraki exposes; run otherwise, it is left to V8). Figures:
 * bench/control-plane/README.md.
 */
function settleHeap(): void {
  setFlagsFromString(`--heap-growing-percent=${RUNNING_HEAP_GROWING_PERCENT}`);
}

/** `aeraki control-plane --config-dir DIR`. */
export async function controlPlaneCommand(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(
    args,
    {
      'config-dir': { type: 'string' },
      ...XDS_SECURITY_OPTIONS,
      ...MESH_OPTIONS,
      ...KUBERNETES_OPTIONS,
      admin: { type: 'string', default: '127.0.0.1:15011' },
      ...DEBOUNCE_OPTIONS,
      ...CONFIG_WATCH_OPTIONS,
      ...CONFIG_LIMIT_OPTIONS,
      ...PLUGIN_OPTIONS,
      'log-level': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    USAGE,
  );
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if ((values['config-dir'] === undefined) === !values.kubernetes)
    throw new AerakiError(
      ErrorCodes.CLI_USAGE,
      `give exactly one of --config-dir and --kubernetes\n\n${USAGE}`,
    );
  const ports = xdsPorts(values);
  if (values['token-audience'] !== undefined && (!values.kubernetes || ports.tls === undefined))
    throw new AerakiError(
      ErrorCodes.CLI_USAGE,
      '--token-audience needs --kubernetes (tokens are checked with a TokenReview) and the TLS port (--tls-cert, --tls-key, --tls-ca)',
    );
  const mesh = meshOptions(values);
  const adminAddress = parseHostPort(values.admin, '--admin');
  const debounce = debounceOptions(values);
  const source = { ...configWatchOptions(values), ...configLimitOptions(values) };
  const logger = createLogger(values['log-level']);
  // The plugins the proxies run: their codecs and filters are known, their filters' configs checked.
  const { codecs, filters } = await loadCliCodecs(values.plugin, logger);
  const kubernetes = values.kubernetes
    ? new (await import('./kubernetes-runtime.js')).KubernetesRuntime(values, logger)
    : undefined;
  const dir = kubernetes === undefined ? resolve(values['config-dir'] ?? '.') : kubernetes.description;
  const collectGarbage = (globalThis as { gc?: () => void }).gc;
  const controlPlane = new ControlPlane({
    dir,
    logger,
    debounce,
    knownCodecs: codecs.names(),
    checkApplicationProtocol: checkDeclarativeCodec,
    checkFilter: filterCheckOf(filters),
    source,
    mesh,
    ...(kubernetes === undefined ? {} : { loader: kubernetes.loader, onPublished: kubernetes.published }),
    ...(collectGarbage === undefined ? {} : { collectGarbage }),
  });
  const plaintext = ports.plaintext;
  const started = await controlPlane
    .start(plaintext?.host ?? null, plaintext?.port)
    .catch((err: NodeJS.ErrnoException) => {
      throw new AerakiError(
        ErrorCodes.LISTEN_FAILED,
        `xDS server cannot listen on ${values.listen}: ${err.message}`,
        {
          cause: err,
        },
      );
    });
  if (started.snapshot === undefined) {
    reportRefusedConfig(started, dir, 'the control plane was not started');
    return 1;
  }
  const tls = ports.tls;
  if (tls !== undefined && 'secret' in tls && kubernetes === undefined)
    throw new AerakiError(ErrorCodes.CLI_USAGE, '--tls-secret needs --kubernetes');
  const tokenReview =
    kubernetes === undefined || tls === undefined
      ? undefined
      : new TokenReviewAuthenticator(kubernetes.client, {
          audiences: values['token-audience'] ?? [DEFAULT_TOKEN_AUDIENCE],
          trustDomain: tls.trustDomains?.[0] ?? DEFAULT_TRUST_DOMAIN,
        });
  const listenTls = async (): Promise<number | undefined> => {
    if (tls === undefined) return undefined;
    const settings = { ...tls, ...(tokenReview === undefined ? {} : { authenticators: [tokenReview] }) };
    if ('files' in tls) return controlPlane.listenTls({ ...settings, ...tls.files });
    return controlPlane.listenTlsWith(settings, await kubernetes!.certificate(tls.secret, '--tls-secret'));
  };
  const tlsPort = await listenTls().catch(async (err: unknown) => {
    await controlPlane.stop();
    if (err instanceof AerakiError) throw err;
    throw new AerakiError(
      ErrorCodes.LISTEN_FAILED,
      `TLS xDS server cannot listen on ${values['tls-listen']}: ${(err as Error).message}`,
      { cause: err },
    );
  });
  const admin = new ControlPlaneAdminServer(controlPlane);
  const adminPort = await bindAdmin(admin, 'admin API', adminAddress.host, adminAddress.port).catch(
    async (err: unknown) => {
      await controlPlane.stop();
      throw err;
    },
  );
  logger.info(
    {
      dir,
      ...(plaintext === undefined ? {} : { xds: `${plaintext.host}:${started.port}` }),
      ...(tls === undefined ? {} : { xdsTls: `${tls.host}:${tlsPort ?? 0}` }),
      admin: `${adminAddress.host}:${adminPort}`,
      version: controlPlane.version,
    },
    'ready',
  );
  if (plaintext?.exposed === true) {
    logger.warn(
      { xds: `${plaintext.host}:${started.port}` },
      'xDS is served in plaintext without authentication on a non-loopback address (--plaintext-insecure): anyone who can reach it can read the whole config and subscribe as any proxy; proxies should use the TLS port',
    );
  }
  await kubernetes?.start(controlPlane).catch(async (err: unknown) => {
    await Promise.all([controlPlane.stop(), admin.close()]);
    throw err;
  });
  settleHeap();
  const signal = await untilSignal();
  logger.info({ signal }, 'shutting down');
  await kubernetes?.stop();
  await Promise.all([controlPlane.stop(), admin.close()]);
  return 0;
}
