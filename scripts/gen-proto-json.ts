/**
 * Writes the xDS schema (src/xds/proto-root.ts) as protobufjs JSON next to the compiled proto-root
 * module, so that processes read it instead of parsing the .proto files. Run by `npm run build`.
 */
import { writeFileSync } from 'node:fs';
import { PROTO_JSON_URL, loadProtoFiles } from '../src/xds/proto-root.js';

writeFileSync(PROTO_JSON_URL, JSON.stringify(loadProtoFiles().toJSON()));
