/**
 * Writes a synthetic mesh as a tree of YAML files: per service a ServiceEntry (one MetaProtocol port,
 * Thrift or Dubbo, one address, 5 endpoints labelled v1/v2), a DestinationRule with subsets v1 and v2,
 * and a MetaRouter (a plain route, a weighted split, or an attribute match then a default). Services
 * are grouped into files of several documents, files into one directory per namespace, so the loader
 * sees what a real config tree looks like.
 *
 * With namespace visibility, each service's three documents carry the same `exportTo`, as a mesh that
 * scopes its proxies writes them: of every ten services of a namespace, one is exported to the whole
 * mesh, one to its own namespace and the next, and eight to their own namespace only (service 0, the
 * one the benchmark edits, among them).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const NAMESPACES = 10;
/** Services per YAML file (three documents each). */
export const SERVICES_PER_FILE = 50;
export const ENDPOINTS_PER_SERVICE = 5;

/** How the generated services are exported (`exportTo`). */
export interface GenerateOptions {
  /** Write `exportTo` on every document (see above); without it every service is seen everywhere. */
  readonly visibility?: boolean;
}

/** Where the benchmark edits the config, and how. */
export interface GeneratedConfig {
  readonly dir: string;
  readonly services: number;
  readonly files: number;
  readonly documents: number;
  readonly bytes: number;
  /** The file holding service 0's MetaRouter: the one the benchmark edits. */
  readonly editedFile: string;
  /** The whole content of `editedFile` with service 0's split set to `v1Weight`/100-`v1Weight`. */
  editedContent(v1Weight: number): string;
  /** The namespaces whose proxies see service 0 (all of them without visibility). */
  readonly editedVisibleTo: readonly string[];
}

/** The namespace of service `i`. */
export function namespaceOf(i: number): string {
  return `bench-${i % NAMESPACES}`;
}

/** Where service `i` is exported to, with visibility: see the file comment. */
function exportTo(i: number): string[] {
  const rank = Math.floor(i / NAMESPACES) % 10;
  if (rank === 5) return ['*'];
  if (rank === 6) return ['.', namespaceOf(i + 1)];
  return ['.'];
}

function exportLines(i: number, visibility: boolean): string[] {
  return visibility ? ['  exportTo:', ...exportTo(i).map(ns => `    - ${JSON.stringify(ns)}`)] : [];
}

function host(i: number): string {
  return `svc-${String(i).padStart(5, '0')}.${namespaceOf(i)}.svc.cluster.local`;
}

function name(i: number): string {
  return `svc-${String(i).padStart(5, '0')}`;
}

/** A unique address per service in 10.0.0.0/8 (the control plane never binds it). */
function address(i: number): string {
  const n = i + 1;
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}

function serviceEntry(i: number, visibility: boolean): string {
  const thrift = i % 2 === 0;
  const portName = thrift ? 'tcp-metaprotocol-thrift-svc' : 'tcp-metaprotocol-dubbo';
  const portNumber = thrift ? 9090 : 20880;
  const endpoints: string[] = [];
  for (let e = 0; e < ENDPOINTS_PER_SERVICE; e++) {
    const n = i * ENDPOINTS_PER_SERVICE + e;
    endpoints.push(
      [
        `    - address: 172.${16 + ((n >> 16) & 15)}.${(n >> 8) & 255}.${n & 255}`,
        `      ports:`,
        `        ${portName}: ${portNumber + 1}`,
        `      labels:`,
        `        app: ${name(i)}`,
        `        version: ${e < 3 ? 'v1' : 'v2'}`,
      ].join('\n'),
    );
  }
  return [
    'apiVersion: networking.istio.io/v1beta1',
    'kind: ServiceEntry',
    'metadata:',
    `  name: ${name(i)}`,
    `  namespace: ${namespaceOf(i)}`,
    'spec:',
    ...exportLines(i, visibility),
    '  hosts:',
    `    - ${host(i)}`,
    '  addresses:',
    `    - ${address(i)}`,
    '  ports:',
    `    - number: ${portNumber}`,
    `      name: ${portName}`,
    '      protocol: TCP',
    '  location: MESH_INTERNAL',
    '  resolution: STATIC',
    '  endpoints:',
    ...endpoints,
  ].join('\n');
}

function destinationRule(i: number, visibility: boolean): string {
  const lines = [
    'apiVersion: networking.istio.io/v1beta1',
    'kind: DestinationRule',
    'metadata:',
    `  name: ${name(i)}`,
    `  namespace: ${namespaceOf(i)}`,
    'spec:',
    ...exportLines(i, visibility),
    `  host: ${host(i)}`,
    '  trafficPolicy:',
    '    connectionPool:',
    '      tcp:',
    '        connectTimeout: 2s',
  ];
  // Some services hash on an attribute, as sticky-session users configure.
  if (i % 5 === 0) lines.push('    loadBalancer:', '      consistentHash:', '        httpHeaderName: method');
  lines.push(
    '  subsets:',
    '    - name: v1',
    '      labels:',
    '        version: v1',
    '    - name: v2',
    '      labels:',
    '        version: v2',
  );
  return lines.join('\n');
}

function destination(i: number, subset: string): string[] {
  return [`        - destination:`, `            host: ${host(i)}`, `            subset: ${subset}`];
}

/** Service 0 (and every third one) splits traffic; the benchmark edits service 0's weights. */
function metaRouter(i: number, visibility: boolean, v1Weight = 80): string {
  const head = [
    'apiVersion: metaprotocol.aeraki.io/v1alpha1',
    'kind: MetaRouter',
    'metadata:',
    `  name: ${name(i)}`,
    `  namespace: ${namespaceOf(i)}`,
    'spec:',
    ...exportLines(i, visibility),
    '  hosts:',
    `    - ${host(i)}`,
    '  routes:',
  ];
  switch (i % 3) {
    case 0:
      return [
        ...head,
        '    - name: split',
        '      route:',
        ...destination(i, 'v1'),
        `          weight: ${v1Weight}`,
        ...destination(i, 'v2'),
        `          weight: ${100 - v1Weight}`,
      ].join('\n');
    case 1:
      return [
        ...head,
        '    - name: by-method',
        '      match:',
        '        attributes:',
        '          method:',
        '            exact: sayHello',
        '          x-tenant:',
        '            prefix: gold-',
        '      route:',
        ...destination(i, 'v2'),
        '    - name: default',
        '      route:',
        ...destination(i, 'v1'),
      ].join('\n');
    default:
      return [...head, '    - name: v1', '      route:', ...destination(i, 'v1')].join('\n');
  }
}

function fileContent(first: number, last: number, visibility: boolean, editedWeight?: number): string {
  const docs: string[] = [];
  for (let i = first; i < last; i++) {
    docs.push(
      serviceEntry(i, visibility),
      destinationRule(i, visibility),
      metaRouter(i, visibility, i === 0 ? editedWeight : undefined),
    );
  }
  return docs.join('\n---\n') + '\n';
}

/** Writes `services` services under `dir` (which must exist and be empty). */
export async function generateConfig(
  dir: string,
  services: number,
  options: GenerateOptions = {},
): Promise<GeneratedConfig> {
  const visibility = options.visibility === true;
  let files = 0;
  let bytes = 0;
  let editedFile = '';
  for (let ns = 0; ns < NAMESPACES; ns++) await mkdir(join(dir, `bench-${ns}`));
  for (let first = 0; first < services; first += SERVICES_PER_FILE) {
    const last = Math.min(services, first + SERVICES_PER_FILE);
    // A file holds services of mixed namespaces: the loader must not depend on any grouping.
    const file = join(dir, `bench-${(first / SERVICES_PER_FILE) % NAMESPACES}`, `services-${first}.yaml`);
    const text = fileContent(first, last, visibility);
    await writeFile(file, text);
    if (first === 0) editedFile = file;
    files++;
    bytes += Buffer.byteLength(text);
  }
  const editedLast = Math.min(services, SERVICES_PER_FILE);
  return {
    dir,
    services,
    files,
    documents: services * 3,
    bytes,
    editedFile,
    editedContent: v1Weight => fileContent(0, editedLast, visibility, v1Weight),
    editedVisibleTo: visibility
      ? exportTo(0).map(ns => (ns === '.' ? namespaceOf(0) : ns))
      : Array.from({ length: NAMESPACES }, (_, n) => namespaceOf(n)),
  };
}
