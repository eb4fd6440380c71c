/**
 * Discovery requests decoded with their resource names interned. A proxy re-sends its whole name list
 * on every ACK (every cluster for EDS, every route table for RDS), and a fleet of proxies sends the
 * same list: decoded one by one, a thousand proxies of a 10,000-service mesh would hold tens of
 * millions of strings. Here a list seen before is recognised from its bytes and the one decoded array
 * is handed out again, so that streams can share what they derive from it (see AdsStream).
 *
 * Wire grammar (envoy.service.discovery.v3.DiscoveryRequest, the part read here):
 *
 * ```
 * DiscoveryRequest = { 1: version_info string, 2: node Node, 3: resource_names string (repeated),
 *                      4: type_url string, 5: response_nonce string, 6: error_detail Status }
 * ```
 *
 * (fields and varints as in src/xds/protobuf-fields.ts)
 *
 * The delta request's resource_names_subscribe is field 3 too, with the same type: a delta proxy's
 * first subscription lists every cluster or route table, and is interned the same way.
 *
 * ```
 * DeltaDiscoveryRequest = { 1: node Node, 2: type_url string, 3: resource_names_subscribe string
 *                           (repeated), 4: resource_names_unsubscribe string (repeated), … }
 * ```
 *
 * Encoders write fields in number order, so the names are one run of field-3 entries; that run is the
 * interning key. A request whose names are not one run is decoded the ordinary way.
 */
import {
  decodeDeltaDiscoveryRequest,
  decodeDiscoveryRequest,
  type DeltaDiscoveryRequest,
  type DiscoveryRequest,
} from '../../xds/index.js';
import { fieldEnd, readVarint } from '../../xds/protobuf-fields.js';

/** Lists shorter than this are decoded each time: cheap, and not worth remembering. */
const MIN_INTERNED_NAMES_BYTES = 512;
/** Distinct name lists remembered, and their encoded bytes (least recently used dropped first). */
const MAX_INTERNED_LISTS = 256;
const MAX_INTERNED_BYTES = 32 * 1024 * 1024;
/** Bytes from each end of a run that make up its lookup key (the whole run is compared on a hit). */
const KEY_EDGE_BYTES = 24;

/** Where the run of field-3 entries is: [start, end), or undefined if none or not one run. */
function namesRun(buf: Uint8Array): [start: number, end: number] | undefined {
  let offset = 0;
  let start = -1;
  let end = -1;
  while (offset < buf.length) {
    const fieldStart = offset;
    const [tag, afterTag] = readVarint(buf, offset);
    offset = fieldEnd(buf, tag & 7, afterTag);
    if (offset < 0) return undefined;
    if (tag >>> 3 !== 3) continue;
    if (start === -1) start = fieldStart;
    else if (end !== fieldStart) return undefined;
    end = offset;
  }
  if (offset !== buf.length || start === -1) return undefined;
  return [start, end];
}

interface InternedList {
  readonly bytes: Buffer;
  readonly names: readonly string[];
}

/** How to decode one kind of request, and where its field-3 names go. */
export interface InterningScheme<T> {
  decode(bytes: Uint8Array): T;
  namesOf(request: T): readonly string[];
  withNames(request: T, names: readonly string[]): T;
}

export const SOTW_REQUESTS: InterningScheme<DiscoveryRequest> = {
  decode: decodeDiscoveryRequest,
  namesOf: request => request.resource_names,
  withNames: (request, names) => ({ ...request, resource_names: names }),
};

export const DELTA_REQUESTS: InterningScheme<DeltaDiscoveryRequest> = {
  decode: decodeDeltaDiscoveryRequest,
  namesOf: request => request.resource_names_subscribe,
  withNames: (request, names) => ({ ...request, resource_names_subscribe: names }),
};

/** A decoder with its own memory of name lists (one per ADS server and kind of request). */
export class InterningRequestDecoder<T> {
  /** By length and edges; a few lists may share a key. */
  private readonly lists = new Map<string, InternedList[]>();
  private count = 0;
  private bytes = 0;
  /** Requests whose names were found already decoded. */
  hits = 0;

  constructor(private readonly scheme: InterningScheme<T>) {}

  decode(bytes: Uint8Array): T {
    let run: [number, number] | undefined;
    try {
      run = namesRun(bytes);
    } catch {
      run = undefined; // malformed: let the full decoder report it
    }
    if (run === undefined || run[1] - run[0] < MIN_INTERNED_NAMES_BYTES) return this.scheme.decode(bytes);
    const [start, end] = run;
    const span = Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start);
    const key = `${span.length}:${span.toString('latin1', 0, KEY_EDGE_BYTES)}:${span.toString('latin1', span.length - KEY_EDGE_BYTES)}`;
    const candidates = this.lists.get(key);
    const found = candidates?.find(c => c.bytes.equals(span));
    const rest = Buffer.concat([
      Buffer.from(bytes.buffer, bytes.byteOffset, start),
      Buffer.from(bytes.buffer, bytes.byteOffset + end, bytes.length - end),
    ]);
    const request = this.scheme.decode(rest);
    if (found !== undefined) {
      this.hits++;
      // Most recently used last.
      this.lists.delete(key);
      this.lists.set(key, candidates ?? []);
      return this.scheme.withNames(request, found.names);
    }
    const names = Object.freeze(this.scheme.namesOf(this.scheme.decode(span)).slice());
    const copy = Buffer.allocUnsafeSlow(span.length); // not a slice of Node's shared pool
    span.copy(copy);
    this.remember(key, { bytes: copy, names });
    return this.scheme.withNames(request, names);
  }

  private remember(key: string, list: InternedList): void {
    const candidates = this.lists.get(key) ?? [];
    candidates.push(list);
    this.lists.delete(key);
    this.lists.set(key, candidates);
    this.count++;
    this.bytes += list.bytes.length;
    while (this.count > MAX_INTERNED_LISTS || (this.bytes > MAX_INTERNED_BYTES && this.count > 1)) {
      const oldest = this.lists.keys().next().value;
      if (oldest === undefined) break;
      for (const dropped of this.lists.get(oldest) ?? []) {
        this.count--;
        this.bytes -= dropped.bytes.length;
      }
      this.lists.delete(oldest);
    }
  }
}
