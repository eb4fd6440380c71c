/**
 * Istio `Gateway` (networking.istio.io v1alpha3, v1beta1, v1): the ports a gateway proxy opens. A
 * server whose port is named `tcp-metaprotocol-<protocol>[-…]` makes the gateway a MetaProtocol entry
 * point for the MetaRouters that name the Gateway in `gateways` (Istio mode: an EnvoyFilter on the
 * gateway's `0.0.0.0_<port>` listener).
 *
 * Only the fields Aeraki reads are typed; the rest of a server (`tls`, `bind`, …) is accepted as Istio
 * writes it.
 */
import { z } from 'zod';
import type { Resource } from './metadata.js';

export interface GatewayPort {
  readonly number: number;
  /** Its dash-segments select the layer-7 protocol, as a ServiceEntry port name does. */
  readonly name: string;
  readonly protocol?: string;
  readonly targetPort?: number;
}

export interface GatewayServer {
  readonly port: GatewayPort;
  readonly hosts?: readonly string[];
  readonly name?: string;
  readonly [field: string]: unknown;
}

export interface GatewaySpec {
  /** Labels of the gateway's pods. */
  readonly selector?: Readonly<Record<string, string>>;
  readonly servers: readonly GatewayServer[];
}

export type Gateway = Resource<'Gateway', GatewaySpec>;

const portNumber = z.number().int().min(1).max(65535);

export const gatewaySpecSchema: z.ZodType<GatewaySpec> = z.strictObject({
  selector: z.record(z.string(), z.string()).optional(),
  servers: z.array(
    z.looseObject({
      port: z.looseObject({
        number: portNumber,
        name: z.string(),
        protocol: z.string().optional(),
        targetPort: portNumber.optional(),
      }),
      hosts: z.array(z.string()).optional(),
      name: z.string().optional(),
    }),
  ),
});
