/**
 * ServiceEntry rules: Istio's own checks on hosts, addresses, ports and endpoints, and what the
 * MetaProtocol proxy needs from a MetaProtocol port (an application protocol in its name, a listen
 * address, endpoints).
 */
import type { FieldIssue, FieldPath } from '../issue.js';
import { hostProblem, isIpAddress, isWildcardHost, parseCidr, singleAddress } from '../names.js';
import { selectPortProtocol } from '../port-protocol.js';
import type { ServiceEntrySpec } from '../service-entry.js';
import { validateExportTo } from './export-to.js';

const istioProtocols = new Set([
  'HTTP',
  'HTTPS',
  'HTTP2',
  'HTTP_PROXY',
  'GRPC',
  'GRPC-WEB',
  'TCP',
  'TLS',
  'UDP',
  'MONGO',
  'MYSQL',
  'REDIS',
  'THRIFT',
]);

const portName = /^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/;

export function validateServiceEntry(spec: ServiceEntrySpec, namespace: string): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const error = (path: FieldPath, rule: string, message: string): void => {
    issues.push({ severity: 'error', path, rule, message });
  };

  spec.hosts.forEach((host, i) => {
    const problem = hostProblem(host);
    if (problem !== undefined)
      error(['spec', 'hosts', i], 'host-invalid', `host '${host}' is not valid: ${problem}`);
  });
  (spec.addresses ?? []).forEach((address, i) => {
    if (!isIpAddress(address) && parseCidr(address) === undefined) {
      error(
        ['spec', 'addresses', i],
        'address-invalid',
        `address '${address}' must be an IP address or CIDR block`,
      );
    }
  });

  const numbers = new Set<number>();
  const names = new Set<string>();
  spec.ports.forEach((port, i) => {
    const at = ['spec', 'ports', i];
    if (numbers.has(port.number)) {
      error([...at, 'number'], 'port-number-duplicate', `port ${port.number} is defined twice`);
    }
    numbers.add(port.number);
    if (names.has(port.name))
      error([...at, 'name'], 'port-name-duplicate', `port name '${port.name}' is used twice`);
    names.add(port.name);
    if (port.name.length > 63 || !portName.test(port.name)) {
      error(
        [...at, 'name'],
        'port-name-invalid',
        `port name '${port.name}' must be letters, digits and '-', start and end with a letter or digit, at most 63 characters`,
      );
    }
    if (port.protocol !== undefined && !istioProtocols.has(port.protocol.toUpperCase())) {
      error(
        [...at, 'protocol'],
        'port-protocol-unknown',
        `protocol '${port.protocol}' is not an Istio protocol (for MetaProtocol ports use TCP)`,
      );
    }
    issues.push(...metaProtocolPortIssues(spec, i));
  });

  const resolution = spec.resolution ?? 'NONE';
  const endpoints = spec.endpoints ?? [];
  if (resolution === 'NONE' && endpoints.length > 0) {
    error(
      ['spec', 'endpoints'],
      'endpoints-with-resolution-none',
      'endpoints need resolution STATIC or DNS, not NONE',
    );
  }
  if (spec.workloadSelector !== undefined && endpoints.length > 0) {
    error(
      ['spec', 'workloadSelector'],
      'workload-selector-with-endpoints',
      'set workloadSelector or endpoints, not both',
    );
  }
  endpoints.forEach((endpoint, i) => {
    const at = ['spec', 'endpoints', i];
    const address = endpoint.address;
    if (address === undefined) {
      error(at, 'endpoint-address', 'endpoint address is required');
    } else if (resolution === 'STATIC' && !isIpAddress(address) && !address.startsWith('unix://')) {
      error(
        [...at, 'address'],
        'endpoint-address',
        `with resolution STATIC, address '${address}' must be an IP address`,
      );
    } else if (resolution !== 'STATIC' && !isIpAddress(address) && hostProblem(address) !== undefined) {
      error(
        [...at, 'address'],
        'endpoint-address',
        `address '${address}' must be an IP address or host name`,
      );
    }
    for (const name of Object.keys(endpoint.ports ?? {})) {
      if (!names.has(name)) {
        error(
          [...at, 'ports', name],
          'endpoint-port-name',
          `endpoint port '${name}' names no port of the ServiceEntry (known: ${[...names].join(', ')})`,
        );
      }
    }
  });

  issues.push(...validateExportTo(spec.exportTo, namespace, ['spec', 'exportTo'], true));
  return issues;
}

/** Rules for a port served by the MetaProtocol proxy. */
function metaProtocolPortIssues(spec: ServiceEntrySpec, index: number): FieldIssue[] {
  const port = spec.ports[index];
  if (port === undefined) return [];
  const at = ['spec', 'ports', index];
  const selected = selectPortProtocol(port.name);
  if (selected.family === 'metaprotocol-unnamed') {
    return [
      {
        severity: 'error',
        path: [...at, 'name'],
        rule: 'metaprotocol-port-name',
        message: `port name '${port.name}' names no application protocol; use tcp-metaprotocol-<protocol>[-suffix], e.g. tcp-metaprotocol-thrift`,
      },
    ];
  }
  if (selected.family !== 'metaprotocol') return [];
  const issues: FieldIssue[] = [];
  const warn = (path: FieldPath, rule: string, message: string): void => {
    issues.push({ severity: 'warning', path, rule, message });
  };
  if (port.protocol !== undefined && port.protocol.toUpperCase() !== 'TCP') {
    warn(
      [...at, 'protocol'],
      'metaprotocol-port-protocol',
      `MetaProtocol port '${port.name}' should have protocol TCP, not ${port.protocol}: in Istio the MetaProtocol filter replaces the TCP proxy`,
    );
  }
  const host = spec.hosts[0] ?? '';
  if (isWildcardHost(host)) {
    warn(
      ['spec', 'hosts', 0],
      'wildcard-host',
      `MetaProtocol port '${port.name}' is skipped: hosts[0] '${host}' is a wildcard, and it names the route table`,
    );
    return issues;
  }
  const addresses = spec.addresses ?? [];
  if (addresses.length === 0) {
    warn(
      at,
      'no-addresses',
      `no listener for port ${port.number}: the ServiceEntry has no addresses (add spec.addresses; any 127.x.y.z works locally)`,
    );
  }
  addresses.forEach((address, i) => {
    if (parseCidr(address) !== undefined && singleAddress(address) === undefined) {
      warn(
        ['spec', 'addresses', i],
        'address-not-listenable',
        `no listener on '${address}' for port ${port.number}: the proxy listens on single addresses, not CIDR blocks`,
      );
    }
  });
  const resolution = spec.resolution ?? 'NONE';
  if ((spec.endpoints ?? []).length === 0 && resolution !== 'DNS' && resolution !== 'DNS_ROUND_ROBIN') {
    warn(
      spec.endpoints === undefined ? ['spec'] : ['spec', 'endpoints'],
      'no-endpoints',
      resolution === 'NONE'
        ? `MetaProtocol port ${port.number} has no endpoints: resolution NONE (pass-through) is not supported, list endpoints with resolution STATIC`
        : `MetaProtocol port ${port.number} has no endpoints${spec.workloadSelector === undefined ? '' : ' (workloadSelector endpoints are not read from files)'}`,
    );
  }
  return issues;
}
