import { resolve } from 'node:path';
import { builtinCodecs } from '../codecs/index.js';
import {
  loadConfig,
  translate,
  watchConfig,
  type ConfigIssue,
  type LoadedConfig,
} from '../control-plane/index.js';
import { AerakiError, ErrorCodes } from '../errors.js';
import { AdminServer } from '../proxy/admin-server.js';
import { Proxy } from '../proxy/proxy.js';
import { parseCommandArgs, parseHostPort } from './args.js';
import { formatIssue } from './issue-format.js';
import { createLogger } from './logger.js';

const USAGE = `Usage: aeraki up DIR [options]

Serves the config in DIR (every *.yaml / *.yml file below it, several documents per file): for each
ServiceEntry port named tcp-metaprotocol-<protocol>-… (or tcp-thrift-…, tcp-dubbo-…) the proxy listens
on every address of the entry at that port and routes by the MetaRouter for its host. DIR is watched:
a valid edit takes effect at once; an invalid one is reported and the running config keeps serving.

Options:
  --admin HOST:PORT   admin API address (default 127.0.0.1:15000; port 0 picks a free one)
  --log-level LEVEL   trace | debug | info | warn | error (default info)
  --no-watch          do not watch DIR for changes
`;

/** `aeraki up DIR`: loads, validates and serves a config directory until SIGINT/SIGTERM. */
export async function upCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    args,
    {
      admin: { type: 'string', default: '127.0.0.1:15000' },
      'log-level': { type: 'string' },
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
  const logger = createLogger(values['log-level']);
  const proxy = new Proxy(builtinCodecs(), logger);
  let applying = Promise.resolve();
  const onChange = (next: LoadedConfig): void => {
    applying = applying.then(() => reload(next, proxy, logger));
  };
  const { initial: first, watch } = values['no-watch']
    ? { initial: await loadConfig(dir), watch: { close: () => {} } }
    : await watchConfig(dir, onChange);
  const errors = first.issues.filter(i => i.severity === 'error');
  if (errors.length > 0) {
    watch.close();
    printIssues(first.issues);
    process.stderr.write(`aeraki: ${errors.length} error(s) in ${dir}; nothing was started\n`);
    return 1;
  }
  for (const issue of first.issues) logger.warn({ issue }, formatIssue(issue, false));

  const adminServer = new AdminServer(proxy);
  try {
    await proxy.apply(translate(first.config));
  } catch (err) {
    watch.close();
    await proxy.close(0);
    throw err;
  }
  const adminPort = await adminServer.listen(admin.host, admin.port).catch((err: NodeJS.ErrnoException) => {
    throw new AerakiError(
      ErrorCodes.LISTEN_FAILED,
      `admin API cannot listen on ${admin.host}:${admin.port}: ${err.code ?? err.message}`,
      { cause: err },
    );
  });
  logger.info(
    {
      dir,
      version: proxy.current?.version,
      listeners: proxy.current?.listeners.map(l => `${l.address}:${l.port} (${l.protocol})`),
      admin: `${admin.host}:${adminPort}`,
    },
    'ready',
  );

  await new Promise<void>(done => {
    const stop = (signal: string): void => {
      logger.info({ signal }, 'shutting down');
      done();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  watch.close();
  await Promise.all([proxy.close(2000), adminServer.close()]);
  return 0;
}

/** Applies a changed config; a bad edit is logged and the running config stays. */
async function reload(
  next: LoadedConfig,
  proxy: Proxy,
  logger: ReturnType<typeof createLogger>,
): Promise<void> {
  const errors = next.issues.filter(i => i.severity === 'error');
  if (errors.length > 0) {
    for (const issue of errors) logger.error({ issue }, formatIssue(issue, false));
    logger.error({ errors: errors.length }, 'config rejected; the previous config keeps serving');
    return;
  }
  const snapshot = translate(next.config);
  if (snapshot.version === proxy.current?.version) return;
  try {
    await proxy.apply(snapshot);
    logger.info({ version: snapshot.version }, 'config applied');
  } catch (err) {
    logger.error({ err }, 'config could not be applied; the previous config keeps serving');
  }
}

function printIssues(issues: readonly ConfigIssue[]): void {
  const color = process.stderr.isTTY === true;
  for (const issue of issues) process.stderr.write(formatIssue(issue, color) + '\n');
}
