/**
 * The Istio objects of a translation as YAML, one document each (EnvoyFilters, then VirtualServices,
 * each sorted by namespace and name): what `aeraki translate --istio` prints for review and GitOps.
 */
import { stringify } from 'yaml';
import type { IstioTranslation } from './translate-istio.js';

export function istioObjectsYaml(
  translation: Pick<IstioTranslation, 'envoyFilters' | 'virtualServices'>,
): string {
  const objects = [...translation.envoyFilters, ...translation.virtualServices];
  return objects.map(o => `---\n${stringify(o, { lineWidth: 0 })}`).join('');
}
