/**
 * State-of-the-world discovery messages (envoy.service.discovery.v3) and the ADS method, for both ends
 * of an ADS stream.
 *
 * Wire grammar of the response, written by hand so that each resource is encoded once per snapshot and
 * the same bytes are spliced into every proxy's response:
 *
 * ```
 * DiscoveryResponse = { 1: version_info string, 2: resources Any (repeated), 4: type_url string,
 *                       5: nonce string, 6: control_plane ControlPlane { 1: identifier string } }
 *                     (written in that order; the part before the nonce is shared between proxies)
 * Any               = { 1: type_url string, 2: value bytes }
 * field             = tag (varint: number << 3 | 2 for length-delimited) · length (varint) · bytes
 * ```
 *
 * Requests (small, once per ACK) go through protobufjs.
 */
import type { MethodDefinition } from '@grpc/grpc-js';
import { decodeMessage, encodeMessage, type ProtoObject } from './proto-message.js';
import type { AnyMessage } from './xds-resource.js';
import { concatFramed } from './grpc-frame.js';
import { lengthDelimited, stringField, varintLength, writeVarint } from './protobuf-fields.js';
import { jsonFromStruct, structFromJson } from './well-known.js';

/** The gRPC method path of state-of-the-world ADS. */
export const ADS_METHOD_PATH =
  '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources';

/** The identity a node sends (envoy.config.core.v3.Node, the fields we use). */
export interface XdsNode {
  readonly id: string;
  readonly cluster?: string;
  readonly metadata?: Readonly<Record<string, unknown>>;
  readonly user_agent_name?: string;
}

/** envoy.service.discovery.v3.DiscoveryRequest, decoded (snake_case, as on the wire). */
export interface DiscoveryRequest {
  readonly version_info: string;
  readonly node?: XdsNode;
  readonly resource_names: readonly string[];
  readonly type_url: string;
  readonly response_nonce: string;
  /** Present on a NACK: google.rpc.Status. */
  readonly error_detail?: { readonly code: number; readonly message: string };
}

/** envoy.service.discovery.v3.DiscoveryResponse, decoded. */
export interface DiscoveryResponse {
  readonly version_info: string;
  readonly resources: readonly AnyMessage[];
  readonly type_url: string;
  readonly nonce: string;
  readonly control_plane?: { readonly identifier: string };
}

const REQUEST = 'envoy.service.discovery.v3.DiscoveryRequest';
const RESPONSE = 'envoy.service.discovery.v3.DiscoveryResponse';

export function encodeDiscoveryRequest(request: DiscoveryRequest): Buffer {
  return Buffer.from(encodeMessage(REQUEST, withNodeProto(request)));
}

/** A request object with its node's metadata as a google.protobuf.Struct, ready for protobufjs. */
export function withNodeProto<R extends { readonly node?: XdsNode }>(request: R): ProtoObject {
  const node = request.node;
  return node?.metadata === undefined
    ? { ...request }
    : { ...request, node: { ...node, metadata: structFromJson(node.metadata) } };
}

/** A decoded envoy.config.core.v3.Node, its metadata as plain JSON. */
export function nodeFromProto(node: ProtoObject): XdsNode {
  const metadata = node['metadata'] as ProtoObject | undefined;
  return {
    ...node,
    id: typeof node['id'] === 'string' ? node['id'] : '',
    ...(metadata === undefined ? {} : { metadata: jsonFromStruct(metadata) }),
  } as XdsNode;
}

export function decodeDiscoveryRequest(bytes: Uint8Array): DiscoveryRequest {
  const o = decodeMessage(REQUEST, bytes);
  const status = o['error_detail'] as { code?: number; message?: string } | undefined;
  const request: DiscoveryRequest = {
    version_info: (o['version_info'] as string | undefined) ?? '',
    resource_names: (o['resource_names'] as string[] | undefined) ?? [],
    type_url: (o['type_url'] as string | undefined) ?? '',
    response_nonce: (o['response_nonce'] as string | undefined) ?? '',
    ...(o['node'] === undefined ? {} : { node: nodeFromProto(o['node'] as ProtoObject) }),
    ...(status === undefined
      ? {}
      : { error_detail: { code: status.code ?? 0, message: status.message ?? '' } }),
  };
  return request;
}

export function decodeDiscoveryResponse(bytes: Uint8Array): DiscoveryResponse {
  const o = decodeMessage(RESPONSE, bytes);
  return {
    version_info: (o['version_info'] as string | undefined) ?? '',
    resources: ((o['resources'] ?? []) as Partial<AnyMessage>[]).map(r => ({
      type_url: r.type_url ?? '',
      value: r.value ?? new Uint8Array(0),
    })),
    type_url: (o['type_url'] as string | undefined) ?? '',
    nonce: (o['nonce'] as string | undefined) ?? '',
    ...(o['control_plane'] === undefined
      ? {}
      : { control_plane: o['control_plane'] as { identifier: string } }),
  };
}

/** One resource as field 2 of a DiscoveryResponse, ready to splice: encode once, send many times. */
export function encodeResponseResource(typeUrl: string, value: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(responseResourceSize(typeUrl, value.length));
  writeResponseResource(out, 0, typeUrl, value);
  return out;
}

/** Bytes of a value's 0x0A-style field: tag (fields 1–15 take one byte), length, payload. */
function fieldSize(payloadLength: number): number {
  return 1 + varintLength(payloadLength) + payloadLength;
}

/** The Any's fields: type_url (1, left out when empty) and value (2). */
function anySize(typeUrl: string, valueLength: number): number {
  const urlLength = Buffer.byteLength(typeUrl, 'utf8');
  return (urlLength === 0 ? 0 : fieldSize(urlLength)) + fieldSize(valueLength);
}

/** Size of encodeResponseResource's output, to lay many of them out in one allocation. */
export function responseResourceSize(typeUrl: string, valueLength: number): number {
  return fieldSize(anySize(typeUrl, valueLength));
}

/**
 * Writes what encodeResponseResource returns into `out` at `offset`, without any intermediate buffer;
 * returns the offset after it.
 */
export function writeResponseResource(
  out: Buffer,
  offset: number,
  typeUrl: string,
  value: Uint8Array,
): number {
  out[offset++] = (2 << 3) | 2;
  offset = writeVarint(out, offset, anySize(typeUrl, value.length));
  const urlLength = Buffer.byteLength(typeUrl, 'utf8');
  if (urlLength > 0) {
    out[offset++] = (1 << 3) | 2;
    offset = writeVarint(out, offset, urlLength);
    offset += out.write(typeUrl, offset, 'utf8');
  }
  out[offset++] = (2 << 3) | 2;
  offset = writeVarint(out, offset, value.length);
  out.set(value, offset);
  return offset + value.length;
}

/**
 * Everything of a DiscoveryResponse but its nonce and control plane: version, resources (already
 * encoded by encodeResponseResource) and type URL. Field order is free in protobuf, so one body can be
 * shared by every proxy that is sent the same resources.
 */
export function assembleResponseBody(
  versionInfo: string,
  typeUrl: string,
  encodedResources: readonly Buffer[],
): Buffer {
  return Buffer.concat([stringField(1, versionInfo), ...encodedResources, stringField(4, typeUrl)]);
}

/**
 * A whole DiscoveryResponse: a body from assembleResponseBody, then the nonce and control plane. It is
 * allocated with its gRPC frame header in front (allocFramed), so that it is sent without a copy.
 */
export function finishResponse(body: Buffer, nonce: string, controlPlaneId = ''): Buffer {
  const controlPlane =
    controlPlaneId === '' ? Buffer.alloc(0) : lengthDelimited(6, stringField(1, controlPlaneId));
  return concatFramed([body, stringField(5, nonce), controlPlane]);
}

/** A DiscoveryResponse from resources already encoded by encodeResponseResource. */
export function assembleDiscoveryResponse(
  versionInfo: string,
  typeUrl: string,
  nonce: string,
  encodedResources: readonly Buffer[],
  controlPlaneId = '',
): Buffer {
  return finishResponse(assembleResponseBody(versionInfo, typeUrl, encodedResources), nonce, controlPlaneId);
}

/** A DiscoveryResponse from decoded parts. */
export function encodeDiscoveryResponse(response: DiscoveryResponse): Buffer {
  return assembleDiscoveryResponse(
    response.version_info,
    response.type_url,
    response.nonce,
    response.resources.map(r => encodeResponseResource(r.type_url, r.value)),
    response.control_plane?.identifier ?? '',
  );
}

/** The ADS bidirectional-streaming method for grpc-js clients and servers (no proto loading needed). */
export const adsMethodDefinition: MethodDefinition<DiscoveryRequest, DiscoveryResponse> = {
  path: ADS_METHOD_PATH,
  requestStream: true,
  responseStream: true,
  requestSerialize: encodeDiscoveryRequest,
  requestDeserialize: decodeDiscoveryRequest,
  responseSerialize: encodeDiscoveryResponse,
  responseDeserialize: decodeDiscoveryResponse,
};
