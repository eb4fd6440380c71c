/**
 * The name of an encoded xDS resource, read without decoding the rest of it, so that a resource the
 * proxy cannot decode can still be named in a NACK and its previous version kept.
 *
 * Wire grammar (see protobuf-fields.ts): the name of each of the four types is field 1, a string —
 * Listener.name, Cluster.name, ClusterLoadAssignment.cluster_name, RouteConfiguration.name.
 * The last occurrence of a field wins, as protobuf parsers do.
 */
import { fieldEnd, readVarint } from './protobuf-fields.js';

const NAME_FIELD = 1;
const LENGTH_DELIMITED = 2;

/** The resource's name, or undefined when the bytes hold none or are too broken to tell. */
export function encodedResourceName(value: Uint8Array): string | undefined {
  let name: string | undefined;
  try {
    let offset = 0;
    while (offset < value.length) {
      const [tag, afterTag] = readVarint(value, offset);
      const wireType = tag & 7;
      const end = fieldEnd(value, wireType, afterTag);
      if (end < 0 || end > value.length) return name;
      if (tag >>> 3 === NAME_FIELD && wireType === LENGTH_DELIMITED) {
        const [length, from] = readVarint(value, afterTag);
        name = Buffer.from(value.buffer, value.byteOffset + from, length).toString('utf8');
      }
      offset = end;
    }
  } catch {
    // A truncated varint: keep what was read before it.
  }
  return name;
}
