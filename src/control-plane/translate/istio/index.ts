/**
 * Istio mode: the EnvoyFilters (and gateway VirtualServices) written for Envoy sidecars and gateways
 * that run Aeraki's MetaProtocol proxy image.
 */
export { translateIstio, INTERFACE_ANNOTATION, type IstioTranslation } from './translate-istio.js';
export { DEFAULT_ISTIO_OPTIONS, type IstioOptions } from './istio-options.js';
export {
  MANAGER_LABEL,
  TYPED_STRUCT_TYPE_URL,
  type ConfigPatch,
  type EnvoyFilterObject,
  type GatewayVirtualServiceObject,
} from './envoy-filter.js';
export { aerakiRdsConfigSource } from './meta-protocol.js';
export { istioObjectsYaml } from './istio-yaml.js';
