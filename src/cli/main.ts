/**
 * The `aeraki` command line. The only place that parses argv and prints for humans.
 */
import { AerakiError, ErrorCodes } from '../errors.js';

const USAGE = `Usage: aeraki <command> [options]

Commands:
  up DIR          serve the config in DIR (control plane and proxy on this machine)
  control-plane   serve a config directory over xDS to proxies
  proxy           run a proxy configured over xDS
  validate DIR    check every config document in DIR and report all errors
  translate DIR   print what the control plane writes for DIR (--istio: Istio EnvoyFilters, as YAML)
  install         install Aeraki on Kubernetes (--dry-run prints the manifests)
  status          every proxy's config sync state (sent, ACKed, NACKed)
  routes SERVICE  the routes a running proxy applies to a service
  explain SERVICE which route a request takes and why (--attr method=sayHello …)
  tap SERVICE     watch a service's requests live, as the proxy finishes them
  codec init|test write a codec plugin: scaffold one, run the codec test kit on one
  version         print the version

Run 'aeraki <command> --help' for a command's options.
`;

type Command = (args: string[]) => Promise<number>;

const commands: Record<string, () => Promise<Command>> = {
  up: async () => (await import('./up.js')).upCommand,
  'control-plane': async () => (await import('./control-plane.js')).controlPlaneCommand,
  proxy: async () => (await import('./proxy.js')).proxyCommand,
  validate: async () => (await import('./validate.js')).validateCommand,
  translate: async () => (await import('./translate.js')).translateCommand,
  install: async () => (await import('./install.js')).installCommand,
  status: async () => (await import('./status.js')).statusCommand,
  routes: async () => (await import('./routes.js')).routesCommand,
  explain: async () => (await import('./explain.js')).explainCommand,
  tap: async () => (await import('./tap.js')).tapCommand,
  codec: async () => (await import('./codec.js')).codecCommand,
  version: async () => async () => {
    const { createRequire } = await import('node:module');
    const pkg = createRequire(import.meta.url)('../../../package.json') as { version: string };
    process.stdout.write(`aeraki ${pkg.version}\n`);
    return 0;
  },
};

/** Runs the CLI with `argv` (without node and script) and exits with the command's status. */
export async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(USAGE);
    process.exitCode = name === undefined ? 2 : 0;
    return;
  }
  const load = commands[name];
  if (load === undefined) {
    process.stderr.write(`aeraki: unknown command '${name}'\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  try {
    process.exitCode = await (await load())(rest);
  } catch (err) {
    if (err instanceof AerakiError) {
      process.stderr.write(`aeraki: ${err.message} [${err.code}]\n`);
      // Bad usage exits 2, as getopt-style tools do; every other failure 1.
      process.exitCode = err.code === ErrorCodes.CLI_USAGE ? 2 : 1;
      return;
    }
    throw err;
  }
}
