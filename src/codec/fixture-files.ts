/**
 * Codec fixtures kept as files, for the test kit: `aeraki codec test MODULE --fixtures DIR` reads
 * them, and so can a plugin's own tests (`loadCodecFixtures`). Every *.yaml, *.yml or *.json file
 * in DIR holds one fixture, or a list of them under `fixtures:`.
 *
 * ```yaml
 * name: get foo                # default: the file name
 * side: downstream             # the side decoding it: downstream (requests, default) or upstream
 * hex: |                       # the bytes: hex (spaces, newlines and # comments allowed) ...
 *   80 00 0003 00 00 0000 00000003 0000002a 0000000000000000   # header
 *   666f6f                                                       # key
 * # text: "get foo\r\n"        # ... or text (UTF-8), or file: foo.bin (next to this file)
 * config: {}                   # the codec config
 * carriesMutation: false
 * expect:                      # the messages the bytes decode to, in order
 *   - { type: request, requestId: 42, metadata: { command: get, key: foo } }
 * ```
 *
 * A request id beyond 2^53 − 1 is written as a string of digits.
 */
import { readdir, readFile } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { AerakiError, ErrorCodes } from '../errors.js';
import type { CodecSide } from './codec.js';
import { MESSAGE_TYPES, type MessageType, type ResponseStatus } from './message.js';
import type { CodecFixture, ExpectedMessage } from './test-kit.js';

const FIXTURE_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);
const FIXTURE_FIELDS = new Set([
  'name',
  'side',
  'hex',
  'text',
  'file',
  'config',
  'carriesMutation',
  'expect',
]);
const EXPECT_FIELDS = new Set(['type', 'requestId', 'status', 'operation', 'metadata', 'length']);

class FixtureProblem extends Error {}

function problem(message: string): never {
  throw new FixtureProblem(message);
}

/** Every fixture in `dir`, files in name order. Throws AERAKI_ERR_CONFIG_INVALID naming file and field. */
export async function loadCodecFixtures(dir: string): Promise<CodecFixture[]> {
  const root = resolve(dir);
  let names: string[];
  try {
    names = (await readdir(root)).filter(n => FIXTURE_EXTENSIONS.has(extname(n).toLowerCase())).sort();
  } catch (err) {
    throw new AerakiError(
      ErrorCodes.CONFIG_IO,
      `cannot read fixtures from ${root}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  if (names.length === 0) {
    throw new AerakiError(ErrorCodes.CONFIG_INVALID, `no fixture files (*.yaml, *.yml, *.json) in ${root}`);
  }
  const fixtures: CodecFixture[] = [];
  for (const name of names) fixtures.push(...(await loadCodecFixtureFile(join(root, name))));
  return fixtures;
}

/** The fixtures of one file. */
export async function loadCodecFixtureFile(file: string): Promise<CodecFixture[]> {
  // Loaded only by the tools that read fixtures, so that a proxy never pays for it.
  const { parse } = await import('yaml');
  let where = '';
  try {
    const data = parse(await readFile(file, 'utf8')) as unknown;
    const listed = isObject(data) && 'fixtures' in data;
    const documents = listed ? data['fixtures'] : [data];
    if (!Array.isArray(documents)) problem('fixtures must be a list');
    const base = basename(file).replace(/\.(ya?ml|json)$/i, '');
    const fixtures: CodecFixture[] = [];
    for (const [i, document] of documents.entries()) {
      where = listed ? `fixtures[${i}]: ` : '';
      const fallbackName = documents.length > 1 ? `${base} #${i + 1}` : base;
      fixtures.push(await fixtureOf(file, document, fallbackName));
    }
    return fixtures;
  } catch (err) {
    const reason = err instanceof FixtureProblem ? `${where}${err.message}` : (err as Error).message;
    throw new AerakiError(ErrorCodes.CONFIG_INVALID, `fixture file ${file}: ${reason}`, { cause: err });
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function unknownFields(value: Record<string, unknown>, known: ReadonlySet<string>, where: string): void {
  for (const key of Object.keys(value)) {
    if (!known.has(key)) {
      const at = where === '' ? '' : `${where.slice(0, -1)}: `;
      problem(`${at}unknown field '${key}' (known: ${[...known].join(', ')})`);
    }
  }
}

async function fixtureOf(file: string, document: unknown, fallbackName: string): Promise<CodecFixture> {
  if (!isObject(document)) problem('a fixture is a map with the fields name, hex|text|file, expect, …');
  unknownFields(document, FIXTURE_FIELDS, '');
  const name = document['name'] ?? fallbackName;
  if (typeof name !== 'string') problem('name must be a string');
  const side = document['side'];
  if (side !== undefined && side !== 'downstream' && side !== 'upstream') {
    problem(`side must be downstream or upstream, got ${JSON.stringify(side)}`);
  }
  const carriesMutation = document['carriesMutation'];
  if (carriesMutation !== undefined && typeof carriesMutation !== 'boolean')
    problem('carriesMutation must be true or false');
  const expect = document['expect'];
  if (!Array.isArray(expect)) problem('expect must be a list of the messages the bytes decode to');
  return {
    name,
    bytes: await bytesOf(file, document),
    expect: expect.map((e: unknown, i) => expectedOf(e, `expect[${i}].`)),
    ...(side === undefined ? {} : { side: side as CodecSide }),
    ...(document['config'] === undefined ? {} : { config: document['config'] }),
    ...(carriesMutation === undefined ? {} : { carriesMutation }),
  };
}

async function bytesOf(file: string, document: Record<string, unknown>): Promise<Buffer> {
  const { hex, text, file: binary } = document;
  if ([hex, text, binary].filter(s => s !== undefined).length !== 1)
    problem('give exactly one of hex, text and file');
  if (text !== undefined) {
    if (typeof text !== 'string') problem('text must be a string');
    return Buffer.from(text, 'utf8');
  }
  if (binary !== undefined) {
    if (typeof binary !== 'string') problem('file must be a path');
    return readFile(resolve(file, '..', binary));
  }
  if (typeof hex !== 'string') problem('hex must be a string of hex digits');
  const digits = hex.replace(/#[^\n]*/g, '').replace(/\s+/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(digits)) problem('hex: not pairs of hex digits');
  return Buffer.from(digits, 'hex');
}

function expectedOf(value: unknown, where: string): ExpectedMessage {
  if (!isObject(value)) problem(`${where.slice(0, -1)} must be a map with at least a type`);
  unknownFields(value, EXPECT_FIELDS, where);
  const { type, requestId, status, operation, metadata, length } = value;
  if (typeof type !== 'string' || !MESSAGE_TYPES.includes(type as MessageType)) {
    problem(`${where}type must be one of ${MESSAGE_TYPES.join(', ')}`);
  }
  let id: number | bigint | undefined;
  if (typeof requestId === 'number' && Number.isSafeInteger(requestId)) id = requestId;
  else if (typeof requestId === 'string' && /^-?\d+$/.test(requestId)) id = BigInt(requestId);
  else if (requestId !== undefined)
    problem(`${where}requestId must be an integer (a string of digits beyond 2^53)`);
  if (status !== undefined && status !== 'ok' && status !== 'error')
    problem(`${where}status must be ok or error`);
  if (operation !== undefined && typeof operation !== 'string') problem(`${where}operation must be a string`);
  if (
    metadata !== undefined &&
    (!isObject(metadata) || Object.values(metadata).some(v => typeof v !== 'string'))
  ) {
    problem(`${where}metadata must map names to strings`);
  }
  if (length !== undefined && (typeof length !== 'number' || !Number.isInteger(length) || length < 0)) {
    problem(`${where}length must be a byte count`);
  }
  return {
    type: type as MessageType,
    ...(id === undefined ? {} : { requestId: id }),
    ...(status === undefined ? {} : { status: status as ResponseStatus }),
    ...(operation === undefined ? {} : { operation: operation as string }),
    ...(metadata === undefined ? {} : { metadata: metadata as Record<string, string> }),
    ...(length === undefined ? {} : { length: length as number }),
  };
}
