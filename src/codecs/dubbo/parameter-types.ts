/**
 * Counts the arguments a Dubbo request carries from its parameter-types descriptor: the JVM method
 * descriptor of the parameters, without parentheses (e.g. `Ljava/lang/String;I[J` for
 * `(String, int, long[])`):
 *
 *   descriptor := type*
 *   type       := 'Z' | 'B' | 'C' | 'D' | 'F' | 'I' | 'J' | 'S' | 'V'
 *               | 'L' class-name ';'
 *               | '[' type
 *
 * The body holds one Hessian value per type, then the attachments; the count is the only way to find
 * where the arguments end.
 */
import { malformed } from '../../errors.js';

const ARRAY = 0x5b; // '['
const OBJECT = 0x4c; // 'L'
/** ZBCDFIJSV */
const PRIMITIVES = new Set([0x5a, 0x42, 0x43, 0x44, 0x46, 0x49, 0x4a, 0x53, 0x56]);

/** Number of parameter types in `descriptor`; throws CODEC_MALFORMED if it is not a descriptor. */
export function countParameterTypes(descriptor: string): number {
  let count = 0;
  let i = 0;
  while (i < descriptor.length) {
    let code = descriptor.charCodeAt(i);
    while (code === ARRAY) code = descriptor.charCodeAt(++i);
    if (code === OBJECT) {
      const end = descriptor.indexOf(';', i + 1);
      if (end <= i + 1) throw badDescriptor(descriptor);
      i = end + 1;
    } else if (PRIMITIVES.has(code)) {
      i++;
    } else {
      throw badDescriptor(descriptor);
    }
    count++;
  }
  return count;
}

function badDescriptor(descriptor: string): Error {
  const shown = descriptor.length > 80 ? `${descriptor.slice(0, 80)}…` : descriptor;
  return malformed(`dubbo parameter types '${shown}' are not a JVM descriptor`);
}
