/**
 * The quickstart's command line.
 */

export const USAGE = `Usage: npm run quickstart [-- --duration SECONDS] [--concurrency N] [--rate N] [--admin HOST:PORT]
                          [--control-plane-admin HOST:PORT] [--access-log PATH] [--trace-otlp URL]

  --duration SECONDS  stop after that long (default: run until Ctrl-C)
  --concurrency N     client connections per protocol (default 4)
  --rate N            calls per second per protocol (default 250; 0 = as fast as possible)
  --admin HOST:PORT   aeraki's admin API address (default 127.0.0.1:15000; port 0 picks a free one)
  --control-plane-admin HOST:PORT
                      the control plane's admin API, for 'aeraki status' (default 127.0.0.1:15011)
  --access-log PATH   aeraki's access log, one JSON line per request
  --trace-otlp URL    export aeraki's request spans over OTLP/HTTP (e.g. http://127.0.0.1:4318/v1/traces)
  --trace-sampling PERCENT
                      share of requests traced (default 1 with --trace-otlp)`;

/** What the user asked for. */
export interface Options {
  readonly durationSeconds: number | undefined;
  readonly concurrency: number;
  readonly rate: number;
  readonly admin: string | undefined;
  readonly controlPlaneAdmin: string | undefined;
  /** Passed to aeraki up as they are: --access-log, --trace-otlp, --trace-sampling. */
  readonly aerakiArgs: readonly string[];
  readonly help: boolean;
}

/** A problem the user can fix; printed without a stack trace. */
export class QuickstartError extends Error {}

/** Parses `argv` (without node and the script); throws QuickstartError on a bad option. */
export function parseOptions(argv: readonly string[]): Options {
  let durationSeconds: number | undefined;
  let concurrency = 4;
  let rate = 250;
  let admin: string | undefined;
  let controlPlaneAdmin: string | undefined;
  const aerakiArgs: string[] = [];
  let help = false;
  const number = (flag: string, value: string | undefined, min: number): number => {
    const n = Number(value);
    if (value === undefined || !Number.isFinite(n) || n < min) {
      throw new QuickstartError(`${flag} needs a number ≥ ${min}\n${USAGE}`);
    }
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    switch (flag) {
      case '--duration':
        durationSeconds = number(flag, value, 0.1);
        i++;
        break;
      case '--concurrency':
        concurrency = Math.floor(number(flag, value, 1));
        i++;
        break;
      case '--rate':
        rate = number(flag, value, 0);
        i++;
        break;
      case '--admin':
        if (value === undefined) throw new QuickstartError(`--admin needs HOST:PORT\n${USAGE}`);
        admin = value;
        i++;
        break;
      case '--access-log':
      case '--trace-otlp':
      case '--trace-sampling':
        if (value === undefined) throw new QuickstartError(`${flag} needs a value\n${USAGE}`);
        aerakiArgs.push(flag, value);
        i++;
        break;
      case '--control-plane-admin':
        if (value === undefined) throw new QuickstartError(`${flag} needs HOST:PORT\n${USAGE}`);
        controlPlaneAdmin = value;
        i++;
        break;
      case '--help':
      case '-h':
        help = true;
        break;
      default:
        throw new QuickstartError(`unknown option '${flag}'\n${USAGE}`);
    }
  }
  return { durationSeconds, concurrency, rate, admin, controlPlaneAdmin, aerakiArgs, help };
}
