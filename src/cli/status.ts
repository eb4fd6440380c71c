/**
 * `aeraki status`: the config a control plane serves (version, when it was read, from which files,
 * the last load) and every proxy connected to it with, per resource type, whether it runs what it
 * was sent — the sync view `istioctl proxy-status` gives for Istio. With `--proxy`, one proxy's own
 * view instead: its xDS connection and the listeners it could not run.
 */
import { relative } from 'node:path';
import { formatIssue } from '../api/issue-format.js';
import type { ConfigStatus } from '../control-plane/control-plane.js';
import type { NodeStatus, TypeStatus, XdsServerStatus } from '../control-plane/server/xds-status.js';
import type { ListenerRejection } from '../proxy/proxy.js';
import type { AdsClientStatus } from '../xds/ads-client.js';
import { discoveryServiceOf } from '../xds/type-urls.js';
import { fetchAdminJson, requestAdmin } from './admin-client.js';
import { parseCommandArgs } from './args.js';
import { renderTable, style, useColor } from './table.js';
import { AerakiError, ErrorCodes } from '../errors.js';
import type { VisibilityExplanation } from '../control-plane/model/proxy-scope.js';

const USAGE = `Usage: aeraki status [options]

Lists every proxy connected to the control plane (aeraki up or aeraki control-plane) and, per
resource type, the config version sent, the version the proxy ACKed, and its last NACK. Then shows
the config it serves: its version, when it was read and from which files, and the last load if it
was rejected.

Options:
  --control-plane HOST:PORT   the control plane's admin API (default 127.0.0.1:15011)
  --proxy HOST:PORT           instead, one proxy's own view from its admin API (aeraki up and
                              aeraki proxy: 127.0.0.1:15000): its xDS connection (connecting,
                              connected, backing off until when), since when, reconnects, last
                              error, versions and updates per type, last NACK, and the listeners it
                              rejected with the reason — what to read when the control plane is away
  --why SERVICE               instead, whether a proxy sees SERVICE (a ServiceEntry host) and why:
                              its namespace and identity, the Sidecar, exportTo, the MetaRouter and
                              DestinationRule it gets; the proxy is --node ID (connected), or one of
                              --namespace NS [--labels K=V,…]
  --json                      print the status as JSON (the control plane's config under "config")
  -h, --help                  show this help
`;

export async function statusCommand(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(
    args,
    {
      'control-plane': { type: 'string', default: '127.0.0.1:15011' },
      proxy: { type: 'string' },
      why: { type: 'string' },
      node: { type: 'string' },
      namespace: { type: 'string' },
      labels: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    USAGE,
  );
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (values.proxy !== undefined) {
    const status = (await fetchAdminJson(values.proxy, '/xds', 'proxy')) as ProxyXdsStatus | null;
    if (values.json) {
      process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
      return 0;
    }
    process.stdout.write(formatProxyStatus(status, useColor(process.stdout)));
    return 0;
  }
  if (values.why !== undefined) {
    if ((values.node === undefined) === (values.namespace === undefined))
      throw new AerakiError(ErrorCodes.CLI_USAGE, `--why needs one of --node and --namespace\n\n${USAGE}`);
    const query = new URLSearchParams({ service: values.why });
    if (values.node !== undefined) query.set('node', values.node);
    if (values.namespace !== undefined) query.set('namespace', values.namespace);
    if (values.labels !== undefined) query.set('labels', values.labels);
    const answer = await requestAdmin(values['control-plane'], `/visibility?${query}`, 'control plane');
    if (answer.status !== 200)
      throw new AerakiError(
        ErrorCodes.NOT_FOUND,
        (answer.body as { error?: string } | undefined)?.error ??
          `the control plane answered ${answer.status}`,
      );
    const explanation = answer.body as VisibilityExplanation;
    if (values.json) process.stdout.write(`${JSON.stringify(explanation, null, 2)}\n`);
    else process.stdout.write(formatVisibility(explanation, useColor(process.stdout)));
    return 0;
  }
  const [status, config] = await Promise.all([
    fetchAdminJson(values['control-plane'], '/status', 'control plane') as Promise<XdsServerStatus>,
    fetchConfigStatus(values['control-plane']),
  ]);
  if (values.json) {
    const whole = config === undefined ? status : { ...status, config };
    process.stdout.write(`${JSON.stringify(whole, null, 2)}\n`);
    return 0;
  }
  const color = useColor(process.stdout);
  process.stdout.write(formatStatus(status, color));
  if (config !== undefined) process.stdout.write('\n' + formatConfigStatus(config, color));
  return 0;
}

/** The control plane's `/config`, or undefined from one too old to have it. */
async function fetchConfigStatus(hostPort: string): Promise<ConfigStatus | undefined> {
  const answer = await requestAdmin(hostPort, '/config', 'control plane');
  return answer.status === 200 && answer.body !== undefined ? (answer.body as ConfigStatus) : undefined;
}

/** Files listed by name before the rest are only counted. */
const LISTED_FILES = 20;

/**
 * The config served, for people: version, when it was read and from how many files (listed, the
 * first {@link LISTED_FILES}), how the directory is watched, and the last load when it was not
 * accepted (the config above keeps serving).
 */
export function formatConfigStatus(config: ConfigStatus, color: boolean): string {
  const lines: string[] = [];
  if (config.version === undefined) {
    lines.push(`config: none served yet from ${config.dir}`);
  } else {
    const files = plural(config.fileCount, 'file');
    lines.push(
      `config ${style(config.version, 'bold', color)} read at ${config.loadedAt ?? '?'} from ${files} in ${config.dir}`,
    );
    for (const file of config.files.slice(0, LISTED_FILES))
      lines.push(`  ${relative(config.dir, file) || file}`);
    if (config.fileCount > LISTED_FILES)
      lines.push(`  … and ${config.fileCount - LISTED_FILES} more (--json lists them all)`);
  }
  const watch = config.watch;
  if (watch === undefined) {
    lines.push('not watched: edits take effect after a restart');
  } else {
    const events = watch.events
      ? `${watch.directories} director${watch.directories === 1 ? 'y' : 'ies'} watched`
      : 'file-system events off';
    const rescan =
      watch.rescanIntervalMs > 0
        ? `re-scanned every ${watch.rescanIntervalMs / 1000}s`
        : 'no periodic re-scan';
    lines.push(`${events}, ${rescan}`);
    for (const failure of watch.failures)
      lines.push(style(`  cannot watch ${failure.directory}: ${failure.reason}`, 'bad', color));
  }
  const last = config.lastLoad;
  if (last !== undefined && last.result !== 'accepted') {
    const why =
      last.result === 'rejected'
        ? plural(last.errors, 'error')
        : `could not be served: ${last.failure ?? 'unknown failure'}`;
    const serving = config.version === undefined ? 'nothing is served' : 'the config above keeps serving';
    lines.push(style(`last load at ${last.at} ${last.result}: ${why}; ${serving}`, 'bad', color));
    for (const issue of last.issues) lines.push(`  ${formatIssue(issue, color)}`);
    if (last.errors > last.issues.length)
      lines.push(`  … and ${plural(last.errors - last.issues.length, 'more error')}`);
  }
  return lines.join('\n') + '\n';
}

/** The status as a table: one row per proxy and resource type. */
export function formatStatus(status: XdsServerStatus, color: boolean): string {
  if (status.nodes.length === 0) return 'no proxy has connected to this control plane\n';
  const rows: string[][] = [];
  for (const node of status.nodes) {
    for (const type of node.types) rows.push(statusRow(node, type, color));
  }
  const nodes = status.nodes.length;
  const connected = status.nodes.filter(n => n.streams > 0).length;
  const scoped = status.nodes.filter(n => n.namespace !== undefined || n.identity !== undefined);
  const scopes =
    scoped.length === 0
      ? ''
      : '\n' +
        renderTable(
          ['PROXY', 'NAMESPACE', 'SIDECAR', 'IDENTITY'],
          scoped.map(n => [
            n.nodeId,
            n.claimedNamespace === undefined
              ? (n.namespace ?? '-')
              : style(`${n.namespace ?? '-'} (node claims ${n.claimedNamespace})`, 'bad', color),
            n.sidecar ?? '-',
            n.identity ?? 'none (plaintext)',
          ]),
          color,
        );
  return (
    renderTable(['PROXY', 'STREAMS', 'TYPE', 'SENT', 'ACKED', 'STATE', 'LAST NACK'], rows, color) +
    `${nodes} proxy(ies), ${connected} connected\n` +
    scopes
  );
}

/** Whether a proxy sees a service, and why. */
export function formatVisibility(explanation: VisibilityExplanation, color: boolean): string {
  const verdict = explanation.visible
    ? style(`sees ${explanation.host}`, 'good', color)
    : style(`does not see ${explanation.host}`, 'bad', color);
  const who =
    explanation.namespace === undefined
      ? 'the proxy (not scoped)'
      : `a proxy of namespace ${explanation.namespace}`;
  return `${who} ${verdict}\n${explanation.reasons.map(r => `  - ${r}\n`).join('')}`;
}

function statusRow(node: NodeStatus, type: TypeStatus, color: boolean): string[] {
  const state =
    type.state === 'acked'
      ? style('SYNCED', 'good', color)
      : type.state === 'nacked'
        ? style('NACKED', 'bad', color)
        : type.state === 'sent'
          ? 'STALE (awaiting ACK)'
          : 'WAITING';
  const nack =
    type.lastNack === undefined
      ? ''
      : `${type.lastNack.version} at ${type.lastNack.at}: ${type.lastNack.errorDetail.message}`;
  return [
    node.nodeId,
    String(node.streams),
    discoveryServiceOf(type.typeUrl)?.toUpperCase() ?? type.typeUrl,
    type.sentVersion ?? '-',
    type.ackedVersion ?? '-',
    state,
    nack,
  ];
}

/** A proxy's `GET /xds`: its ADS client's status and the listeners it rejected. */
export type ProxyXdsStatus = AdsClientStatus & { readonly rejectedListeners: readonly ListenerRejection[] };

/** A proxy's own view: its xDS connection, per type its version and updates, its rejected listeners. */
export function formatProxyStatus(status: ProxyXdsStatus | null, color: boolean): string {
  if (status === null) return 'this proxy runs a static config (no xDS)\n';
  const state =
    status.state === 'connected'
      ? style('CONNECTED', 'good', color)
      : status.state === 'backing-off'
        ? style(`BACKING OFF until ${status.retryAt ?? '?'}`, 'bad', color)
        : status.state.toUpperCase();
  let out =
    `xDS ${status.target}: ${state} for ${formatAge(status.sinceMs)} (since ${status.since}), ` +
    `${status.reconnects} reconnect(s)\n`;
  if (status.lastError !== undefined)
    out += `last error at ${status.lastError.at}: ${status.lastError.message}\n`;
  const rows = Object.entries(status.versions).map(([typeUrl, version]) => {
    const updates = status.updates[typeUrl];
    return [
      discoveryServiceOf(typeUrl)?.toUpperCase() ?? typeUrl,
      version === '' ? '-' : version,
      updates === undefined ? '-' : `${updates.attempt}/${updates.success}/${updates.rejected}`,
    ];
  });
  out += '\n' + renderTable(['TYPE', 'VERSION', 'UPDATES (RECEIVED/ACKED/NACKED)'], rows, color);
  if (status.lastNack !== undefined) {
    const type = discoveryServiceOf(status.lastNack.typeUrl)?.toUpperCase() ?? status.lastNack.typeUrl;
    out += `last NACK (${type}) at ${status.lastNack.at}: ${status.lastNack.message}\n`;
  }
  for (const invalid of status.invalidResources) {
    const type = discoveryServiceOf(invalid.typeUrl)?.toUpperCase() ?? invalid.typeUrl;
    out += `invalid ${type} resource ${invalid.name}: ${invalid.reason}\n`;
  }
  if (status.rejectedListeners.length === 0) return out + 'every listener runs\n';
  const listeners = status.rejectedListeners.map(r => [
    r.name,
    `${r.address}:${r.port}`,
    r.serving === 'previous' ? 'previous version' : style('nothing', 'bad', color),
    r.code,
    r.retryAt === undefined ? r.reason : `${r.reason} (bind retried at ${r.retryAt})`,
  ]);
  return (
    out +
    '\n' +
    renderTable(['REJECTED LISTENER', 'ADDRESS', 'SERVING', 'CODE', 'REASON'], listeners, color) +
    `${status.rejectedListeners.length} listener(s) rejected; the others run\n`
  );
}

function formatAge(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)}s`;
  return `${Math.round(ms / 60_000)}m`;
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
