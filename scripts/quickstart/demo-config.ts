/**
 * What the quickstart learns from the examples' YAML, read and validated by the same loader
 * `aeraki up` uses: the services it can demo (a ServiceEntry port whose protocol has a driver) with
 * their listeners and versioned endpoints, and the MetaRouter routes of each, re-read while it runs.
 */
import { relative } from 'node:path';
import { formatIssue } from '../../src/api/issue-format.js';
import { selectPortProtocol, type ConfigIssue, type MetaRoute } from '../../src/api/index.js';
import { loadConfig, type LoadedConfig } from '../../src/control-plane/index.js';
import { QuickstartError } from './options.js';
import { redisDemoService } from './redis-config.js';

/** An address the proxy listens on, or a backend listens on. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** One version of a service: where its backend must listen. */
export interface DemoEndpoint extends HostPort {
  readonly version: string;
}

/** A service the quickstart runs backends and clients for. */
export interface DemoService {
  /** The protocol its port name selects, e.g. `thrift`. */
  readonly protocol: string;
  /** The ServiceEntry's first host, which its MetaRouter names. */
  readonly host: string;
  /** The host's first label, e.g. `thrift-sample-server`. */
  readonly name: string;
  /** Where the proxy listens for it (every ServiceEntry address at the port number). */
  readonly listeners: readonly HostPort[];
  readonly endpoints: readonly DemoEndpoint[];
  /** The ServiceEntry's file, relative to the repository root. */
  readonly file: string;
  /** For a service routed by something other than a MetaRouter (a RedisService): its file and routes in words. */
  readonly routing?: { readonly file: string; readonly description: string };
}

/** The routes of one service's MetaRouter, and the file to edit to change them. */
export interface ServiceRoutes {
  /** Relative to the repository root. */
  readonly file: string;
  readonly routes: readonly MetaRoute[];
}

/** Routing as the config says now, or why the latest edit is not served. */
export interface RoutingState {
  /** MetaRouter routes by service host. */
  readonly routes: ReadonlyMap<string, ServiceRoutes>;
  /** Errors in the config as it is on disk now (aeraki keeps serving the last good config). */
  readonly errors: readonly string[];
}

/** The examples as loaded: the services to demo, and every listener the proxy will open. */
export interface DemoConfig {
  readonly services: readonly DemoService[];
  readonly listeners: readonly HostPort[];
  readonly routing: RoutingState;
}

/** Loads `dir`; throws a QuickstartError when it has errors (`aeraki up` would refuse it too). */
export async function loadDemoConfig(
  dir: string,
  root: string,
  protocols: ReadonlySet<string>,
): Promise<DemoConfig> {
  const loaded = await loadConfig(dir);
  const errors = errorLines(loaded.issues, root);
  if (errors.length > 0) {
    throw new QuickstartError(`${relative(root, dir)}/ has errors, fix them first:\n${errors.join('\n')}`);
  }
  const services: DemoService[] = [];
  const listeners: HostPort[] = [];
  for (const entry of loaded.config.serviceEntries) {
    const { resource, origin } = entry;
    const spec = resource.spec;
    for (const port of spec.ports) {
      const selected = selectPortProtocol(port.name);
      if (selected.family === 'redis') {
        const redisListeners = (spec.addresses ?? []).map(host => ({ host, port: port.number }));
        listeners.push(...redisListeners);
        const demo = protocols.has('redis')
          ? redisDemoService(loaded, entry, redisListeners, root)
          : undefined;
        if (demo !== undefined) services.push(demo);
        continue;
      }
      if (selected.family !== 'metaprotocol') continue;
      const portListeners = (spec.addresses ?? []).map(host => ({ host, port: port.number }));
      listeners.push(...portListeners);
      if (!protocols.has(selected.protocol)) continue;
      const endpoints: DemoEndpoint[] = [];
      for (const endpoint of spec.endpoints ?? []) {
        if (endpoint.address === undefined) continue;
        endpoints.push({
          version: endpoint.labels?.version ?? 'unversioned',
          host: endpoint.address,
          port: endpoint.ports?.[port.name] ?? port.targetPort ?? port.number,
        });
      }
      const host = spec.hosts[0] ?? '';
      if (portListeners.length === 0 || endpoints.length === 0) continue;
      services.push({
        protocol: selected.protocol,
        host,
        name: host.split('.')[0] ?? host,
        listeners: portListeners,
        endpoints,
        file: relative(root, origin.file),
      });
    }
  }
  if (services.length === 0) {
    throw new QuickstartError(
      `${relative(root, dir)}/ has no ServiceEntry with addresses, endpoints and a ` +
        `tcp-metaprotocol-{${[...protocols].join(',')}}-… or tcp-redis port`,
    );
  }
  return { services, listeners, routing: routingOf(loaded, root) };
}

/**
 * Re-reads the routes of `dir`. While the config on disk has errors, the routes stay `previous`'s,
 * as `aeraki up` keeps serving its last good config.
 */
export async function reloadRouting(
  dir: string,
  root: string,
  previous: RoutingState,
): Promise<RoutingState> {
  const loaded = await loadConfig(dir);
  const errors = errorLines(loaded.issues, root);
  if (errors.length > 0) return { routes: previous.routes, errors };
  return routingOf(loaded, root);
}

function routingOf(loaded: LoadedConfig, root: string): RoutingState {
  const routes = new Map<string, ServiceRoutes>();
  for (const { resource, origin } of loaded.config.metaRouters) {
    const host = resource.spec.hosts[0];
    if (host !== undefined && !routes.has(host)) {
      routes.set(host, { file: relative(root, origin.file), routes: resource.spec.routes ?? [] });
    }
  }
  return { routes, errors: [] };
}

function errorLines(issues: readonly ConfigIssue[], root: string): string[] {
  return issues
    .filter(issue => issue.severity === 'error')
    .map(issue => formatIssue({ ...issue, file: relative(root, issue.file) }, false));
}
