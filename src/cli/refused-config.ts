import { formatIssue } from '../api/issue-format.js';
import type { ConfigLoad } from '../control-plane/control-plane.js';

/**
 * Tells why the first config load of `aeraki up` or `aeraki control-plane` was refused: every issue,
 * then one line that counts the errors, or, when the config was valid and serving it failed (a bug,
 * or an installation missing its protos), that failure's message, so the summary never reads
 * "0 error(s)".
 *
 * @param notStarted what the user did not get, e.g. `nothing was started`
 */
export function reportRefusedConfig(
  load: ConfigLoad,
  dir: string,
  notStarted: string,
  write: (text: string) => void = text => process.stderr.write(text),
  color = process.stderr.isTTY === true,
): void {
  for (const issue of load.issues) write(formatIssue(issue, color) + '\n');
  const errors = load.issues.filter(i => i.severity === 'error').length;
  if (errors === 0 && load.failure !== undefined) {
    write(
      `aeraki: the config in ${dir} is valid but could not be served: ${load.failure.message}; ${notStarted}\n`,
    );
  } else {
    write(`aeraki: ${errors} error(s) in ${dir}; ${notStarted}\n`);
  }
}
