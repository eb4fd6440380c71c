/**
 * `aeraki explain SERVICE --attr KEY=VALUE …`: which route a request with those attributes takes on
 * the running proxy, where it goes, and why each earlier route did not match. The proxy computes it
 * with the matchers it uses for live traffic, so the answer cannot drift from what traffic does.
 *
 * In Istio mode the proxies are Envoy sidecars, which have no such endpoint: with `--istio` the
 * route tables are read from the control plane (`/snapshot`, the tables its RDS serves them) and
 * explained here with the same compiled matchers our proxy uses.
 */
import { AerakiError, ErrorCodes } from '../errors.js';
import { RouteTable } from '../filters/router/route-table.js';
import {
  explainRoute,
  routeTablesForService,
  type RouteExplanationReport,
} from '../proxy/route-explainer.js';
import type { ProxySnapshot } from '../xds/resources.js';
import type { RedisExplanationReport } from '../redis/redis-explainer.js';
import { fetchAdminJson, requestAdmin } from './admin-client.js';
import type { VisibilityExplanation } from '../control-plane/model/proxy-scope.js';
import { formatVisibility } from './status.js';
import { parseCommandArgs } from './args.js';
import { renderTable, style, useColor } from './table.js';

const USAGE = `Usage: aeraki explain SERVICE [--attr KEY=VALUE]… [options]

Explains how the running proxy routes a request to SERVICE (a ServiceEntry host, HOST:PORT, or a
route table name HOST_PORT) that carries the given attributes (the request metadata a codec
reports: method, interface, version, THeader headers, Dubbo attachments, …): the route that
matches, its destinations and their shares, and for each earlier route why it did not match.

For a Redis service, give the key instead: the prefix route that takes it, the key the server
gets, the endpoint it hashes to (or its Redis Cluster slot and the shard's nodes), mirrors and faults.

Options:
  --attr KEY=VALUE    a request attribute (repeat for several)
  --key KEY           Redis: the key of the command
  --command NAME      Redis: the command (default GET; reads and writes may go to different nodes)
  --port N            the service port, when the host has several
  --admin HOST:PORT   the proxy's admin API (default 127.0.0.1:15000)
  --control-plane HOST:PORT
                      when the proxy does not have SERVICE, ask this control plane why: the
                      proxy's namespace and identity, exportTo, the Sidecar (default
                      127.0.0.1:15011; 'off' not to ask)
  --istio             Istio mode (Envoy sidecars, which have no admin endpoint for this): explain
                      with the route tables the control plane's RDS serves, read from the
                      admin API given by --control-plane
  --json              print the explanation as JSON
  -h, --help          show this help

Examples:
  aeraki explain thrift-sample-server.meta-thrift.svc.cluster.local --attr method=sayHello
  aeraki explain redis-front.redis.svc.cluster.local --key user:42 --command SET
  aeraki explain org.apache.dubbo.samples.basic.api.demoservice --attr method=sayHello \
      --istio --control-plane 127.0.0.1:15011
`;

export async function explainCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    args,
    {
      attr: { type: 'string', multiple: true, default: [] },
      port: { type: 'string' },
      key: { type: 'string' },
      command: { type: 'string' },
      admin: { type: 'string', default: '127.0.0.1:15000' },
      'control-plane': { type: 'string', default: '127.0.0.1:15011' },
      istio: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    USAGE,
  );
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (positionals.length !== 1)
    throw new AerakiError(ErrorCodes.CLI_USAGE, `expected one SERVICE\n\n${USAGE}`);
  const query = new URLSearchParams({ service: positionals[0]! });
  if (values.port !== undefined) query.set('port', values.port);
  if (values.key !== undefined) query.set('key', values.key);
  if (values.command !== undefined) query.set('command', values.command);
  for (const attr of values.attr) {
    if (attr.indexOf('=') <= 0) {
      throw new AerakiError(ErrorCodes.CLI_USAGE, `--attr must look like KEY=VALUE, got '${attr}'`);
    }
    query.append('attr', attr);
  }
  const istio = values.istio;
  if (istio && (values.key !== undefined || values.command !== undefined))
    throw new AerakiError(
      ErrorCodes.CLI_USAGE,
      '--key and --command explain a Redis key on a running proxy (--admin), not with --istio',
    );
  if (istio && values['control-plane'] === 'off')
    throw new AerakiError(ErrorCodes.CLI_USAGE, '--istio reads the route tables from --control-plane');
  const report = istio
    ? await explainFromControlPlane(values['control-plane'], query)
    : await fetchExplanation(values.admin, query).catch(async (err: unknown) => {
        if (
          !(err instanceof AerakiError) ||
          err.code !== ErrorCodes.NOT_FOUND ||
          values['control-plane'] === 'off'
        )
          throw err;
        const why = await whyNotSeen(values.admin, values['control-plane'], positionals[0]!);
        if (why === undefined) throw err;
        throw new AerakiError(ErrorCodes.NOT_FOUND, `${err.message}\n${formatVisibility(why, false)}`, {
          cause: err,
        });
      });
  if (values.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return 0;
  }
  const color = useColor(process.stdout);
  process.stdout.write(
    'protocol' in report ? formatRedisExplanation(report, color) : formatExplanation(report, color),
  );
  return 0;
}

/**
 * Why the proxy lacks `service`, from the control plane that serves it (by the proxy's node id);
 * undefined when either cannot say (a static config, another control plane, none reachable).
 */
async function whyNotSeen(
  admin: string,
  controlPlane: string,
  service: string,
): Promise<VisibilityExplanation | undefined> {
  try {
    const xds = (await fetchAdminJson(admin, '/xds', 'proxy')) as { nodeId?: string } | null;
    if (xds?.nodeId === undefined) return undefined;
    const host = service.includes(':') ? service.slice(0, service.lastIndexOf(':')) : service;
    const query = new URLSearchParams({ service: host, node: xds.nodeId });
    const answer = await requestAdmin(controlPlane, `/visibility?${query}`, 'control plane');
    return answer.status === 200 ? (answer.body as VisibilityExplanation) : undefined;
  } catch {
    return undefined;
  }
}

/** GETs `/explain`, turning the admin API's 4xx answers into errors that say what to change. */
async function fetchExplanation(
  admin: string,
  query: URLSearchParams,
): Promise<RouteExplanationReport | RedisExplanationReport> {
  const answer = await requestAdmin(admin, `/explain?${query.toString()}`, 'proxy');
  if (answer.status === 200 && answer.body !== undefined) {
    return answer.body as RouteExplanationReport | RedisExplanationReport;
  }
  const body = (answer.body ?? {}) as { error?: string; routeTables?: string[]; listeners?: string[] };
  const tables =
    body.routeTables !== undefined
      ? `; route tables: ${body.routeTables.join(', ') || 'none'}`
      : body.listeners !== undefined
        ? `; listeners: ${body.listeners.join(', ') || 'none'}`
        : '';
  throw new AerakiError(
    answer.status === 400 ? ErrorCodes.CLI_USAGE : ErrorCodes.NOT_FOUND,
    `${body.error ?? `the proxy admin API at ${admin} answered ${answer.status}`}${tables}`,
  );
}

/** Reads the control plane's snapshot and explains with its route table for the service. */
async function explainFromControlPlane(
  controlPlane: string,
  query: URLSearchParams,
): Promise<RouteExplanationReport> {
  const answer = await requestAdmin(controlPlane, '/snapshot', 'control plane');
  const snapshot = answer.body as ProxySnapshot | null | undefined;
  if (answer.status !== 200 || snapshot === null || snapshot === undefined)
    throw new AerakiError(
      ErrorCodes.NOT_FOUND,
      `the control plane admin API at ${controlPlane} has no config served (HTTP ${answer.status})`,
    );
  const service = query.get('service') ?? '';
  const port = query.get('port');
  const names = snapshot.routes.map(r => r.name);
  const tables = routeTablesForService(names, service, port === null ? undefined : Number(port));
  if (tables.length !== 1)
    throw new AerakiError(
      tables.length === 0 ? ErrorCodes.NOT_FOUND : ErrorCodes.CLI_USAGE,
      `${tables.length === 0 ? `no route table for '${service}'` : `'${service}' has several ports; give one with --port`}; route tables: ${(tables.length === 0 ? names : tables).join(', ') || 'none'}`,
    );
  const name = tables[0]!;
  const table = snapshot.routes.find(r => r.name === name)!;
  const attributes = query
    .getAll('attr')
    .map(
      attr => [attr.slice(0, attr.indexOf('=')).toLowerCase(), attr.slice(attr.indexOf('=') + 1)] as const,
    );
  const listeners = snapshot.listeners
    .filter(l => l.routeConfigName === name)
    .map(l => l.name)
    .sort();
  return explainRoute(new RouteTable(table), attributes, listeners);
}

/** The explanation for people: the verdict first, then the routes that were passed over. */
export function formatExplanation(report: RouteExplanationReport, color: boolean): string {
  const attrs = Object.entries(report.attributes)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  let out =
    `route table ${report.routeTable}` +
    (report.listeners.length > 0 ? ` (listeners ${report.listeners.join(', ')})` : '') +
    `\nrequest     ${attrs === '' ? '(no attributes)' : attrs}\n`;
  const matched = report.matched;
  if (matched === undefined) {
    out += `${style('no route matches', 'bad', color)}: the client gets the protocol's "no route" error reply\n`;
  } else {
    out += `matches     ${style(matched.route, 'good', color)}\n`;
    const destinations = matched.destinations.map(d => `${d.cluster} (${d.percent}%)`);
    if (matched.unassignedPercent > 0) destinations.push(`no route (${matched.unassignedPercent}%)`);
    out += `goes to     ${destinations.join('\n            ')}\n`;
    for (const m of matched.mirrors) out += `mirrors     ${m.percent}% to ${m.cluster}\n`;
    if (matched.requestMutation.length > 0) {
      out += `adds        ${matched.requestMutation.map(h => `${h.key}=${h.value}`).join(', ')} to the request\n`;
    }
    if (matched.responseMutation.length > 0) {
      out += `adds        ${matched.responseMutation.map(h => `${h.key}=${h.value}`).join(', ')} to the response\n`;
    }
    if (matched.hashPolicy.length > 0) out += `hashes on   ${matched.hashPolicy.join(', ')}\n`;
    if (matched.timeoutMs !== undefined) out += `timeout     ${matched.timeoutMs} ms\n`;
  }
  if (report.skipped.length > 0) {
    out += `\nearlier routes that did not match:\n`;
    out += renderTable(
      ['ROUTE', 'WHY NOT'],
      report.skipped.map(s => [s.route, s.reasons.join('\n')]),
      color,
    );
  }
  return out;
}

/** A Redis key's way for people: the route, the key forwarded, where it lands, mirrors, faults. */
export function formatRedisExplanation(report: RedisExplanationReport, color: boolean): string {
  let out =
    `redis service ${report.statPrefix} (listeners ${report.listeners.join(', ')})\n` +
    `command     ${report.command.toUpperCase()} ${report.key}${report.authRequired ? '  (clients must AUTH first)' : ''}\n`;
  const route = report.route;
  if (route === undefined) {
    out += `${style('no route matches', 'bad', color)}: the client gets "ERR no upstream host"\n`;
    return out;
  }
  out += `matches     ${style(route.catchAll ? 'the catch-all route' : `prefix '${route.prefix}'`, 'good', color)}\n`;
  out += `goes to     ${route.cluster}\n`;
  if (route.removePrefix) out += `forwards    key '${report.forwardedKey ?? ''}' (prefix removed)\n`;
  const placement = report.placement;
  if (placement !== undefined) {
    if (placement.slot !== undefined) {
      out += `slot        ${placement.slot}${placement.hashTag === undefined ? '' : ` (hash tag '${placement.hashTag}')`}\n`;
      if (placement.master !== undefined) {
        out += `shard       master ${placement.master}; replicas ${placement.replicas?.join(', ') || 'none'}\n`;
      }
    }
    if (placement.node !== undefined) out += `server      ${placement.node}\n`;
    if (placement.problem !== undefined)
      out += `${style('problem', 'bad', color)}     ${placement.problem}\n`;
  }
  for (const m of report.mirrors) {
    out += `mirrors     ${m.mirrored ? `${m.percent}% to ${m.cluster}` : `not to ${m.cluster} (reads are excluded)`}\n`;
  }
  for (const f of report.faults) {
    out += `fault       ${f.type} for ${f.percent}% of ${report.command.toUpperCase()}${f.delayMs > 0 ? ` (delay ${f.delayMs} ms)` : ''}\n`;
  }
  return out;
}
