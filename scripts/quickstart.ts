/**
 * The quickstart demo (`npm run quickstart`): two versions of a real Apache Thrift service, `aeraki up
 * examples/thrift/` in front of them, and clients calling through the proxy, with a live count of how
 * many calls each version got. The split follows examples/thrift/metarouter.yaml (20% v1, 80% v2).
 *
 * Options: --duration SECONDS (stop after that long; default: until Ctrl-C), --concurrency N (client
 * connections, default 4), --rate N (calls per second in total, default 500; 0 = as fast as possible),
 * --admin HOST:PORT (passed to `aeraki up`).
 */
import { readdir, readFile } from 'node:fs/promises';
import net from 'node:net';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseAllDocuments } from 'yaml';
import {
  connectHello,
  repoRoot,
  startAeraki,
  startHelloServer,
  versionTag,
  type AerakiProcess,
  type HelloConnection,
  type HelloServer,
  type ThriftStack,
} from '../test/e2e/harness/index.js';

const EXAMPLE_DIR = 'examples/thrift';
/** The wire stack of the demo's servers and clients. */
const STACK: ThriftStack = { protocol: 'binary', transport: 'framed' };

const USAGE = `Usage: npm run quickstart [-- --duration SECONDS] [--concurrency N] [--rate N] [--admin HOST:PORT]`;

interface Options {
  durationSeconds: number | undefined;
  concurrency: number;
  rate: number;
  admin: string | undefined;
  help: boolean;
}

/** Thrown for problems the user can fix; printed without a stack trace. */
class QuickstartError extends Error {}

function parseOptions(argv: readonly string[]): Options {
  const options: Options = {
    durationSeconds: undefined,
    concurrency: 4,
    rate: 500,
    admin: undefined,
    help: false,
  };
  const number = (flag: string, value: string | undefined, min: number): number => {
    const n = Number(value);
    if (value === undefined || !Number.isFinite(n) || n < min) {
      throw new QuickstartError(`${flag} needs a number ≥ ${min}\n${USAGE}`);
    }
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    switch (flag) {
      case '--duration':
        options.durationSeconds = number(flag, value, 0.1);
        i++;
        break;
      case '--concurrency':
        options.concurrency = Math.floor(number(flag, value, 1));
        i++;
        break;
      case '--rate':
        options.rate = number(flag, value, 0);
        i++;
        break;
      case '--admin':
        if (value === undefined) throw new QuickstartError(`--admin needs HOST:PORT\n${USAGE}`);
        options.admin = value;
        i++;
        break;
      case '--help':
      case '-h':
        options.help = true;
        break;
      default:
        throw new QuickstartError(`unknown option '${flag}'\n${USAGE}`);
    }
  }
  return options;
}

/** What the demo needs from the example's YAML. */
interface Example {
  /** Where the proxy listens: every ServiceEntry address at the port number. */
  listeners: Array<{ host: string; port: number }>;
  /** One upstream server per endpoint. */
  endpoints: Array<{ version: string; host: string; port: number; file: string }>;
  /** Route weights by subset from the MetaRouter's catch-all route, if it has one. */
  weights: Map<string, number>;
}

async function readExample(dir: string): Promise<Example> {
  const example: Example = { listeners: [], endpoints: [], weights: new Map() };
  const files = (await readdir(dir)).filter(f => /\.ya?ml$/.test(f)).sort();
  for (const file of files) {
    for (const doc of parseAllDocuments(await readFile(join(dir, file), 'utf8'))) {
      const value = doc.toJS() as { kind?: string; spec?: Record<string, unknown> } | null;
      if (value?.kind === 'ServiceEntry') readServiceEntry(value.spec ?? {}, file, example);
      if (value?.kind === 'MetaRouter') readWeights(value.spec ?? {}, example);
    }
  }
  if (example.listeners.length === 0 || example.endpoints.length === 0) {
    throw new QuickstartError(
      `${dir} has no ServiceEntry with a tcp-metaprotocol-thrift-* port and endpoints`,
    );
  }
  return example;
}

function readServiceEntry(spec: Record<string, unknown>, file: string, example: Example): void {
  const ports = (spec.ports ?? []) as Array<{ name?: string; number?: number; targetPort?: number }>;
  const port = ports.find(p => p.name?.startsWith('tcp-metaprotocol-thrift-'));
  if (port?.name === undefined || port.number === undefined) return;
  for (const address of (spec.addresses ?? []) as string[])
    example.listeners.push({ host: address, port: port.number });
  const endpoints = (spec.endpoints ?? []) as Array<{
    address?: string;
    ports?: Record<string, number>;
    labels?: Record<string, string>;
  }>;
  for (const endpoint of endpoints) {
    const endpointPort = endpoint.ports?.[port.name] ?? port.targetPort ?? port.number;
    if (endpoint.address === undefined) continue;
    example.endpoints.push({
      version: endpoint.labels?.version ?? 'unversioned',
      host: endpoint.address,
      port: endpointPort,
      file,
    });
  }
}

function readWeights(spec: Record<string, unknown>, example: Example): void {
  const routes = (spec.routes ?? []) as Array<{
    match?: unknown;
    route?: Array<{ destination?: { subset?: string }; weight?: number }>;
  }>;
  const catchAll = routes.find(r => r.match === undefined);
  const destinations = catchAll?.route ?? [];
  for (const d of destinations) {
    const subset = d.destination?.subset;
    if (subset !== undefined) example.weights.set(subset, d.weight ?? (destinations.length === 1 ? 100 : 0));
  }
}

/** Fails with a clear message when something already listens where the demo must. */
async function ensureFree(host: string, port: number, what: string): Promise<void> {
  const server = net.createServer();
  const error = await new Promise<NodeJS.ErrnoException | undefined>(resolve => {
    server.once('error', err => resolve(err));
    server.listen({ host, port }, () => resolve(undefined));
  });
  if (error === undefined) {
    await new Promise<void>(resolve => server.close(() => resolve()));
    return;
  }
  if (error.code === 'EADDRINUSE') {
    throw new QuickstartError(
      `${host}:${port} is already in use, and the quickstart needs it for ${what}.\n` +
        `Stop whatever listens there (e.g. an earlier quickstart: 'ss -ltnp | grep ${port}') and try again.`,
    );
  }
  throw new QuickstartError(`cannot listen on ${host}:${port} for ${what}: ${error.message}`);
}

/** Counts of replies per version. */
class Tally {
  readonly total = new Map<string, number>();
  private window = new Map<string, number>();
  errors = 0;
  lastError = '';

  add(version: string): void {
    this.total.set(version, (this.total.get(version) ?? 0) + 1);
    this.window.set(version, (this.window.get(version) ?? 0) + 1);
  }

  /** The per-version counts since the last call. */
  takeWindow(): Map<string, number> {
    const window = this.window;
    this.window = new Map();
    return window;
  }

  get sum(): number {
    let sum = 0;
    for (const n of this.total.values()) sum += n;
    return sum;
  }
}

const REPLY_TAG = /from thrift-sample-server-(\S+)$/;

/** One client connection calling sayHello in a loop, paced to `perSecond` (0 = unpaced). */
async function clientLoop(
  connection: HelloConnection,
  tally: Tally,
  perSecond: number,
  stopped: () => boolean,
): Promise<void> {
  const interval = perSecond > 0 ? 1000 / perSecond : 0;
  let next = performance.now();
  let n = 0;
  while (!stopped() && !connection.isClosed) {
    try {
      const reply = await connection.client.sayHello(`quickstart-${n++}`);
      tally.add(REPLY_TAG.exec(reply)?.[1] ?? 'unknown');
    } catch (err) {
      tally.errors++;
      tally.lastError = err instanceof Error ? err.message : String(err);
    }
    if (interval > 0) {
      next += interval;
      const wait = next - performance.now();
      if (wait > 0) await sleep(wait);
      else next = performance.now();
    }
  }
}

function percent(n: number, of: number): string {
  return of === 0 ? '   -  ' : `${((100 * n) / of).toFixed(1).padStart(5)}%`;
}

function bar(n: number, of: number, width: number): string {
  const filled = of === 0 ? 0 : Math.round((width * n) / of);
  return '█'.repeat(filled) + '░'.repeat(width - filled);
}

/** Renders the live view: a refreshing block on a terminal, one plain line per second otherwise. */
class Display {
  private linesDrawn = 0;
  private readonly tty = process.stdout.isTTY === true;

  constructor(
    private readonly versions: readonly string[],
    /** Updated while running: the user may edit the MetaRouter. */
    public weights: ReadonlyMap<string, number>,
  ) {}

  update(elapsedSeconds: number, tally: Tally, window: ReadonlyMap<string, number>): void {
    const total = tally.sum;
    const windowTotal = [...window.values()].reduce((a, b) => a + b, 0);
    const versions = [...new Set([...this.versions, ...tally.total.keys()])];
    if (!this.tty) {
      const parts = versions.map(
        v => `${v}=${tally.total.get(v) ?? 0} (${percent(tally.total.get(v) ?? 0, total).trim()})`,
      );
      process.stdout.write(
        `[${elapsedSeconds.toFixed(0)}s] requests=${total} ${parts.join(' ')} errors=${tally.errors}\n`,
      );
      return;
    }
    const lines = [
      `  ${elapsedSeconds.toFixed(0).padStart(4)}s   ${total} requests (${windowTotal}/s)   errors ${tally.errors}` +
        (tally.errors > 0 ? `   last: ${tally.lastError.slice(0, 60)}` : ''),
      `  version   all requests                             last second   configured`,
      ...versions.map(v => {
        const n = tally.total.get(v) ?? 0;
        const configured = this.weights.get(v);
        return (
          `  ${v.padEnd(8)}  ${bar(n, total, 20)} ${String(n).padStart(8)} ${percent(n, total)}` +
          `   ${percent(window.get(v) ?? 0, windowTotal)}     ${configured === undefined ? '' : `${configured}%`}`
        );
      }),
    ];
    let out = this.linesDrawn > 0 ? `\x1b[${this.linesDrawn}A` : '';
    for (const line of lines) out += `\x1b[2K${line}\n`;
    this.linesDrawn = lines.length;
    process.stdout.write(out);
  }
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const root = repoRoot();
  const exampleDir = join(root, EXAMPLE_DIR);
  const example = await readExample(exampleDir);

  for (const e of example.endpoints)
    await ensureFree(e.host, e.port, `thrift-sample-server ${e.version} (${EXAMPLE_DIR}/${e.file})`);
  for (const l of example.listeners)
    await ensureFree(l.host, l.port, `the proxy's listener (the ServiceEntry's address and port)`);

  const servers: HelloServer[] = [];
  const connections: HelloConnection[] = [];
  let aeraki: AerakiProcess | undefined;
  let stopping = false;
  const stopSignal = new Promise<string>(resolve => {
    process.once('SIGINT', () => resolve('interrupted'));
    process.once('SIGTERM', () => resolve('terminated'));
  });

  const cleanUp = async (): Promise<void> => {
    stopping = true;
    await Promise.allSettled(connections.map(c => c.close()));
    await aeraki?.stop();
    await Promise.allSettled(servers.map(s => s.close()));
  };

  try {
    process.stdout.write(
      'Aeraki quickstart: a Thrift service in two versions behind the MetaProtocol proxy\n\n',
    );
    for (const e of example.endpoints) {
      servers.push(
        await startHelloServer({ tag: versionTag(e.version), stack: STACK, host: e.host, port: e.port }),
      );
      process.stdout.write(
        `  started thrift-sample-server-${e.version} on ${e.host}:${e.port} (Apache Thrift, ${STACK.protocol} protocol, ${STACK.transport} transport)\n`,
      );
    }

    const listener = example.listeners[0] as { host: string; port: number };
    const args = options.admin === undefined ? [] : ['--admin', options.admin];
    process.stdout.write(`  starting aeraki up ${EXAMPLE_DIR}/ …\n`);
    aeraki = await startAeraki(exampleDir, { args, listeners: example.listeners, readyTimeoutMs: 20000 });
    process.stdout.write(
      `  aeraki up ${EXAMPLE_DIR}/ is ready (pid ${aeraki.pid}); the proxy listens on ` +
        `${example.listeners.map(l => `${l.host}:${l.port}`).join(', ')}\n`,
    );

    for (let i = 0; i < options.concurrency; i++) {
      connections.push(await connectHello(listener.host, listener.port, { stack: STACK }));
    }
    const weights = [...example.weights].map(([subset, w]) => `${subset} ${w}%`).join(', ');
    process.stdout.write(
      `  ${options.concurrency} clients call sayHello through ${listener.host}:${listener.port}` +
        (weights === '' ? '' : `; ${relative(root, join(exampleDir, 'metarouter.yaml'))} routes ${weights}`) +
        `\n  Edit the weights in ${EXAMPLE_DIR}/metarouter.yaml while this runs: new calls follow at once.` +
        `\n  ${options.durationSeconds === undefined ? 'Press Ctrl-C to stop.' : `Running for ${options.durationSeconds}s.`}\n\n`,
    );

    const tally = new Tally();
    const perConnection = options.rate > 0 ? options.rate / options.concurrency : 0;
    const loops = connections.map(c => clientLoop(c, tally, perConnection, () => stopping));
    const display = new Display(
      example.endpoints.map(e => e.version),
      example.weights,
    );
    const started = performance.now();
    const deadline =
      options.durationSeconds === undefined ? Infinity : started + options.durationSeconds * 1000;
    const proxyExited = aeraki.waitExit().then(() => 'proxy-exited');

    let reason = '';
    while (reason === '') {
      const tick = sleep(Math.max(0, Math.min(1000, deadline - performance.now()))).then(() => '');
      reason = await Promise.race([tick, stopSignal, proxyExited]);
      display.weights = await readExample(exampleDir).then(
        e => e.weights,
        () => display.weights,
      );
      display.update((performance.now() - started) / 1000, tally, tally.takeWindow());
      if (performance.now() >= deadline) reason ||= 'done';
    }
    stopping = true;
    await Promise.allSettled(loops);

    if (reason === 'proxy-exited') {
      process.stderr.write(`\nquickstart: aeraki up stopped unexpectedly\n${aeraki.outputTail()}\n`);
      return 1;
    }
    const total = tally.sum;
    const summary = [...tally.total]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([v, n]) => `${v} ${n} (${percent(n, total).trim()})`)
      .join(', ');
    process.stdout.write(`\n${total} requests through the proxy: ${summary}; errors ${tally.errors}\n`);
    if (total === 0) {
      process.stderr.write(
        `quickstart: no request succeeded${tally.lastError ? `; last error: ${tally.lastError}` : ''}\n`,
      );
      return 1;
    }
    return 0;
  } finally {
    await cleanUp();
  }
}

try {
  process.exitCode = await main();
} catch (err) {
  if (err instanceof QuickstartError) {
    process.stderr.write(`quickstart: ${err.message}\n`);
  } else {
    process.stderr.write(`quickstart: ${err instanceof Error ? err.message : String(err)}\n`);
  }
  process.exitCode = 1;
}
// Client sockets, timers and signal handlers must not keep a finished demo alive.
process.exit(process.exitCode);
