/**
 * The part of a protobuf schema that some message types need: those types, every type and enum their
 * fields reach, and the types these are nested in (so that every full name stays the same), as
 * protobufjs JSON. What a decoder of those types can meet is all in it: protobufjs decodes a field
 * with its resolved type alone, and skips unknown fields. Services, extensions and the types nothing
 * reaches are left out.
 */
import protobuf from 'protobufjs';

/** The closure of `names` in `root` (which must resolve), as JSON that `Root.fromJSON` reads. */
export function schemaClosure(root: protobuf.Root, names: readonly string[]): protobuf.INamespace {
  const kept = new Set<protobuf.ReflectionObject>();
  const visit = (object: protobuf.ReflectionObject | null): void => {
    if (object === null || kept.has(object)) return;
    if (!(object instanceof protobuf.Type) && !(object instanceof protobuf.Enum)) return;
    kept.add(object);
    if (object instanceof protobuf.Type) {
      for (const field of object.fieldsArray) visit(field.resolve().resolvedType);
    }
    if (object.parent instanceof protobuf.Type) visit(object.parent);
  };
  for (const name of names) visit(root.lookupTypeOrEnum(name));
  return keptJson(root, kept) ?? {};
}

function keptJson(
  namespace: protobuf.NamespaceBase,
  kept: ReadonlySet<protobuf.ReflectionObject>,
): protobuf.INamespace | undefined {
  const nested: Record<string, protobuf.AnyNestedObject> = {};
  for (const child of namespace.nestedArray) {
    if (child instanceof protobuf.Type) {
      // A kept nested type keeps its parent, so a type left out has nothing kept inside.
      if (!kept.has(child)) continue;
      const json = child.toJSON() as protobuf.IType & { nested?: unknown };
      const inner = keptJson(child, kept);
      if (inner?.nested === undefined) delete json.nested;
      else json.nested = inner.nested;
      nested[child.name] = json;
    } else if (child instanceof protobuf.Enum) {
      if (kept.has(child)) nested[child.name] = child.toJSON();
    } else if (child instanceof protobuf.Namespace && !(child instanceof protobuf.Service)) {
      const inner = keptJson(child, kept);
      if (inner !== undefined) nested[child.name] = inner;
    }
  }
  if (Object.keys(nested).length === 0) return undefined;
  return namespace.options === undefined ? { nested } : { options: namespace.options, nested };
}
