/**
 * Starts the processes the load generator talks to: a protocol's C server, HAProxy in TCP mode in
 * front of the servers, and `aeraki up` in front of them. Each returns where to connect and the PID to
 * watch. HAProxy serves every protocol from one process, one frontend per protocol; an `aeraki up`
 * process serves the protocols it is given, one listener each.
 */
import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startProcess } from './processes.js';
import { launcherEnvironment, launcherNodeFlags } from '../test/e2e/harness/launcher-flags.js';
import type { Protocol } from './protocols.js';

/** A running process the load generator can connect to. */
export interface Target {
  name: string;
  host: string;
  port: number;
  process: ChildProcess;
  /** Where its output goes (for a failure report), if kept. */
  logFile?: string;
}

/** Finds a free TCP port on `host` (there is a small race until the caller binds it). */
export async function freePort(host: string): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const address = server.address();
  await new Promise<void>(resolve => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise(resolve => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Resolves once `child` accepts connections on host:port; rejects if it exits or `ms` passes. */
async function waitListening(child: ChildProcess, host: string, port: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`exited with ${child.exitCode ?? child.signalCode} before listening`);
    }
    if (await canConnect(host, port)) return;
    await new Promise(resolve => setTimeout(resolve, 50));
  }
  throw new Error(`not listening on ${host}:${port} after ${ms} ms`);
}

/** Starts a C server on a free loopback port. */
export async function startServer(binary: string, host: string): Promise<Target> {
  const child = startProcess(binary, [host, '0']);
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', code => reject(new Error(`${binary} exited with ${code}`)));
    createInterface({ input: child.stdout! }).once('line', line => {
      const match = /^listening (\d+)$/.exec(line);
      if (match === null) reject(new Error(`unexpected server output: ${line}`));
      else resolve(Number(match[1]));
    });
  });
  child.stderr?.pipe(process.stderr);
  return { name: 'direct', host, port, process: child };
}

/** Whether `haproxy` is installed. */
export function haproxyVersion(): string | undefined {
  try {
    return execFileSync('haproxy', ['-v'], { encoding: 'utf8' }).split('\n')[0];
  } catch {
    return undefined;
  }
}

/**
 * Starts HAProxy, TCP mode, `threads` threads, with a frontend in front of each upstream (keyed by
 * protocol); returns one target per protocol, all of them the same process.
 */
export async function startHaproxy(
  dir: string,
  upstreams: Map<string, Target>,
  threads = 1,
): Promise<Map<string, Target>> {
  const host = '127.0.0.1';
  // maxconn 4000: higher values need a larger fd limit than this machine's 20000.
  const cfg = [
    'global',
    `  nbthread ${threads}`,
    '  maxconn 4000',
    'defaults',
    '  mode tcp',
    '  timeout connect 5s',
    '  timeout client 120s',
    '  timeout server 120s',
  ];
  const ports = new Map<string, number>();
  for (const [name, upstream] of upstreams) {
    const port = await freePort(host);
    ports.set(name, port);
    cfg.push(
      `frontend ${name}_in`,
      `  bind ${host}:${port}`,
      `  default_backend ${name}_out`,
      `backend ${name}_out`,
      `  server s1 ${upstream.host}:${upstream.port}`,
    );
  }
  const suffix = threads === 1 ? '' : `-${threads}t`;
  const file = join(dir, `haproxy${suffix}.cfg`);
  writeFileSync(file, `${cfg.join('\n')}\n`);
  const logFile = join(dir, `haproxy${suffix}.log`);
  const child = startProcess('haproxy', ['-f', file, '-db']);
  const log = createWriteStream(logFile);
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const targets = new Map<string, Target>();
  for (const [name, port] of ports) {
    await waitListening(child, host, port, 10_000);
    targets.set(name, { name: 'haproxy', host, port, process: child, logFile });
  }
  return targets;
}

/** Starts the Node pipe proxy (bench/pipe-proxy.ts, compiled next to this file) in front of `upstream`. */
export async function startPipeProxy(upstream: Target): Promise<Target> {
  const host = '127.0.0.1';
  const port = await freePort(host);
  const script = fileURLToPath(new URL('./pipe-proxy.js', import.meta.url));
  const child = startProcess(process.execPath, [
    script,
    host,
    String(port),
    upstream.host,
    String(upstream.port),
  ]);
  child.stderr?.pipe(process.stderr);
  await waitListening(child, host, port, 10_000);
  return { name: 'pipe', host, port, process: child };
}

/** One protocol's service in the `aeraki up` config. */
export interface AerakiService {
  protocol: Protocol;
  /** The port aeraki listens on, at the protocol's address. */
  port: number;
  upstream: Target;
}

/** The `aeraki up` config: one ServiceEntry per protocol whose port routes to that protocol's C server. */
export function aerakiConfig(services: readonly AerakiService[]): string {
  return services
    .map(({ protocol, port, upstream }) => {
      const portName = `tcp-metaprotocol-${protocol.name}-bench`;
      return `apiVersion: networking.istio.io/v1beta1
kind: ServiceEntry
metadata: {name: bench-${protocol.name}, namespace: default}
spec:
  hosts: [bench.${protocol.name}.svc.cluster.local]
  addresses: [${protocol.aerakiAddress}]
  ports: [{number: ${port}, name: ${portName}, protocol: TCP}]
  location: MESH_INTERNAL
  resolution: STATIC
  endpoints: [{address: ${upstream.host}, ports: {${portName}: ${upstream.port}}}]
`;
    })
    .join('---\n');
}

/**
 * The `aeraki up` options the benchmark wants, limited to those its `--help` lists: a free admin port
 * (the default one may be taken), no config watching, and the worker count.
 */
function upFlags(bin: string, workers: number): string[] {
  let help = '';
  try {
    help = execFileSync(process.execPath, [bin, 'up', '--help'], { encoding: 'utf8', stdio: 'pipe' });
  } catch (err) {
    help = String((err as { stdout?: unknown }).stdout ?? '');
  }
  const flags: string[] = [];
  if (help.includes('--admin')) flags.push('--admin', '127.0.0.1:0');
  if (help.includes('--control-plane-admin')) flags.push('--control-plane-admin', '127.0.0.1:0');
  if (help.includes('--no-watch')) flags.push('--no-watch');
  if (help.includes('--workers')) flags.push('--workers', String(workers));
  return flags;
}

export interface AerakiOptions {
  /** bin/aeraki */
  bin: string;
  dir: string;
  /** Names its config directory and log file in `dir` (aeraki-LABEL, aeraki-LABEL.log). */
  label: string;
  /** The C server of each protocol to serve. */
  upstreams: ReadonlyMap<Protocol, Target>;
  workers: number;
  /** Extra node flags before the script, e.g. `--cpu-prof` (not allowed in NODE_OPTIONS). */
  nodeArgs?: string[];
  /** Extra `aeraki up` (or `aeraki proxy`) arguments (e.g. `--access-log FILE`). */
  upArgs?: string[];
  /**
   * `up` (default): the control plane and the proxy in one command, as the quickstart runs them;
   * `proxy`: the proxy alone (`aeraki proxy --config`) on the static config translated from the same
   * documents, as a sidecar runs it.
   */
  command?: 'up' | 'proxy';
  /** More config documents for the services (e.g. a MetaRouter), appended to the ServiceEntries. */
  extraConfig?: (services: readonly AerakiService[]) => string;
}

/**
 * `aeraki proxy` arguments for the config in `configDir`: translated here to the static config a
 * sidecar's bootstrap would carry.
 */
async function proxyArgs(configDir: string, dir: string, label: string, workers: number): Promise<string[]> {
  const { loadConfig, translate } = await import('../src/control-plane/index.js');
  const { encodeSnapshot, resourceToJson } = await import('../src/xds/index.js');
  const loaded = await loadConfig(configDir);
  const errors = loaded.issues.filter(i => i.severity === 'error');
  if (errors.length > 0) throw new Error(`bench config: ${errors.map(e => e.message).join('; ')}`);
  const bootstrap = join(dir, `bootstrap-${label}.json`);
  writeFileSync(bootstrap, JSON.stringify(encodeSnapshot(translate(loaded.config)).map(resourceToJson)));
  return ['--config', bootstrap, '--admin', '127.0.0.1:0', '--workers', String(workers)];
}

/**
 * Starts `aeraki up DIR` (or `aeraki proxy`, see {@link AerakiOptions.command}) and waits for its
 * `"msg":"ready"` log line; returns one target per protocol, all of them the same process. Output
 * goes to aeraki-LABEL.log in `dir`.
 */
export async function startAeraki(opts: AerakiOptions): Promise<Map<string, Target>> {
  const services: AerakiService[] = [];
  for (const [protocol, upstream] of opts.upstreams) {
    services.push({ protocol, port: await freePort(protocol.aerakiAddress), upstream });
  }
  const configDir = join(opts.dir, `aeraki-${opts.label}`);
  mkdirSync(configDir, { recursive: true });
  const extra = opts.extraConfig?.(services);
  writeFileSync(
    join(configDir, 'bench.yaml'),
    aerakiConfig(services) + (extra === undefined ? '' : `---\n${extra}`),
  );
  const command = opts.command ?? 'up';
  const args = [
    ...launcherNodeFlags(opts.bin, command),
    ...(opts.nodeArgs ?? []),
    opts.bin,
    command,
    ...(command === 'up'
      ? [configDir, ...upFlags(opts.bin, opts.workers)]
      : await proxyArgs(configDir, opts.dir, opts.label, opts.workers)),
    ...(opts.upArgs ?? []),
  ];
  const child = startProcess(process.execPath, args, {
    env: { ...process.env, ...launcherEnvironment(opts.bin, command) },
  });
  const logFile = join(opts.dir, `aeraki-${opts.label}.log`);
  const log = createWriteStream(logFile);
  child.stderr?.pipe(log);
  let tail = '';
  await new Promise<void>((resolve, reject) => {
    const report = () => (tail.trim() === '' ? '' : `; output:\n${tail.trim()}`);
    const timer = setTimeout(() => reject(new Error(`no "ready" log line within 20 s${report()}`)), 20_000);
    child.once('exit', code => {
      clearTimeout(timer);
      // Let the output that explains the exit arrive first.
      setTimeout(() => reject(new Error(`exited with ${code} before ready${report()}`)), 100);
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (tail = (tail + chunk).slice(-4000)));
    // stdout is always drained (a full pipe would stall the proxy) and copied to the log.
    createInterface({ input: child.stdout! }).on('line', line => {
      log.write(`${line}\n`);
      tail = (tail + line + '\n').slice(-4000);
      if (line.includes('"msg":"ready"')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  const targets = new Map<string, Target>();
  for (const { protocol, port } of services) {
    await waitListening(child, protocol.aerakiAddress, port, 5000);
    targets.set(protocol.name, {
      name: 'aeraki',
      host: protocol.aerakiAddress,
      port,
      process: child,
      logFile,
    });
  }
  return targets;
}
