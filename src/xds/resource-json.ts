/**
 * xDS resources ⇄ readable JSON: each resource becomes its message as an object with an `@type` key
 * (nested Anys expanded the same way), snake_case field names as in Envoy's config dumps, enums by
 * name, 64-bit integers as strings. Used for golden files and debugging, never on the wire.
 */
import { protoType } from './proto-root.js';
import { messageNameOf, TypeUrls } from './type-urls.js';
import type { XdsResource } from './xds-resource.js';

const JSON_OPTIONS = { json: true, enums: String, longs: String } as const;

/** One resource as JSON. */
export function resourceToJson(resource: XdsResource): Record<string, unknown> {
  const any = protoType('google.protobuf.Any');
  const { '@type': typeUrl, ...fields } = any.toObject(
    any.create({ type_url: resource.typeUrl, value: resource.value }),
    JSON_OPTIONS,
  );
  return { '@type': typeUrl, ...fields };
}

/** A resource from its JSON (`@type` required); the name is read from the message. */
export function resourceFromJson(json: Readonly<Record<string, unknown>>): XdsResource {
  const typeUrl = json['@type'];
  if (typeof typeUrl !== 'string') throw new TypeError('resource JSON needs an "@type"');
  const type = protoType(messageNameOf(typeUrl));
  const { '@type': _ignored, ...fields } = json;
  const message = type.fromObject(fields);
  const value = type.encode(message).finish();
  const nameField = typeUrl === TypeUrls.clusterLoadAssignment ? 'cluster_name' : 'name';
  const name = (message as unknown as Record<string, unknown>)[nameField];
  return { typeUrl, name: typeof name === 'string' ? name : '', value };
}
