/**
 * `aeraki codec init|test`: the codec authoring kit.
 */
import { AerakiError, ErrorCodes } from '../errors.js';

const USAGE = `Usage: aeraki codec <init|test> …

  init NAME [DIR]               scaffold a TypeScript codec plugin for protocol NAME in DIR
                                (default ./aeraki-codec-NAME): codec, fixtures, a test, a demo
  test MODULE --fixtures DIR    run the codec test kit on a plugin's codec and print a report

Run 'aeraki codec <init|test> --help' for their options. Tutorial: docs/codec-tutorial.md.
`;

export async function codecCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'init') return (await import('./codec-init.js')).codecInitCommand(rest);
  if (sub === 'test') return (await import('./codec-test.js')).codecTestCommand(rest);
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    process.stdout.write(USAGE);
    return sub === undefined ? 2 : 0;
  }
  throw new AerakiError(ErrorCodes.CLI_USAGE, `unknown codec command '${sub}'\n\n${USAGE}`);
}
