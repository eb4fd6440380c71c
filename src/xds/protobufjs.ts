/**
 * protobufjs, loaded on first use: the xDS modules a proxy worker imports (resources, listener
 * filters) never encode or decode protobuf there, since the primary hands a worker its config as
 * plain objects; only a worker whose listeners ask a rate-limit service does. With `require`, because
 * the schema is read inside synchronous calls (protoType).
 */
import { createRequire } from 'node:module';
import type protobuf from 'protobufjs';

const require = createRequire(import.meta.url);
let loaded: typeof protobuf | undefined;

/** The protobufjs module (the same object `import protobuf from 'protobufjs'` gives). */
export function protobufJs(): typeof protobuf {
  return (loaded ??= require('protobufjs') as typeof protobuf);
}
