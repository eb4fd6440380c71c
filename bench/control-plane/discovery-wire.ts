/**
 * The few bytes of ADS a simulated proxy needs, read and written by hand so that a thousand proxies in
 * one process cost little: a response is walked field by field without decoding its resources, and a
 * request is assembled from a pre-encoded block of resource names shared by every proxy.
 *
 * Wire grammar (envoy.service.discovery.v3, proto3):
 *
 * ```
 * DiscoveryResponse = { 1: version_info string, 2: resources Any (repeated), 4: type_url string,
 *                       5: nonce string, 6: control_plane message }
 * DiscoveryRequest  = { 1: version_info string, 2: node Node { 1: id string }, 3: resource_names string
 *                       (repeated), 4: type_url string, 5: response_nonce string }
 * Any               = { 1: type_url string, 2: value bytes }
 * Cluster           = { 1: name string, … }
 *
 * DeltaDiscoveryResponse = { 1: system_version_info string, 2: resources Resource (repeated),
 *                            4: type_url string, 5: nonce string, 6: removed_resources string
 *                            (repeated), 7: control_plane message }
 * Resource               = { 1: version string, 2: resource Any, 3: name string }
 * DeltaDiscoveryRequest  = { 1: node Node { 1: id string }, 2: type_url string,
 *                            3: resource_names_subscribe string (repeated),
 *                            4: resource_names_unsubscribe string (repeated), 6: response_nonce string }
 * ```
 *
 * (fields and varints as in src/xds/protobuf-fields.ts, whose reader this uses)
 */
import { fieldEnd, lengthDelimited, readVarint, stringField } from '../../src/xds/protobuf-fields.js';

/** The parts of a DiscoveryResponse a simulated proxy looks at. */
export interface ResponseHead {
  readonly versionInfo: string;
  readonly typeUrl: string;
  readonly nonce: string;
  /** `Any.value` of each resource (views into the response), only when asked for. */
  readonly resources: Buffer[];
}

/** Calls `onField(number, start, end)` for each length-delimited field of `buf[start, end)`; skips others. */
function forEachField(
  buf: Buffer,
  start: number,
  end: number,
  onField: (field: number, from: number, to: number) => void,
): void {
  let offset = start;
  while (offset < end) {
    const [tag, afterTag] = readVarint(buf, offset);
    const wireType = tag & 7;
    offset = fieldEnd(buf, wireType, afterTag);
    if (offset < 0) throw new Error(`unsupported wire type ${wireType}`);
    if (wireType === 2) onField(Math.floor(tag / 8), readVarint(buf, afterTag)[1], offset);
  }
  if (offset !== end) throw new Error('field runs past the end of its message');
}

/** Version, type and nonce of a response; its resources' values too when `withResources`. */
export function readResponseHead(buf: Buffer, withResources: boolean): ResponseHead {
  let versionInfo = '';
  let typeUrl = '';
  let nonce = '';
  const resources: Buffer[] = [];
  forEachField(buf, 0, buf.length, (field, from, to) => {
    if (field === 1) versionInfo = buf.toString('utf8', from, to);
    else if (field === 4) typeUrl = buf.toString('utf8', from, to);
    else if (field === 5) nonce = buf.toString('utf8', from, to);
    else if (field === 2 && withResources) {
      forEachField(buf, from, to, (anyField, valueFrom, valueTo) => {
        if (anyField === 2) resources.push(buf.subarray(valueFrom, valueTo));
      });
    }
  });
  return { versionInfo, typeUrl, nonce, resources };
}

/** The name (field 1) of an encoded Cluster. */
export function clusterName(value: Buffer): string {
  let name = '';
  forEachField(value, 0, value.length, (field, from, to) => {
    if (field === 1 && name === '') name = value.toString('utf8', from, to);
  });
  return name;
}

/**
 * A repeated string field for a list of names, encoded once and reused by every request: field 3 is
 * `resource_names` in a DiscoveryRequest and `resource_names_subscribe` in a delta one, field 4 is
 * `resource_names_unsubscribe`.
 */
export function encodeResourceNames(names: readonly string[], field = 3): Buffer {
  return Buffer.concat(names.map(name => lengthDelimited(field, Buffer.from(name, 'utf8'))));
}

/** A DiscoveryRequest; `nodeId` only on a stream's first request, as Envoy sends it. */
export function encodeRequest(
  typeUrl: string,
  versionInfo: string,
  nonce: string,
  names: Buffer,
  nodeId = '',
): Buffer {
  return Buffer.concat([
    stringField(1, versionInfo),
    nodeId === '' ? Buffer.alloc(0) : lengthDelimited(2, stringField(1, nodeId)),
    names,
    stringField(4, typeUrl),
    stringField(5, nonce),
  ]);
}

/** The parts of a DeltaDiscoveryResponse a simulated proxy looks at. */
export interface DeltaResponseHead extends ResponseHead {
  /** The names of the resources carried, only when resources are asked for. */
  readonly names: string[];
  readonly removed: string[];
}

/** Version, type, nonce and removed names of a delta response; its resources too when `withResources`. */
export function readDeltaResponseHead(buf: Buffer, withResources: boolean): DeltaResponseHead {
  let versionInfo = '';
  let typeUrl = '';
  let nonce = '';
  const resources: Buffer[] = [];
  const names: string[] = [];
  const removed: string[] = [];
  forEachField(buf, 0, buf.length, (field, from, to) => {
    if (field === 1) versionInfo = buf.toString('utf8', from, to);
    else if (field === 4) typeUrl = buf.toString('utf8', from, to);
    else if (field === 5) nonce = buf.toString('utf8', from, to);
    else if (field === 6) removed.push(buf.toString('utf8', from, to));
    else if (field === 2 && withResources) {
      forEachField(buf, from, to, (resourceField, innerFrom, innerTo) => {
        if (resourceField === 3) names.push(buf.toString('utf8', innerFrom, innerTo));
        else if (resourceField === 2) {
          forEachField(buf, innerFrom, innerTo, (anyField, valueFrom, valueTo) => {
            if (anyField === 2) resources.push(buf.subarray(valueFrom, valueTo));
          });
        }
      });
    }
  });
  return { versionInfo, typeUrl, nonce, resources, names, removed };
}

/**
 * A DeltaDiscoveryRequest: `names` holds encoded subscribe (field 3) and unsubscribe (field 4) lists;
 * `nodeId` only on a stream's first request, as Envoy sends it.
 */
export function encodeDeltaRequest(typeUrl: string, nonce: string, names: Buffer, nodeId = ''): Buffer {
  return Buffer.concat([
    nodeId === '' ? Buffer.alloc(0) : lengthDelimited(1, stringField(1, nodeId)),
    stringField(2, typeUrl),
    names,
    stringField(6, nonce),
  ]);
}
