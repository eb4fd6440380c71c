/**
 * `aeraki codec init NAME [DIR]`: writes a codec plugin to start from (codec-scaffold.ts).
 */
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AerakiError, ErrorCodes } from '../errors.js';
import { parseCommandArgs } from './args.js';
import { scaffoldFiles } from './codec-scaffold.js';

const USAGE = `Usage: aeraki codec init NAME [DIR]

Writes a TypeScript codec plugin for the protocol NAME (lower-case letters, digits and _) to DIR
(default ./aeraki-codec-NAME, which must not exist or be empty): a codec for an example protocol
that builds, passes the codec test kit and routes as written, its fixtures, a test, a demo server,
client and config. It builds and runs against this aeraki; nothing is installed.
Then: cd DIR && npm test. The walk-through: docs/codec-tutorial.md.

Options:
  -h, --help  show this help
`;

/** This aeraki's folder (dist/src/cli/ is three levels below it). */
function aerakiRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
}

function camel(protocol: string): string {
  return protocol.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

export async function codecInitCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    args,
    { help: { type: 'boolean', short: 'h', default: false } },
    USAGE,
  );
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const [protocol, target, ...extra] = positionals;
  if (protocol === undefined || extra.length > 0) {
    throw new AerakiError(ErrorCodes.CLI_USAGE, `expected NAME [DIR]\n\n${USAGE}`);
  }
  if (!/^[a-z][a-z0-9_]*$/.test(protocol)) {
    throw new AerakiError(
      ErrorCodes.CLI_USAGE,
      `NAME '${protocol}' must be lower-case letters, digits and _, starting with a letter (it appears in port names, which are split on '-')`,
    );
  }
  const dir = resolve(target ?? `aeraki-codec-${protocol}`);
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    throw new AerakiError(ErrorCodes.CLI_USAGE, `${dir} exists and is not empty; choose another DIR`);
  }
  const name = camel(protocol);
  const files = scaffoldFiles({
    protocol,
    className: name[0]!.toUpperCase() + name.slice(1),
    factoryName: `${name}CodecFactory`,
    aerakiRoot: aerakiRoot(),
  });
  for (const [path, content] of Object.entries(files)) {
    const file = join(dir, path);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, content);
  }
  const shown = relative(process.cwd(), dir) || '.';
  process.stdout.write(
    `Wrote a codec plugin for '${protocol}' to ${dir}:\n` +
      Object.keys(files)
        .sort()
        .map(f => `  ${f}\n`)
        .join('') +
      `\nNext:\n  cd ${shown}\n  npm test        # build, then the codec test kit\n  npm run demo    # route the demo protocol (see README.md)\n`,
  );
  return 0;
}
