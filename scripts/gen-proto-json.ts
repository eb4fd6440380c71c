/**
 * Writes the xDS schema (src/xds/proto-root.ts) as protobufjs JSON next to the compiled proto-root
 * module, so that processes read it instead of parsing the .proto files, and the part of it the data
 * plane uses. Run by `npm run build`.
 */
import { writeFileSync } from 'node:fs';
import {
  DATA_PLANE_PROTO_JSON_URL,
  DATA_PLANE_TYPES,
  PROTO_JSON_URL,
  loadProtoFiles,
} from '../src/xds/proto-root.js';
import { schemaClosure } from '../src/xds/schema-closure.js';

const root = loadProtoFiles();
writeFileSync(PROTO_JSON_URL, JSON.stringify(root.toJSON()));
writeFileSync(DATA_PLANE_PROTO_JSON_URL, JSON.stringify(schemaClosure(root, DATA_PLANE_TYPES)));
