/**
 * `aeraki routes SERVICE`: the MetaProtocol routes a running proxy applies to one service, in order.
 */
import { AerakiError, ErrorCodes } from '../errors.js';
import { routeTablesForService } from '../proxy/route-explainer.js';
import type { AttributeMatcher, RouteConfigResource, RouteResource } from '../xds/resources.js';
import { fetchAdminJson } from './admin-client.js';
import { parseCommandArgs } from './args.js';
import { renderTable, useColor } from './table.js';

const USAGE = `Usage: aeraki routes SERVICE [options]

Prints the routes the running proxy applies to SERVICE (a ServiceEntry host, HOST:PORT, or a route
table name HOST_PORT), in match order: first match wins.

Options:
  --admin HOST:PORT   the proxy's admin API (default 127.0.0.1:15000)
  --port N            the service port, when the host has several
  --json              print the route tables as JSON
  -h, --help          show this help
`;

export async function routesCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    args,
    {
      admin: { type: 'string', default: '127.0.0.1:15000' },
      port: { type: 'string' },
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
  const service = positionals[0]!;
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && !Number.isInteger(port)) {
    throw new AerakiError(ErrorCodes.CLI_USAGE, `--port must be a number, got '${values.port}'`);
  }
  const all = (await fetchAdminJson(values.admin, '/routes', 'proxy')) as RouteConfigResource[];
  const names = routeTablesForService(
    all.map(t => t.name),
    service,
    port,
  );
  if (names.length === 0) {
    throw new AerakiError(
      ErrorCodes.NOT_FOUND,
      `the proxy has no routes for '${service}'; its route tables: ${all.map(t => t.name).join(', ') || 'none'}`,
    );
  }
  const tables = all.filter(t => names.includes(t.name));
  if (values.json) {
    process.stdout.write(`${JSON.stringify(tables, null, 2)}\n`);
    return 0;
  }
  const color = useColor(process.stdout);
  process.stdout.write(tables.map(t => formatRouteTable(t, color)).join('\n'));
  return 0;
}

/** One route table as a heading and a table of its routes. */
export function formatRouteTable(table: RouteConfigResource, color: boolean): string {
  const rows = table.routes.map((route, i) => [
    String(i + 1),
    route.name,
    formatMatch(route.match),
    formatDestinations(route),
    formatExtras(route),
  ]);
  return (
    `route table ${table.name} (${table.routes.length} route(s), first match wins)\n` +
    renderTable(['#', 'ROUTE', 'MATCH', 'DESTINATION', 'ALSO'], rows, color)
  );
}

/** A route's match as `key=value` clauses, one per line (`*` for match-all). */
export function formatMatch(match: readonly AttributeMatcher[]): string {
  if (match.length === 0) return '*';
  return match
    .map(m => {
      switch (m.kind) {
        case 'exact':
          return `${m.name} = ${m.value}`;
        case 'prefix':
          return `${m.name} starts with ${m.value}`;
        case 'regex':
          return `${m.name} ~ /${m.value}/`;
        case 'present':
          return `${m.name} present`;
      }
    })
    .join('\n');
}

function formatDestinations(route: RouteResource): string {
  const action = route.action;
  if ('cluster' in action) return action.cluster;
  const total = Math.max(
    action.totalWeight,
    action.weightedClusters.reduce((sum, c) => sum + c.weight, 0),
  );
  return action.weightedClusters
    .map(c => `${c.name} ${total === 0 ? 0 : Math.round((1000 * c.weight) / total) / 10}%`)
    .join('\n');
}

function formatExtras(route: RouteResource): string {
  const extras: string[] = [];
  for (const m of route.mirrors) extras.push(`mirror ${m.percent}% to ${m.cluster}`);
  if (route.requestMutation.length > 0) {
    extras.push(`request headers ${route.requestMutation.map(h => `${h.key}=${h.value}`).join(', ')}`);
  }
  if (route.responseMutation.length > 0) {
    extras.push(`response headers ${route.responseMutation.map(h => `${h.key}=${h.value}`).join(', ')}`);
  }
  if (route.hashPolicy.length > 0) extras.push(`hash on ${route.hashPolicy.join(', ')}`);
  if (route.timeoutMs !== undefined) extras.push(`timeout ${route.timeoutMs} ms`);
  return extras.join('\n');
}
