/**
 * Incremental (delta) discovery messages (envoy.service.discovery.v3) and the delta ADS method, for
 * both ends of a delta ADS stream. A proxy sends only changes to what it subscribes to, and ACKs with a
 * nonce alone; the server sends only resources that changed and the names of those removed.
 *
 * Wire grammar of the response, written by hand so that the bytes each resource was encoded to once
 * (an `Any` as DiscoveryResponse field 2, see discovery-messages.ts) are spliced in unchanged:
 *
 * ```
 * DeltaDiscoveryResponse = { 1: system_version_info string, 2: resources Resource (repeated),
 *                            4: type_url string, 6: removed_resources string (repeated),
 *                            5: nonce string, 7: control_plane ControlPlane { 1: identifier string } }
 *                          (written in that order; the part before the nonce is shared between proxies)
 * Resource               = { 1: version string, 2: resource Any, 3: name string }
 * ```
 *
 * A Resource's field 2 has the same number and type as a DiscoveryResponse's resources, so a
 * resource's DiscoveryResponse bytes are its Resource's middle field as they are.
 *
 * Requests (small: a first subscription, then changes and ACKs) go through protobufjs.
 */
import type { MethodDefinition } from '@grpc/grpc-js';
import { encodeResponseResource, nodeFromProto, withNodeProto, type XdsNode } from './discovery-messages.js';
import { decodeMessage, encodeMessage, type ProtoObject } from './proto-message.js';
import { concatFramed } from './grpc-frame.js';
import { lengthDelimited, stringField, varintLength, writeVarint } from './protobuf-fields.js';
import type { AnyMessage } from './xds-resource.js';

/** The gRPC method path of incremental ADS. */
export const DELTA_ADS_METHOD_PATH =
  '/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources';

/** envoy.service.discovery.v3.DeltaDiscoveryRequest, decoded (snake_case, as on the wire). */
export interface DeltaDiscoveryRequest {
  readonly node?: XdsNode;
  readonly type_url: string;
  readonly resource_names_subscribe: readonly string[];
  readonly resource_names_unsubscribe: readonly string[];
  /** On a stream's first request per type: the versions of the resources the proxy already holds. */
  readonly initial_resource_versions: Readonly<Record<string, string>>;
  readonly response_nonce: string;
  /** Present on a NACK: google.rpc.Status. */
  readonly error_detail?: { readonly code: number; readonly message: string };
}

/** envoy.service.discovery.v3.Resource, decoded (the fields we use). */
export interface DeltaResource {
  readonly name: string;
  readonly version: string;
  readonly resource: AnyMessage;
}

/** envoy.service.discovery.v3.DeltaDiscoveryResponse, decoded. */
export interface DeltaDiscoveryResponse {
  readonly system_version_info: string;
  readonly resources: readonly DeltaResource[];
  readonly type_url: string;
  readonly removed_resources: readonly string[];
  readonly nonce: string;
  readonly control_plane?: { readonly identifier: string };
}

const REQUEST = 'envoy.service.discovery.v3.DeltaDiscoveryRequest';
const RESPONSE = 'envoy.service.discovery.v3.DeltaDiscoveryResponse';

export function encodeDeltaDiscoveryRequest(request: DeltaDiscoveryRequest): Buffer {
  return Buffer.from(encodeMessage(REQUEST, withNodeProto(request)));
}

export function decodeDeltaDiscoveryRequest(bytes: Uint8Array): DeltaDiscoveryRequest {
  const o = decodeMessage(REQUEST, bytes);
  const node = o['node'] as ProtoObject | undefined;
  const status = o['error_detail'] as { code?: number; message?: string } | undefined;
  return {
    type_url: (o['type_url'] as string | undefined) ?? '',
    resource_names_subscribe: (o['resource_names_subscribe'] as string[] | undefined) ?? [],
    resource_names_unsubscribe: (o['resource_names_unsubscribe'] as string[] | undefined) ?? [],
    initial_resource_versions: (o['initial_resource_versions'] as Record<string, string> | undefined) ?? {},
    response_nonce: (o['response_nonce'] as string | undefined) ?? '',
    ...(node === undefined ? {} : { node: nodeFromProto(node) }),
    ...(status === undefined
      ? {}
      : { error_detail: { code: status.code ?? 0, message: status.message ?? '' } }),
  };
}

export function decodeDeltaDiscoveryResponse(bytes: Uint8Array): DeltaDiscoveryResponse {
  const o = decodeMessage(RESPONSE, bytes);
  const resources = (o['resources'] ?? []) as {
    name?: string;
    version?: string;
    resource?: Partial<AnyMessage>;
  }[];
  return {
    system_version_info: (o['system_version_info'] as string | undefined) ?? '',
    resources: resources.map(r => ({
      name: r.name ?? '',
      version: r.version ?? '',
      resource: { type_url: r.resource?.type_url ?? '', value: r.resource?.value ?? new Uint8Array(0) },
    })),
    type_url: (o['type_url'] as string | undefined) ?? '',
    removed_resources: (o['removed_resources'] as string[] | undefined) ?? [],
    nonce: (o['nonce'] as string | undefined) ?? '',
    ...(o['control_plane'] === undefined
      ? {}
      : { control_plane: o['control_plane'] as { identifier: string } }),
  };
}

/** A resource to send: its name, version and its bytes as DiscoveryResponse field 2 (the Any). */
export interface DeltaResourceWire {
  readonly name: string;
  readonly version: string;
  readonly wire: Uint8Array;
}

/**
 * Everything of a DeltaDiscoveryResponse but its nonce and control plane: version, resources,
 * type URL and removed names, in one allocation. Shared by every proxy sent the same changes.
 */
export function assembleDeltaResponseBody(
  systemVersion: string,
  typeUrl: string,
  resources: readonly DeltaResourceWire[],
  removed: readonly string[],
): Buffer {
  const head = stringField(1, systemVersion);
  const tail = stringField(4, typeUrl);
  let size = head.length + tail.length;
  const lengths: number[] = [];
  for (const r of resources) {
    const length = stringFieldSize(r.version) + r.wire.length + stringFieldSize(r.name);
    lengths.push(length);
    size += 1 + varintLength(length) + length;
  }
  for (const name of removed) size += stringFieldSize(name);
  const out = Buffer.allocUnsafe(size);
  out.set(head, 0);
  let offset = head.length;
  for (let i = 0; i < resources.length; i++) {
    const r = resources[i]!;
    out[offset++] = (2 << 3) | 2;
    offset = writeVarint(out, offset, lengths[i]!);
    offset = writeStringField(out, offset, 1, r.version);
    out.set(r.wire, offset);
    offset += r.wire.length;
    offset = writeStringField(out, offset, 3, r.name);
  }
  out.set(tail, offset);
  offset += tail.length;
  for (const name of removed) offset = writeStringField(out, offset, 6, name);
  if (offset !== size) throw new Error(`delta response body: wrote ${offset} of ${size} bytes`);
  return out;
}

/**
 * A whole DeltaDiscoveryResponse: a body from assembleDeltaResponseBody, then nonce and control plane,
 * allocated with its gRPC frame header in front (allocFramed) so that it is sent without a copy.
 */
export function finishDeltaResponse(body: Buffer, nonce: string, controlPlaneId = ''): Buffer {
  const controlPlane =
    controlPlaneId === '' ? Buffer.alloc(0) : lengthDelimited(7, stringField(1, controlPlaneId));
  return concatFramed([body, stringField(5, nonce), controlPlane]);
}

/** A DeltaDiscoveryResponse from decoded parts (tests, tools). */
export function encodeDeltaDiscoveryResponse(response: DeltaDiscoveryResponse): Buffer {
  const resources = response.resources.map(r => ({
    name: r.name,
    version: r.version,
    wire: encodeResponseResource(r.resource.type_url, r.resource.value),
  }));
  const body = assembleDeltaResponseBody(
    response.system_version_info,
    response.type_url,
    resources,
    response.removed_resources,
  );
  return finishDeltaResponse(body, response.nonce, response.control_plane?.identifier ?? '');
}

function stringFieldSize(value: string): number {
  if (value === '') return 0;
  const length = Buffer.byteLength(value, 'utf8');
  return 1 + varintLength(length) + length;
}

function writeStringField(out: Buffer, offset: number, field: number, value: string): number {
  if (value === '') return offset;
  out[offset++] = (field << 3) | 2;
  offset = writeVarint(out, offset, Buffer.byteLength(value, 'utf8'));
  return offset + out.write(value, offset, 'utf8');
}

/** The delta ADS method for grpc-js clients and servers (no proto loading needed). */
export const deltaAdsMethodDefinition: MethodDefinition<DeltaDiscoveryRequest, DeltaDiscoveryResponse> = {
  path: DELTA_ADS_METHOD_PATH,
  requestStream: true,
  responseStream: true,
  requestSerialize: encodeDeltaDiscoveryRequest,
  requestDeserialize: decodeDeltaDiscoveryRequest,
  responseSerialize: encodeDeltaDiscoveryResponse,
  responseDeserialize: decodeDeltaDiscoveryResponse,
};
