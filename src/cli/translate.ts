/**
 * `aeraki translate DIR --istio`: prints, as YAML, the Istio objects the control plane would write in
 * Istio mode for the config in DIR (EnvoyFilters for Envoy sidecars and gateways running Aeraki's
 * MetaProtocol proxy image, and the gateway VirtualServices), for review and GitOps.
 */
import { loadConfig } from '../control-plane/index.js';
import {
  DEFAULT_ISTIO_OPTIONS,
  istioObjectsYaml,
  translateIstio,
} from '../control-plane/translate/istio/index.js';
import { formatIssue } from '../api/issue-format.js';
import { AerakiError, ErrorCodes } from '../errors.js';
import { parseCommandArgs } from './args.js';
import { CONFIG_LIMIT_OPTIONS, CONFIG_LIMIT_USAGE, configLimitOptions } from './config-source-options.js';

const USAGE = `Usage: aeraki translate DIR --istio [--root-namespace NS] [--namespace-scope] [--xds-cluster NAME] [--json]

Prints the Istio objects the control plane writes in Istio mode for the config in DIR (as
'aeraki validate' reads it): an EnvoyFilter per MetaProtocol, Dubbo, Thrift, Kafka, ZooKeeper and Redis
service port (outbound per address, inbound where a workload selector says where the service runs),
the gateway EnvoyFilters and VirtualServices, all labelled manager: Aeraki. YAML on stdout, one
document per object; issues on stderr.

Exit status: 0 when printed (warnings allowed), 1 when the config has errors (nothing is printed: the
control plane would not serve it), 2 on bad usage.

Options:
  --istio              print the Istio objects (required: the only output so far)
  --root-namespace NS  Istio's root namespace (default ${DEFAULT_ISTIO_OPTIONS.rootNamespace})
  --namespace-scope    put a service's filters in its own namespace, not the root namespace
  --xds-cluster NAME   the sidecars' bootstrap cluster for RDS (default ${DEFAULT_ISTIO_OPTIONS.xdsCluster})
  --json               print {"envoyFilters": [...], "virtualServices": [...], "issues": [...]} instead
${CONFIG_LIMIT_USAGE}  -h, --help           show this help
`;

export async function translateCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    args,
    {
      istio: { type: 'boolean', default: false },
      'root-namespace': { type: 'string', default: DEFAULT_ISTIO_OPTIONS.rootNamespace },
      'namespace-scope': { type: 'boolean', default: false },
      'xds-cluster': { type: 'string', default: DEFAULT_ISTIO_OPTIONS.xdsCluster },
      json: { type: 'boolean', default: false },
      ...CONFIG_LIMIT_OPTIONS,
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
  if (values.istio !== true) {
    throw new AerakiError(ErrorCodes.CLI_USAGE, `--istio is required (the only output so far)\n\n${USAGE}`);
  }
  const limits = configLimitOptions(values);
  const loaded = await loadConfig(dir, limits);
  const color = process.stderr.isTTY === true && process.env['NO_COLOR'] === undefined;
  const errors = loaded.issues.filter(i => i.severity === 'error');
  if (errors.length > 0) {
    for (const issue of errors) process.stderr.write(`${formatIssue(issue, color)}\n`);
    process.stderr.write(`aeraki translate: ${dir} has errors; nothing printed\n`);
    return 1;
  }
  const translation = translateIstio(
    loaded.config,
    {
      rootNamespace: values['root-namespace'],
      namespaceScope: values['namespace-scope'] === true,
      xdsCluster: values['xds-cluster'],
    },
    loaded.index,
  );
  const issues = [...loaded.issues, ...translation.issues];
  if (values.json === true) {
    process.stdout.write(
      `${JSON.stringify({ envoyFilters: translation.envoyFilters, virtualServices: translation.virtualServices, issues }, null, 2)}\n`,
    );
    return 0;
  }
  for (const issue of issues) process.stderr.write(`${formatIssue(issue, color)}\n`);
  process.stdout.write(istioObjectsYaml(translation));
  return 0;
}
