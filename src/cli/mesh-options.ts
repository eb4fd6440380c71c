/**
 * The mesh settings that scope proxies, as `aeraki control-plane` options, named after Istio's
 * MeshConfig fields.
 */
import { AerakiError, ErrorCodes } from '../errors.js';
import { isDns1123Label } from '../api/names.js';
import { DEFAULT_MESH_OPTIONS, type MeshOptions } from '../control-plane/model/mesh-options.js';

export const MESH_USAGE = `Scoping (Istio's MeshConfig):
  --root-namespace NS the root namespace: its Sidecar without a selector applies to namespaces
                      without their own, its DestinationRules mesh-wide (default istio-system)
  --default-service-export-to LIST
                      exportTo of ServiceEntries that set none: '*', '.', '~' or namespaces,
                      comma-separated (default *; Istio's defaultServiceExportTo)
  --default-destination-rule-export-to LIST
                      the same for DestinationRules (default *)
  --default-meta-router-export-to LIST
                      the same for MetaRouters, as Istio's defaultVirtualServiceExportTo (default *)
`;

export const MESH_OPTIONS = {
  'root-namespace': { type: 'string' },
  'default-service-export-to': { type: 'string' },
  'default-destination-rule-export-to': { type: 'string' },
  'default-meta-router-export-to': { type: 'string' },
} as const;

type MeshValues = { readonly [K in keyof typeof MESH_OPTIONS]?: string | undefined };

function exportList(
  value: string | undefined,
  option: string,
  fallback: readonly string[],
): readonly string[] {
  if (value === undefined) return fallback;
  const list = value
    .split(',')
    .map(v => v.trim())
    .filter(v => v !== '');
  const bad = list.find(v => v !== '*' && v !== '.' && v !== '~' && !isDns1123Label(v));
  if (list.length === 0 || bad !== undefined)
    throw new AerakiError(
      ErrorCodes.CLI_USAGE,
      `--${option} takes '*', '.', '~' or namespace names, comma-separated; got '${value}'`,
    );
  return list;
}

export function meshOptions(values: MeshValues): MeshOptions {
  const root = values['root-namespace'] ?? DEFAULT_MESH_OPTIONS.rootNamespace;
  if (!isDns1123Label(root))
    throw new AerakiError(ErrorCodes.CLI_USAGE, `--root-namespace must be a namespace name, got '${root}'`);
  return {
    rootNamespace: root,
    defaultServiceExportTo: exportList(
      values['default-service-export-to'],
      'default-service-export-to',
      DEFAULT_MESH_OPTIONS.defaultServiceExportTo,
    ),
    defaultDestinationRuleExportTo: exportList(
      values['default-destination-rule-export-to'],
      'default-destination-rule-export-to',
      DEFAULT_MESH_OPTIONS.defaultDestinationRuleExportTo,
    ),
    defaultMetaRouterExportTo: exportList(
      values['default-meta-router-export-to'],
      'default-meta-router-export-to',
      DEFAULT_MESH_OPTIONS.defaultMetaRouterExportTo,
    ),
  };
}
