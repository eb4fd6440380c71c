/**
 * Builders for the Istio and Aeraki documents the tests feed to `aeraki up`, and a temporary config
 * directory to write them to. Documents are plain objects in the users' YAML shape.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

export type ConfigDocument = Record<string, unknown>;

/** A ServiceEntry endpoint: where one upstream server listens, and its labels. */
export interface EndpointSpec {
  readonly address: string;
  readonly port: number;
  readonly labels: Readonly<Record<string, string>>;
}

export interface ThriftServiceEntrySpec {
  /** metadata.name; also the suffix of the port name `tcp-metaprotocol-thrift-<name>`. */
  readonly name: string;
  readonly host: string;
  /** The addresses the proxy listens on (each at `port`). */
  readonly addresses: readonly string[];
  readonly port: number;
  readonly endpoints: readonly EndpointSpec[];
  readonly namespace?: string;
}

/** The port name that selects the MetaProtocol proxy with the Thrift codec. */
export function thriftPortName(name: string): string {
  return `tcp-metaprotocol-thrift-${name}`;
}

/** A ServiceEntry whose port selects the Thrift codec; endpoints give their port via the `ports` map. */
export function thriftServiceEntry(spec: ThriftServiceEntrySpec): ConfigDocument {
  return staticServiceEntry(spec, thriftPortName(spec.name));
}

/**
 * A STATIC mesh-internal ServiceEntry with one port named `portName` (whose name selects the codec)
 * and endpoints mapping that port to their own.
 */
export function staticServiceEntry(spec: ThriftServiceEntrySpec, portName: string): ConfigDocument {
  return {
    apiVersion: 'networking.istio.io/v1beta1',
    kind: 'ServiceEntry',
    metadata: { name: spec.name, namespace: spec.namespace ?? 'default' },
    spec: {
      hosts: [spec.host],
      addresses: [...spec.addresses],
      ports: [{ number: spec.port, name: portName, protocol: 'TCP' }],
      location: 'MESH_INTERNAL',
      resolution: 'STATIC',
      endpoints: spec.endpoints.map(e => ({
        address: e.address,
        ports: { [portName]: e.port },
        labels: { ...e.labels },
      })),
    },
  };
}

export interface DestinationRuleSpec {
  readonly name: string;
  readonly host: string;
  /** Subset name → labels. */
  readonly subsets: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly trafficPolicy?: ConfigDocument;
  readonly namespace?: string;
}

export function destinationRule(spec: DestinationRuleSpec): ConfigDocument {
  return {
    apiVersion: 'networking.istio.io/v1beta1',
    kind: 'DestinationRule',
    metadata: { name: spec.name, namespace: spec.namespace ?? 'default' },
    spec: {
      host: spec.host,
      ...(spec.trafficPolicy === undefined ? {} : { trafficPolicy: spec.trafficPolicy }),
      subsets: Object.entries(spec.subsets).map(([name, labels]) => ({ name, labels: { ...labels } })),
    },
  };
}

/** Where a server of a versioned service listens. */
export interface Listening {
  readonly host: string;
  readonly port: number;
}

/**
 * A Thrift service with one endpoint labelled `version: v1` and one `version: v2`, and its
 * DestinationRule with subsets v1 and v2: the service most routing tests start from.
 */
export function versionedThriftService(spec: {
  readonly name: string;
  readonly host: string;
  readonly address: string;
  readonly port: number;
  readonly v1: Listening;
  readonly v2: Listening;
}): ConfigDocument[] {
  const { name, host } = spec;
  return [
    thriftServiceEntry({
      name,
      host,
      addresses: [spec.address],
      port: spec.port,
      endpoints: [
        { address: spec.v1.host, port: spec.v1.port, labels: { version: 'v1' } },
        { address: spec.v2.host, port: spec.v2.port, labels: { version: 'v2' } },
      ],
    }),
    destinationRule({ name, host, subsets: { v1: { version: 'v1' }, v2: { version: 'v2' } } }),
  ];
}

/** One MetaRouter route, in the user's YAML shape (`match`, `route`, `mirror`, mutations, …). */
export type MetaRoute = ConfigDocument;

export function metaRouter(spec: {
  readonly name: string;
  readonly host: string;
  readonly routes: readonly MetaRoute[];
  readonly namespace?: string;
  /** `spec.filters`: the service's filter chain, `{name, config?}` each. */
  readonly filters?: readonly ConfigDocument[];
}): ConfigDocument {
  return {
    apiVersion: 'metaprotocol.aeraki.io/v1alpha1',
    kind: 'MetaRouter',
    metadata: { name: spec.name, namespace: spec.namespace ?? 'default' },
    spec: {
      hosts: [spec.host],
      routes: [...spec.routes],
      ...(spec.filters === undefined ? {} : { filters: [...spec.filters] }),
    },
  };
}

/** A route destination: `{destination: {host, subset}, weight?}`. */
export function destination(host: string, subset?: string, weight?: number): ConfigDocument {
  return {
    destination: { host, ...(subset === undefined ? {} : { subset }) },
    ...(weight === undefined ? {} : { weight }),
  };
}

/** A MetaRouter match on metadata attributes with exact values, e.g. `{method: 'sayHello'}`. */
export function exactMatch(attributes: Readonly<Record<string, string>>): ConfigDocument {
  return {
    attributes: Object.fromEntries(Object.entries(attributes).map(([key, value]) => [key, { exact: value }])),
  };
}

/** YAML text of several documents. */
export function toYaml(documents: readonly ConfigDocument[]): string {
  return documents.map(d => stringify(d)).join('---\n');
}

/** A temporary directory holding config files; `remove()` deletes it. */
export interface ConfigDir {
  readonly path: string;
  write(file: string, documents: readonly ConfigDocument[] | string): Promise<void>;
  remove(): Promise<void>;
}

/** Creates a temporary config directory with `files` (file name → documents or raw YAML text). */
export async function createConfigDir(
  files: Readonly<Record<string, readonly ConfigDocument[] | string>> = {},
): Promise<ConfigDir> {
  const path = await mkdtemp(join(tmpdir(), 'aeraki-e2e-'));
  const dir: ConfigDir = {
    path,
    async write(file, documents) {
      await writeFile(join(path, file), typeof documents === 'string' ? documents : toYaml(documents));
    },
    async remove() {
      await rm(path, { recursive: true, force: true });
    },
  };
  for (const [file, documents] of Object.entries(files)) await dir.write(file, documents);
  return dir;
}

/** An ApplicationProtocol mapping `protocol` (as in port names) to `codec`, with extension fields. */
export function applicationProtocol(
  protocol: string,
  codec: string,
  extra: Readonly<Record<string, unknown>> = {},
): ConfigDocument {
  return {
    apiVersion: 'metaprotocol.aeraki.io/v1alpha1',
    kind: 'ApplicationProtocol',
    metadata: { name: protocol },
    spec: { protocol, codec, ...extra },
  };
}
