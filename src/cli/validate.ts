/**
 * `aeraki validate DIR [--json]`: checks every config document under DIR and reports every issue.
 */
import { loadConfig } from '../control-plane/index.js';
import { withCodecIssues } from '../control-plane/model/codec-issues.js';
import { withFilterIssues } from '../control-plane/model/filter-issues.js';
import { formatIssue } from '../api/issue-format.js';
import { AerakiError, ErrorCodes } from '../errors.js';
import { parseCommandArgs } from './args.js';
import { checkDeclarativeCodec } from './declarative-codec-check.js';
import { PLUGIN_OPTIONS, PLUGIN_USAGE, filterCheckOf, loadCliCodecs } from './plugin-options.js';
import { CONFIG_LIMIT_OPTIONS, CONFIG_LIMIT_USAGE, configLimitOptions } from './config-source-options.js';

const USAGE = `Usage: aeraki validate DIR [--json] [--config-max-file-size SIZE] [--plugin MODULE]…

Checks every config document in DIR (every *.yaml / *.yml file below it, several documents per file;
DIR may also be a single file): the schema of each ServiceEntry, DestinationRule, MetaRouter and
ApplicationProtocol, Aeraki's validation rules, and the references between documents. An
ApplicationProtocol whose codec is neither built in nor registered by a --plugin gets a warning:
proxies serve it only with a plugin. A declarative codec's description is compiled and checked. A
MetaRouter's spec.filters entry is checked against its filter's config schema (built-in filters, and
those of the --plugin modules); a filter known neither way gets a warning.

Prints each issue as FILE:LINE:COL: SEVERITY: MESSAGE (KIND NAME, field PATH, rule RULE).
Exit status: 0 when there are no errors (warnings are allowed), 1 when there are errors, 2 on bad usage.

A file larger than the size limit, not UTF-8, with more than 50,000 documents, or whose aliases
expand too far is an error that names it, and is not used.

Options:
  --json              print {"ok": bool, "errors": [...], "warnings": [...]} instead
${CONFIG_LIMIT_USAGE}${PLUGIN_USAGE}  -h, --help          show this help
`;

export async function validateCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    args,
    {
      json: { type: 'boolean', default: false },
      ...CONFIG_LIMIT_OPTIONS,
      ...PLUGIN_OPTIONS,
      help: { type: 'boolean', short: 'h', default: false },
    },
    USAGE,
  );
  if (values.help === true) {
    process.stdout.write(USAGE);
    return 0;
  }
  const dir = positionals[0];
  if (dir === undefined || positionals.length !== 1) {
    throw new AerakiError(ErrorCodes.CLI_USAGE, `expected exactly one DIR\n\n${USAGE}`);
  }

  const limits = configLimitOptions(values);
  const { codecs, filters } = await loadCliCodecs(values.plugin);
  const { config, issues } = withFilterIssues(
    withCodecIssues(await loadConfig(dir, limits), codecs.names(), checkDeclarativeCodec),
    filterCheckOf(filters),
  );
  const errors = issues.filter(i => i.severity === 'error');
  const warnings = issues.filter(i => i.severity === 'warning');
  if (values.json === true) {
    process.stdout.write(`${JSON.stringify({ ok: errors.length === 0, errors, warnings }, null, 2)}\n`);
    return errors.length === 0 ? 0 : 1;
  }

  const color = process.stdout.isTTY === true && process.env['NO_COLOR'] === undefined;
  for (const issue of issues) process.stdout.write(`${formatIssue(issue, color)}\n`);
  const objects =
    config.serviceEntries.length +
    config.destinationRules.length +
    config.metaRouters.length +
    config.applicationProtocols.length +
    config.redisServices.length +
    config.redisDestinations.length +
    config.secrets.length;
  const files = new Set(issues.map(i => i.file));
  const summary =
    errors.length === 0
      ? `${dir}: ok, ${plural(objects, 'object')} valid, ${plural(warnings.length, 'warning')}`
      : `${dir}: ${plural(errors.length, 'error')}, ${plural(warnings.length, 'warning')} in ${plural(files.size, 'file')}`;
  process.stdout.write(`${summary}\n`);
  return errors.length === 0 ? 0 : 1;
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
