/**
 * `aeraki status`: every proxy connected to a control plane and, per resource type, whether it runs
 * what it was sent — the sync view `istioctl proxy-status` gives for Istio.
 */
import type { NodeStatus, TypeStatus, XdsServerStatus } from '../control-plane/server/xds-status.js';
import { discoveryServiceOf } from '../xds/type-urls.js';
import { fetchAdminJson } from './admin-client.js';
import { parseCommandArgs } from './args.js';
import { renderTable, style, useColor } from './table.js';

const USAGE = `Usage: aeraki status [options]

Lists every proxy connected to the control plane (aeraki up or aeraki control-plane) and, per
resource type, the config version sent, the version the proxy ACKed, and its last NACK.

Options:
  --control-plane HOST:PORT   the control plane's admin API (default 127.0.0.1:15011)
  --json                      print the control plane's status as JSON
  -h, --help                  show this help
`;

export async function statusCommand(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(
    args,
    {
      'control-plane': { type: 'string', default: '127.0.0.1:15011' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    USAGE,
  );
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const status = (await fetchAdminJson(
    values['control-plane'],
    '/status',
    'control plane',
  )) as XdsServerStatus;
  if (values.json) {
    process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
    return 0;
  }
  process.stdout.write(formatStatus(status, useColor(process.stdout)));
  return 0;
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
  return (
    renderTable(['PROXY', 'STREAMS', 'TYPE', 'SENT', 'ACKED', 'STATE', 'LAST NACK'], rows, color) +
    `${nodes} proxy(ies), ${connected} connected\n`
  );
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
