/**
 * `aeraki codec test MODULE --fixtures DIR`: runs the codec test kit on a plugin's codec and prints
 * a report per fixture.
 */
import {
  CODEC_TEST_KIT_CHECKS,
  CodecRegistry,
  checkCodec,
  loadCodecFixtures,
  type CodecFixture,
  type CodecTestKitFailure,
} from '../codec/index.js';
import { AerakiError, ErrorCodes } from '../errors.js';
import { FilterRegistry } from '../filters/filter-registry.js';
import { PluginLoader } from '../plugins/plugin-loader.js';
import { parseCommandArgs } from './args.js';
import { renderTable, style, useColor } from './table.js';

const USAGE = `Usage: aeraki codec test MODULE --fixtures DIR [options]

Runs the codec test kit on the codec of a plugin: every fixture in DIR whole, byte by byte, split
at every boundary and truncated at every length, re-encoded with new request ids and a mutation,
answered with local replies, and mutated at random; then random input. Prints what broke, per
fixture and check. MODULE is what --plugin takes: an ES module (.js, .mjs), a folder or npm
package, or a codec description (.yaml). Fixture files: see docs/codec-tutorial.md.

Exit status: 0 when every check passes, 1 when one fails, 2 on bad usage.

Options:
  --fixtures DIR   the fixture files (*.yaml, *.yml, *.json)
  --codec NAME     the codec to test when the plugin has several
  --seed N         seed of the random checks (default 0x5eed; the same seed, the same runs)
  --json           print {"ok", "codec", "fixtures": [...], "random": [...]} instead
  -h, --help       show this help
`;

export async function codecTestCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    args,
    {
      fixtures: { type: 'string' },
      codec: { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    USAGE,
  );
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (positionals.length !== 1 || values.fixtures === undefined) {
    throw new AerakiError(ErrorCodes.CLI_USAGE, `expected MODULE and --fixtures DIR\n\n${USAGE}`);
  }
  const seed = values.seed === undefined ? undefined : Number(values.seed);
  if (seed !== undefined && !Number.isInteger(seed)) {
    throw new AerakiError(ErrorCodes.CLI_USAGE, `--seed must be an integer, got '${values.seed}'`);
  }
  const spec = positionals[0]!;
  const registry = new CodecRegistry();
  const plugin = await new PluginLoader({ codecs: registry, filters: new FilterRegistry() }).load(spec);
  const name = pickCodec(plugin.codecs, values.codec, spec);
  const factory = registry.require(name);
  const fixtures = await loadCodecFixtures(values.fixtures);
  const failures = checkCodec(factory, fixtures, seed === undefined ? undefined : { seed });
  const report = reportOf(fixtures, failures);
  const ok = failures.length === 0;

  if (values.json) {
    process.stdout.write(`${JSON.stringify({ ok, codec: name, plugin: plugin.path, ...report }, null, 2)}\n`);
    return ok ? 0 : 1;
  }
  const color = useColor(process.stdout);
  const rows = report.fixtures.map(f => [
    f.name,
    f.side,
    String(f.messages),
    f.failures.length === 0
      ? style(`${f.checks} checks ok`, 'good', color)
      : style(`${new Set(f.failures.map(x => x.check)).size} of ${f.checks} checks failed`, 'bad', color),
  ]);
  rows.push([
    '(random input)',
    'both',
    '',
    report.random.length === 0 ? style('ok', 'good', color) : style('failed', 'bad', color),
  ]);
  process.stdout.write(`${name} (${plugin.path})\n\n`);
  process.stdout.write(renderTable(['FIXTURE', 'SIDE', 'MESSAGES', 'RESULT'], rows, color));
  if (!ok) {
    process.stdout.write('\nFailures:\n');
    for (const f of failures) process.stdout.write(`  [${f.fixture} / ${f.check}] ${f.message}\n`);
  }
  const total = fixtures.length * CODEC_TEST_KIT_CHECKS.length + 1;
  process.stdout.write(
    `\n${fixtures.length} fixture${fixtures.length === 1 ? '' : 's'}, ${total} checks: ` +
      (ok ? 'all passed\n' : `${failures.length} failure${failures.length === 1 ? '' : 's'}\n`),
  );
  return ok ? 0 : 1;
}

/** The codec of `codecs` to test: the one named, or the only one. */
function pickCodec(codecs: readonly string[], wanted: string | undefined, spec: string): string {
  if (wanted !== undefined) {
    const name = codecs.find(c => c === wanted || c.endsWith(`.${wanted}`));
    if (name === undefined) {
      throw new AerakiError(
        ErrorCodes.CLI_USAGE,
        `plugin '${spec}' has no codec '${wanted}' (it has: ${codecs.join(', ') || 'none'})`,
      );
    }
    return name;
  }
  if (codecs.length !== 1) {
    throw new AerakiError(
      ErrorCodes.CLI_USAGE,
      `plugin '${spec}' has ${codecs.length} codecs (${codecs.join(', ') || 'none'}): choose one with --codec NAME`,
    );
  }
  return codecs[0]!;
}

interface FixtureReport {
  readonly name: string;
  readonly side: string;
  readonly messages: number;
  readonly checks: number;
  readonly failures: CodecTestKitFailure[];
}

function reportOf(
  fixtures: readonly CodecFixture[],
  failures: readonly CodecTestKitFailure[],
): { fixtures: FixtureReport[]; random: CodecTestKitFailure[] } {
  return {
    fixtures: fixtures.map(f => ({
      name: f.name,
      side: f.side ?? 'downstream',
      messages: f.expect.length,
      checks: CODEC_TEST_KIT_CHECKS.length,
      failures: failures.filter(x => x.fixture === f.name),
    })),
    random: failures.filter(x => x.check === 'random'),
  };
}
