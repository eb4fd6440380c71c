/**
 * The plugin loader on real modules written to a temporary folder outside the checkout: what a
 * plugin gets (the running aeraki's own SDK modules), and the error each kind of broken plugin gets.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ByteQueue, CodecError, CodecRegistry, SDK_VERSION } from '../../../src/codec/index.js';
import { builtinCodecs } from '../../../src/codecs/index.js';
import { AerakiError, ErrorCodes } from '../../../src/errors.js';
import { FilterRegistry } from '../../../src/filters/filter-registry.js';
import { PluginLoader } from '../../../src/plugins/plugin-loader.js';

const root = mkdtempSync(join(tmpdir(), 'aeraki-plugin-loader-'));
after(() => rmSync(root, { recursive: true, force: true }));

let files = 0;
/** Writes `source` to a new file under the temporary folder; returns its path. */
function write(source: string, name = `plugin-${++files}.mjs`): string {
  const path = join(root, name);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, source);
  return path;
}

/** A plugin module exporting `body` (JavaScript) as its default export. */
function plugin(body: string, preamble = ''): string {
  return write(`${preamble}\nexport default ${body};\n`);
}

const CAPS = '{ requestIds: true, heartbeats: false, streaming: false, serverSpeaksFirst: false }';
/** A codec factory literal named aeraki.meta_protocol.codec.<name>. */
function factory(
  name: string,
  create = '() => ({ decode() {}, encode(m) { return m.bytes; }, encodeLocalReply() {} })',
): string {
  return `{ name: 'aeraki.meta_protocol.codec.${name}', capabilities: ${CAPS}, create: ${create} }`;
}

function loader(): { loader: PluginLoader; codecs: CodecRegistry; filters: FilterRegistry } {
  const codecs = builtinCodecs();
  const filters = new FilterRegistry();
  return { loader: new PluginLoader({ codecs, filters, cwd: root }), codecs, filters };
}

async function rejects(spec: string, code: string, pattern: RegExp): Promise<void> {
  await assert.rejects(loader().loader.load(spec), (err: unknown) => {
    assert.ok(err instanceof AerakiError, String(err));
    assert.equal(err.code, code);
    assert.match(err.message, pattern);
    return true;
  });
}

describe('plugin loader', () => {
  test("a plugin imports aeraki/codec and gets the running aeraki's own modules", async () => {
    const path = plugin(
      `{ sdkVersion: '^1.0.0', codecs: [${factory('same')}] }`,
      `import { ByteQueue, CodecError, CodecRegistry, SDK_VERSION } from 'aeraki/codec';
import * as filterSdk from 'aeraki/filter';
globalThis.__aerakiPluginSaw = { ByteQueue, CodecError, CodecRegistry, SDK_VERSION, filterSdkVersion: filterSdk.SDK_VERSION };`,
    );
    const { loader: l, codecs } = loader();
    const loaded = await l.load(path);
    assert.deepEqual(loaded.codecs, ['aeraki.meta_protocol.codec.same']);
    assert.equal(loaded.sdkVersion, '^1.0.0');
    const saw = (globalThis as Record<string, unknown>)['__aerakiPluginSaw'] as Record<string, unknown>;
    assert.equal(saw['ByteQueue'], ByteQueue, 'the same ByteQueue class');
    assert.equal(saw['CodecError'], CodecError, 'the same CodecError class: instanceof works both ways');
    assert.equal(saw['CodecRegistry'], CodecRegistry);
    assert.equal(saw['SDK_VERSION'], SDK_VERSION);
    assert.equal(saw['filterSdkVersion'], SDK_VERSION);
    assert.ok(codecs.get('aeraki.meta_protocol.codec.same') !== undefined);
  });

  test('a plugin that is a folder with a package.json, or an installed package name', async () => {
    write(
      JSON.stringify({
        name: 'aeraki-codec-folder',
        type: 'module',
        exports: { '.': { import: './lib/main.js' } },
      }),
      'folder-plugin/package.json',
    );
    write(`export default { codecs: [${factory('folder')}] };`, 'folder-plugin/lib/main.js');
    assert.deepEqual((await loader().loader.load(join(root, 'folder-plugin'))).codecs, [
      'aeraki.meta_protocol.codec.folder',
    ]);
    write(
      JSON.stringify({ name: 'aeraki-codec-pkg', type: 'module', main: 'index.js' }),
      'node_modules/aeraki-codec-pkg/package.json',
    );
    write(`export default { codecs: [${factory('pkg')}] };`, 'node_modules/aeraki-codec-pkg/index.js');
    const loaded = await loader().loader.load('aeraki-codec-pkg');
    assert.deepEqual(loaded.codecs, ['aeraki.meta_protocol.codec.pkg']);
    assert.equal(loaded.path, join(root, 'node_modules/aeraki-codec-pkg/index.js'));
  });

  test('sdkVersion: a range or a version this SDK satisfies loads; another is refused naming both', async () => {
    for (const [version, name] of [
      ['1.0.0', 'v100'],
      ['>=1 <3', 'range'],
      ['1.x', 'x'],
    ] as const) {
      await loader().loader.load(plugin(`{ sdkVersion: '${version}', codecs: [${factory(name)}] }`));
    }
    await rejects(
      plugin(`{ sdkVersion: '^2.0.0', codecs: [${factory('future')}] }`),
      ErrorCodes.PLUGIN_INVALID,
      /written for SDK \^2\.0\.0; this aeraki has SDK 1\.\d+\.\d+/,
    );
    await rejects(
      plugin(`{ sdkVersion: 'soon', codecs: [${factory('soon')}] }`),
      ErrorCodes.PLUGIN_INVALID,
      /sdkVersion 'soon' is neither a semver version nor a range/,
    );
  });

  test('a plugin that cannot be found or imported: AERAKI_ERR_PLUGIN_LOAD_FAILED naming it and the cause', async () => {
    await rejects(
      './missing.mjs',
      ErrorCodes.PLUGIN_LOAD_FAILED,
      /plugin '\.\/missing\.mjs'.*does not exist/,
    );
    await rejects(
      'no-such-package',
      ErrorCodes.PLUGIN_LOAD_FAILED,
      /no file or installed package of that name/,
    );
    await rejects(
      write('export default {', 'syntax.mjs'),
      ErrorCodes.PLUGIN_LOAD_FAILED,
      /syntax\.mjs.*cannot be imported: .*Unexpected/,
    );
    await rejects(
      write("throw new Error('no licence key');", 'throws.mjs'),
      ErrorCodes.PLUGIN_LOAD_FAILED,
      /throws\.mjs.*cannot be imported: no licence key/,
    );
    await rejects(
      write("import 'aeraki/nothing';\nexport default {};", 'bad-sdk-path.mjs'),
      ErrorCodes.PLUGIN_LOAD_FAILED,
      /bad-sdk-path\.mjs.*cannot be imported/,
    );
    await rejects(
      write('export default {}', 'plugin.ts'),
      ErrorCodes.PLUGIN_LOAD_FAILED,
      /compile TypeScript first/,
    );
  });

  test('the wrong shape: AERAKI_ERR_PLUGIN_INVALID saying what is wrong', async () => {
    const cases: [string, RegExp][] = [
      [
        write(`export const codecs = [${factory('named')}];`),
        /no default export; write export default \{ codecs: \[\.\.\.\] \} \(it exports codecs\)/,
      ],
      [plugin('() => ({})'), /default export must be an object .* got a function/],
      [
        plugin(`{ codec: [${factory('typo')}] }`),
        /unknown field 'codec' in its default export \(known: sdkVersion, codecs, filters\)/,
      ],
      [plugin('{}'), /exports no codecs and no filters/],
      [
        plugin(`{ codecs: ${factory('notarray')} }`),
        /codecs must be an array of codec factories, got an object/,
      ],
      [
        plugin(`{ codecs: [{ name: 'aeraki.meta_protocol.codec.x', create() {} }] }`),
        /codecs\[0\]\.capabilities must be an object/,
      ],
      [
        plugin(
          `{ codecs: [{ name: 'aeraki.meta_protocol.codec.x', capabilities: { requestIds: 'yes' }, create() {} }] }`,
        ),
        /codecs\[0\]\.capabilities\.requestIds must be true or false, got string "yes"/,
      ],
      [
        plugin(`{ codecs: [{ name: 'aeraki.meta_protocol.codec.x', capabilities: ${CAPS} }] }`),
        /codecs\[0\]\.create must be a function/,
      ],
      [
        plugin(`{ codecs: [${factory('twice')}, ${factory('twice')}] }`),
        /codecs\[1\]: codec 'aeraki\.meta_protocol\.codec\.twice' appears twice/,
      ],
      [
        plugin(`{ filters: [{ name: 'aeraki.meta_protocol.filters.x' }] }`),
        /filters\[0\]\.create must be a function/,
      ],
    ];
    for (const [path, pattern] of cases) await rejects(path, ErrorCodes.PLUGIN_INVALID, pattern);
  });

  test('a malformed or taken name is refused, and nothing of that plugin is registered', async () => {
    await rejects(
      plugin(`{ codecs: [{ ...${factory('x')}, name: 'memcached' }] }`),
      ErrorCodes.PLUGIN_INVALID,
      /codec name 'memcached' must look like 'aeraki\.meta_protocol\.codec\.<protocol>'/,
    );
    await rejects(
      plugin(`{ codecs: [${factory('has space')}] }`),
      ErrorCodes.PLUGIN_INVALID,
      /must look like/,
    );
    await rejects(
      plugin(`{ codecs: [${factory('thrift')}] }`),
      ErrorCodes.PLUGIN_INVALID,
      /codec 'aeraki\.meta_protocol\.codec\.thrift' is already registered \(built in\)/,
    );
    await rejects(
      plugin(`{ filters: [{ name: 'aeraki.meta_protocol.filters.router', create() {} }] }`),
      ErrorCodes.PLUGIN_INVALID,
      /filter 'aeraki\.meta_protocol\.filters\.router' is already registered \(built in\)/,
    );

    const { loader: l, codecs } = loader();
    const first = plugin(`{ codecs: [${factory('shared')}] }`);
    await l.load(first);
    const second = plugin(`{ codecs: [${factory('fresh')}, ${factory('shared')}] }`);
    await assert.rejects(l.load(second), (err: unknown) => {
      const expected = `codecs[1].name: codec 'aeraki.meta_protocol.codec.shared' is already registered ('${first}')`;
      assert.ok((err as Error).message.includes(expected), (err as Error).message);
      return true;
    });
    assert.equal(
      codecs.get('aeraki.meta_protocol.codec.fresh'),
      undefined,
      'a plugin is registered whole or not at all',
    );
  });

  test('filters are checked and registered in the filter registry, with their config schema', async () => {
    const { loader: l, filters } = loader();
    const loaded = await l.load(
      plugin(
        `{ filters: [{ name: 'aeraki.meta_protocol.filters.audit', configSchema: z.object({ level: z.number().default(1) }), create: config => ({ name: 'aeraki.meta_protocol.filters.audit', level: config.level, onRequest: () => 'continue' }) }] }`,
        "import { z } from 'aeraki/filter';",
      ),
    );
    assert.deepEqual(loaded.filters, ['aeraki.meta_protocol.filters.audit']);
    assert.equal(filters.ownerOf('aeraki.meta_protocol.filters.audit'), `'${loaded.spec}'`);
    assert.deepEqual(filters.check('aeraki.meta_protocol.filters.audit', undefined), {
      ok: true,
      value: { level: 1 },
    });
    const refused = filters.check('aeraki.meta_protocol.filters.audit', { level: 'high' });
    assert.equal(refused?.ok, false);
    assert.deepEqual(!refused?.ok && refused?.problems.map(p => p.path), [['level']]);
  });

  test('a filter whose configSchema is not a validator is refused naming the field', async () => {
    await rejects(
      plugin(
        `{ filters: [{ name: 'aeraki.meta_protocol.filters.x', configSchema: { type: 'object' }, create() {} }] }`,
      ),
      ErrorCodes.PLUGIN_INVALID,
      /filters\[0\]\.configSchema must be a Standard Schema v1 validator/,
    );
  });

  test("a codec whose create throws gets a stand-in that refuses the connection's bytes with a CodecError", async () => {
    const { loader: l, codecs } = loader();
    await l.load(
      plugin(`{ codecs: [${factory('broken', "() => { throw new TypeError('cannot read licence'); }")}] }`),
    );
    const codec = codecs.require('aeraki.meta_protocol.codec.broken').create('downstream');
    const queue = new ByteQueue();
    queue.push(Buffer.from('hello'));
    assert.throws(
      () => codec.decode(queue),
      (err: unknown) =>
        CodecError.isCodecError(err) &&
        /broken.*failed to start: cannot read licence/.test((err as Error).message),
    );
    assert.equal(codec.encodeLocalReply(undefined, { kind: 'bad-request', message: 'x' }), undefined);
  });

  test('a codec description (.yaml) is compiled and registered under its name, or refused naming the field', async () => {
    const { loader: l, codecs } = loader();
    const loaded = await l.load(join(import.meta.dirname, '../../../../plugins/declarative/memcached.yaml'));
    assert.deepEqual(loaded.codecs, ['aeraki.meta_protocol.codec.memcached']);
    assert.equal(codecs.require('aeraki.meta_protocol.codec.memcached').capabilities.requestIds, true);
    await rejects(
      write(
        'name: broken\nfields: {}\nlength: { field: size }\nmessageType: [{ type: request }]\n',
        'broken.yaml',
      ),
      ErrorCodes.PLUGIN_INVALID,
      /broken\.yaml.*not a valid codec description: length\.field: 'size' is not a field/,
    );
  });
});
