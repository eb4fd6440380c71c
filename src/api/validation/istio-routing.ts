/**
 * Gateway and VirtualService rules, as far as Aeraki reads them (Istio checks the rest).
 */
import type { GatewaySpec } from '../gateway.js';
import type { FieldIssue } from '../issue.js';
import { selectPortProtocol } from '../port-protocol.js';
import type { VirtualServiceSpec } from '../virtual-service.js';

export function validateGateway(spec: GatewaySpec): FieldIssue[] {
  const issues: FieldIssue[] = [];
  spec.servers.forEach((server, i) => {
    if (selectPortProtocol(server.port.name).family === 'metaprotocol-unnamed') {
      issues.push({
        severity: 'warning',
        path: ['spec', 'servers', i, 'port', 'name'],
        rule: 'metaprotocol-port-protocol',
        message: `port name '${server.port.name}' names no application protocol (tcp-metaprotocol-<protocol>[-…]); the server is not a MetaProtocol entry point`,
      });
    }
  });
  return issues;
}

export function validateVirtualService(spec: VirtualServiceSpec): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if ((spec.hosts ?? []).length === 0) {
    issues.push({
      severity: 'error',
      path: ['spec', 'hosts'],
      rule: 'hosts-required',
      message: 'a VirtualService must name at least one host',
    });
  }
  return issues;
}
