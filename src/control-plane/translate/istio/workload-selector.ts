/**
 * Where a service's own workloads are, for its inbound EnvoyFilters: the ServiceEntry's
 * `workloadSelector.labels`, else its `workloadSelector` annotation, which registry bridges
 * (dubbo2istio and others) write: `"value"` means `{app: value}`, `"key: value"` means `{key: value}`
 * (spaces ignored).
 */
import type { ServiceEntry } from '../../../api/index.js';

export const WORKLOAD_SELECTOR_ANNOTATION = 'workloadSelector';

export function workloadSelectorOf(entry: ServiceEntry): Record<string, string> | undefined {
  const labels = entry.spec.workloadSelector?.labels;
  if (labels !== undefined && Object.keys(labels).length > 0) return { ...labels };
  const annotation = entry.metadata.annotations?.[WORKLOAD_SELECTOR_ANNOTATION]?.replace(/\s+/g, '');
  if (annotation === undefined || annotation === '') return undefined;
  const colon = annotation.indexOf(':');
  if (colon < 0) return { app: annotation };
  const key = annotation.slice(0, colon);
  const value = annotation.slice(colon + 1);
  return key === '' || value === '' ? undefined : { [key]: value };
}
