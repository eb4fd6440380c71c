/**
 * A cluster's endpoints ⇄ an Envoy `envoy.config.endpoint.v3.ClusterLoadAssignment`:
 *
 * ```
 * ClusterLoadAssignment { cluster_name,
 *   endpoints: [ { lb_endpoints: [ per endpoint:
 *     { endpoint: { address: { socket_address: { address, port_value } } },
 *       load_balancing_weight: { value: weight },
 *       metadata: { filter_metadata: { "envoy.lb": { <label>: "<value>", … } } } } ] } ] }
 * ```
 *
 * Labels go under `envoy.lb`, the key Envoy's subset load balancer reads endpoint labels from. Decoding
 * flattens every locality, skips endpoints whose health_status is UNHEALTHY, DRAINING or TIMEOUT,
 * reads a missing weight as 1, and turns non-string label values into strings.
 */
import type { EndpointAssignmentResource, EndpointResource } from './resources.js';
import { decodeMessage, encodeMessage, type ProtoObject } from './proto-message.js';
import { invalidResource, resourceLabel } from './invalid-resource.js';
import { ENDPOINT_LABELS_METADATA_KEY } from './type-urls.js';
import { jsonFromStruct, structFromJson, wrapperValue } from './well-known.js';

const MESSAGE = 'envoy.config.endpoint.v3.ClusterLoadAssignment';
const NOT_SERVING = new Set(['UNHEALTHY', 'DRAINING', 'TIMEOUT']);

/** The ClusterLoadAssignment of one cluster. */
export function encodeEndpointAssignment(assignment: EndpointAssignmentResource): Uint8Array {
  return encodeMessage(MESSAGE, {
    cluster_name: assignment.clusterName,
    endpoints: [
      {
        lb_endpoints: assignment.endpoints.map(e => ({
          endpoint: { address: { socket_address: { address: e.address, port_value: e.port } } },
          load_balancing_weight: { value: e.weight },
          metadata: { filter_metadata: { [ENDPOINT_LABELS_METADATA_KEY]: structFromJson(e.labels) } },
        })),
      },
    ],
  });
}

function labelsOf(endpoint: ProtoObject): Record<string, string> {
  const metadata = (endpoint['metadata'] as ProtoObject | undefined)?.['filter_metadata'] as
    Record<string, ProtoObject> | undefined;
  const struct = metadata?.[ENDPOINT_LABELS_METADATA_KEY];
  if (struct === undefined) return {};
  const labels: Record<string, string> = {};
  for (const [key, value] of Object.entries(jsonFromStruct(struct))) {
    labels[key] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  return labels;
}

/** Endpoints from a decoded ClusterLoadAssignment (also used for a STATIC cluster's load_assignment). */
export function endpointAssignmentFromProto(
  assignment: ProtoObject,
  label: string,
  path: string,
): EndpointAssignmentResource {
  const prefix = path === '' ? '' : `${path}.`;
  const endpoints: EndpointResource[] = [];
  ((assignment['endpoints'] ?? []) as ProtoObject[]).forEach((locality, l) => {
    ((locality['lb_endpoints'] ?? []) as ProtoObject[]).forEach((lbEndpoint, e) => {
      if (NOT_SERVING.has(String(lbEndpoint['health_status'] ?? ''))) return;
      const at = `${prefix}endpoints[${l}].lb_endpoints[${e}]`;
      const endpoint = (lbEndpoint['endpoint'] ?? {}) as ProtoObject;
      const socket = ((endpoint['address'] ?? {}) as ProtoObject)['socket_address'] as
        ProtoObject | undefined;
      if (socket === undefined)
        throw invalidResource(label, `${at}.endpoint.address.socket_address`, 'is required');
      const address = typeof socket['address'] === 'string' ? socket['address'] : '';
      if (address === '')
        throw invalidResource(label, `${at}.endpoint.address.socket_address.address`, 'must not be empty');
      const port = Number(socket['port_value'] ?? 0);
      if (!(port >= 1 && port <= 65535)) {
        throw invalidResource(
          label,
          `${at}.endpoint.address.socket_address.port_value`,
          `must be 1-65535, got ${port}`,
        );
      }
      const weight = wrapperValue<number>(lbEndpoint['load_balancing_weight']) ?? 1;
      if (weight < 1) throw invalidResource(label, `${at}.load_balancing_weight`, 'must be at least 1');
      endpoints.push({ address, port, labels: labelsOf(lbEndpoint), weight });
    });
  });
  return {
    clusterName: typeof assignment['cluster_name'] === 'string' ? assignment['cluster_name'] : '',
    endpoints,
  };
}

/** Endpoints from ClusterLoadAssignment bytes; throws AERAKI_ERR_XDS_INVALID_RESOURCE naming the field. */
export function decodeEndpointAssignment(bytes: Uint8Array): EndpointAssignmentResource {
  const assignment = decodeMessage(MESSAGE, bytes);
  const name = typeof assignment['cluster_name'] === 'string' ? assignment['cluster_name'] : '';
  const label = resourceLabel('ClusterLoadAssignment', name);
  if (name === '') throw invalidResource(label, 'cluster_name', 'must not be empty');
  return endpointAssignmentFromProto(assignment, label, '');
}
