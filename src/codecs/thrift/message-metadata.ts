import { Metadata } from '../../codec/message.js';
import type { THeaderFields } from './theader-fields.js';

/**
 * Separator of TMultiplexedProtocol names: a client of service `Greeter` calls `Greeter:sayHello`.
 */
const MULTIPLEX_SEPARATOR = ':';

function setPairs(metadata: Metadata, pairs: readonly string[]): void {
  for (let i = 0; i + 1 < pairs.length; i += 2) metadata.set(pairs[i]!, pairs[i + 1]!);
}

/**
 * The routing attributes of a Thrift message:
 * - every THeader info header (persistent ones first, then per-message ones), key lower-cased;
 * - `method`: the method name. For a TMultiplexedProtocol name `Service:method` it is the part after
 *   the first `:` (so a route matching `method: {exact: sayHello}` works whether or not the client
 *   multiplexes), and `service` is the part before it.
 * The message's own facts are set last, so a THeader header named `method` or `service` cannot
 * override them.
 */
export function thriftMetadata(
  name: string,
  theader: THeaderFields | undefined,
  separator = multiplexSeparator(name),
): Metadata {
  const metadata = new Metadata();
  if (theader !== undefined) {
    setPairs(metadata, theader.persistentHeaders);
    setPairs(metadata, theader.headers);
  }
  if (separator > 0) {
    metadata.set('service', name.slice(0, separator));
    metadata.set('method', name.slice(separator + 1));
  } else {
    if (theader !== undefined) metadata.delete('service');
    metadata.set('method', name);
  }
  return metadata;
}

/** The tracing and logging name: `Service/method` for a multiplexed name, else the method. */
export function thriftOperation(name: string, separator = multiplexSeparator(name)): string {
  return separator > 0 ? `${name.slice(0, separator)}/${name.slice(separator + 1)}` : name;
}

/** Where `Service:method` splits `name`; -1 when it is not such a name. */
export function multiplexSeparator(name: string): number {
  return name.indexOf(MULTIPLEX_SEPARATOR);
}
