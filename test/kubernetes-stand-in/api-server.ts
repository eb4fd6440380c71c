/**
 * A faithful stand-in for the Kubernetes API server, for tests only: no kube-apiserver, k3s, kind or
 * envtest can run on the project's machines (see shared/reference/peers.md §7). It implements what
 * the real clients used here exercise — `@kubernetes/client-node` (the control plane) and `kubectl`
 * (apply, get, edit, delete) — following the Kubernetes API concepts:
 *
 * - HTTPS with a certificate from its own CA (client-node 1.4 refuses plain HTTP), bearer tokens.
 * - Discovery: `/version`, `/api`, `/api/v1`, `/apis`, `/apis/<group>`, `/apis/<group>/<version>`.
 * - Built-in resources (resources.ts) and resources served by CustomResourceDefinitions, created and
 *   removed with their CRDs; a CRD's structural schema prunes and checks its objects (schema.ts).
 * - get, list, create, update (optimistic concurrency on resourceVersion: 409 Conflict), patch (merge,
 *   JSON, strategic for built-ins: patch.ts), delete (a namespace or CRD takes its objects along).
 * - One revision counter (store.ts): resourceVersion is the revision of an object's last write.
 * - list: label and field selectors; `limit` and `continue` tokens giving consistent pages at the
 *   first page's revision, 410 Expired for a token older than the last compaction.
 * - watch: from `resourceVersion` unset or "0" (synthetic ADDED events for what exists, then
 *   changes) or from a version (the changes after it; 410 Gone as an ERROR event when it was
 *   compacted); headers flushed at once; `allowWatchBookmarks` (BOOKMARK events carrying only
 *   the current resourceVersion); `timeoutSeconds`; objects leaving a selector arrive as DELETED.
 * - status subresource: only `/status` writes status, and only spec changes bump `generation`.
 * - generation on CRD-backed kinds and the built-ins that keep one; uid and creationTimestamp.
 * - Leases (coordination.k8s.io) as plain objects; TokenReview for the tokens it issued, each bound to
 *   audiences (the API server's own by default, as a plain service-account token; others as a
 *   projected token's): a review is authenticated only for a token that shares an audience with
 *   `spec.audiences` (the API server's audiences when empty), and `status.audiences` is that
 *   intersection (empty when `spec.audiences` was).
 * - ValidatingWebhookConfigurations: matching creates and updates are sent to the webhook as
 *   AdmissionReview v1 over HTTPS (trusting only the caBundle); a denial becomes the API server's
 *   "admission webhook … denied the request: …" error, warnings become `Warning` headers.
 * - dryRun=All, fieldValidation=Strict|Warn|Ignore for custom resources.
 * - Table output (`as=Table`) of custom resources with their CRD's printer columns, as kubectl asks.
 *
 * Left out because nothing here uses them: server-side apply, managedFields, RBAC
 * enforcement, mutating webhooks, conversion webhooks, finalizers and graceful deletion.
 *
 * Faults for tests: {@link stop}/{@link start} (a restart keeps the store, as etcd does),
 * {@link expireWatches} (compaction: every open watch gets 410 Gone and must list again).
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import * as https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { CertificateAuthority, type KeyPair } from '../../src/net/tls-certificates.js';
import { jsonPatch, mergePatch, PatchError, strategicMergePatch } from './patch.js';
import {
  BUILTIN_RESOURCES,
  crdResources,
  groupVersion,
  resourceId,
  type CrdSpec,
  type ResourceType,
} from './resources.js';
import { checkCustomResource, structuralProblems } from './schema.js';
import { fieldSelector, labelSelector, SelectorError } from './selectors.js';
import { Store, storeKey, type StoredEvent, type StoredObject } from './store.js';

export interface StandInOptions {
  /** How often watches that asked for bookmarks get one (default 1 s; the real server: about a minute). */
  readonly bookmarkIntervalMs?: number;
  /** Where a webhook's `service` reference reaches it (no cluster network here): `https://host:port`. */
  readonly resolveService?: (namespace: string, name: string, port: number) => string;
}

/** Who a token belongs to. */
export interface UserInfo {
  readonly username: string;
  readonly uid: string;
  readonly groups: readonly string[];
}

/** One request the server answered, for tests that check how clients talk to it. */
export interface RequestRecord {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  /** 0 while the answer is not finished (an open watch). */
  readonly status: number;
  /** Who made it (the token's user); empty when it carried no valid token. */
  readonly user: string;
}

class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** The audiences the API server identifies as (`--api-audiences`; by default its issuer's). */
export const API_AUDIENCES: readonly string[] = ['https://kubernetes.default.svc.cluster.local'];

const ADMIN_TOKEN_USER: UserInfo = { username: 'kubernetes-admin', uid: 'admin', groups: ['system:masters'] };

function now(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Version priority of Kubernetes API versions: v1 > v1beta2 > v1beta1 > v1alpha1 > anything else. */
function versionPriority(version: string): number[] {
  const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(version);
  if (m === null) return [0, 0, 0];
  const stage = m[2] === undefined ? 3 : m[2] === 'beta' ? 2 : 1;
  return [1, stage, Number(m[1]), Number(m[3] ?? 0)];
}

function byPriority(a: string, b: string): number {
  const pa = versionPriority(a);
  const pb = versionPriority(b);
  for (let i = 0; i < 4; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pb[i] ?? 0) - (pa[i] ?? 0);
  return a < b ? -1 : 1;
}

interface OpenWatch {
  readonly res: ServerResponse;
  end(): void;
  expire(): void;
}

export class KubernetesApiStandIn {
  readonly store = new Store();
  readonly requests: RequestRecord[] = [];
  private readonly ca = CertificateAuthority.create('kubernetes-stand-in-ca');
  private readonly serving: KeyPair;
  private readonly tokens = new Map<string, UserInfo>();
  private readonly tokenAudiences = new Map<string, readonly string[]>();
  readonly adminToken = randomUUID();
  private server: https.Server | undefined;
  private readonly sockets = new Set<Duplex>();
  private readonly watches = new Set<OpenWatch>();
  private boundPort = 0;
  private nextClusterIp = 1;

  constructor(private readonly options: StandInOptions = {}) {
    this.serving = this.ca.issue({
      dnsNames: ['localhost', 'kubernetes.default.svc'],
      ipAddresses: ['127.0.0.1'],
    });
    this.tokens.set(this.adminToken, ADMIN_TOKEN_USER);
    for (const name of ['default', 'kube-system'])
      this.createDirect({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  }

  /** The CA certificate clients must trust (PEM). */
  get caPem(): string {
    return this.ca.certPem;
  }

  get port(): number {
    return this.boundPort;
  }

  get url(): string {
    return `https://127.0.0.1:${this.boundPort}`;
  }

  /** Listens (again) on `port` (0: a free one the first time, the same one afterwards). */
  async start(port = this.boundPort, host = '127.0.0.1'): Promise<number> {
    const server = https.createServer({ cert: this.serving.certPem, key: this.serving.keyPem }, (req, res) =>
      this.handle(req, res),
    );
    server.on('connection', socket => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    this.boundPort = (server.address() as { port: number }).port;
    return this.boundPort;
  }

  /** Stops serving: open watches end as the connections drop, as when the API server dies. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const watch of this.watches) watch.end();
    for (const socket of this.sockets) socket.destroy();
    if (server !== undefined) await new Promise<void>(resolve => server.close(() => resolve()));
  }

  /** Compacts the history and ends every open watch with 410 Gone: clients must list again. */
  expireWatches(): void {
    this.store.compact();
    for (const watch of [...this.watches]) watch.expire();
  }

  /** Open watch streams now. */
  get openWatches(): number {
    return this.watches.size;
  }

  /**
   * A bearer token authenticating as `user` (for service accounts: `system:serviceaccount:ns:name`),
   * made for `audiences` (default the API server's own, with which it also authenticates requests;
   * a projected token's audience such as `istio-ca` is good for TokenReviews only).
   */
  issueToken(user: UserInfo, audiences: readonly string[] = API_AUDIENCES): string {
    const token = randomUUID();
    this.tokens.set(token, user);
    this.tokenAudiences.set(token, audiences);
    return token;
  }

  /** Makes a token unknown, as when its pod or service account is deleted. */
  revokeToken(token: string): void {
    this.tokens.delete(token);
    this.tokenAudiences.delete(token);
  }

  /** A kubeconfig for this server (the admin's token unless another is given); written to `file` if given. */
  kubeconfig(file?: string, token: string = this.adminToken): string {
    const text = [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: stand-in',
      '  cluster:',
      `    server: ${this.url}`,
      `    certificate-authority-data: ${Buffer.from(this.caPem).toString('base64')}`,
      'users:',
      '- name: stand-in-user',
      '  user:',
      `    token: ${token}`,
      'contexts:',
      '- name: stand-in',
      '  context:',
      '    cluster: stand-in',
      '    user: stand-in-user',
      '    namespace: default',
      'current-context: stand-in',
      '',
    ].join('\n');
    if (file !== undefined) writeFileSync(file, text, { mode: 0o600 });
    return text;
  }

  /** Every resource type served now (built-ins, then CRDs'). */
  types(): ResourceType[] {
    const types = [...BUILTIN_RESOURCES];
    for (const crd of this.store.list('customresourcedefinitions.apiextensions.k8s.io')) {
      const established = (
        crd['status'] as { conditions?: Array<{ type: string; status: string }> } | undefined
      )?.conditions;
      if (established?.some(c => c.type === 'Established' && c.status === 'True') !== true) continue;
      types.push(...crdResources(crd['spec'] as CrdSpec));
    }
    return types;
  }

  private findType(group: string, version: string, plural: string): ResourceType | undefined {
    return this.types().find(t => t.group === group && t.version === version && t.plural === plural);
  }

  /** The object stored at `group/plural` `namespace/name`, in storage form. */
  get(group: string, plural: string, namespace: string | undefined, name: string): StoredObject | undefined {
    return this.store.get(resourceId({ group, plural }), storeKey(namespace, name));
  }

  /** Writes (creates or replaces) an object as it is, without admission (set-up of tests; the namespace must exist). */
  createDirect(object: Record<string, unknown>): StoredObject {
    const [group, version] = String(object['apiVersion']).includes('/')
      ? String(object['apiVersion']).split('/')
      : ['', String(object['apiVersion'])];
    const type = this.types().find(
      t => t.group === group && t.version === version && t.kind === object['kind'],
    );
    if (type === undefined)
      throw new Error(`no resource for ${String(object['apiVersion'])} ${String(object['kind'])}`);
    const meta = { ...((object['metadata'] ?? {}) as StoredObject['metadata']) };
    if (!type.namespaced) delete meta.namespace;
    else meta.namespace ??= 'default';
    const current = this.store.get(resourceId(type), storeKey(meta.namespace, meta.name));
    if (current !== undefined) {
      meta['uid'] = current.metadata['uid'];
      meta['creationTimestamp'] = current.metadata['creationTimestamp'];
      if (current.metadata['generation'] !== undefined) meta['generation'] = current.metadata['generation'];
    }
    return this.persist(type, { ...object, metadata: meta } as StoredObject, current);
  }

  // ---------------------------------------------------------------------------------------------

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'https://stand-in');
    const query = Object.fromEntries(url.searchParams);
    const auth = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
    const user = auth === null ? '' : (this.tokens.get(auth[1]!.trim())?.username ?? '');
    const record = { method: req.method ?? '', path: url.pathname, query, status: 0, user };
    this.requests.push(record);
    res.on('finish', () => (record.status = res.statusCode));
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void this.route(req, res, url, query, Buffer.concat(chunks)).catch((err: unknown) => {
        if (res.headersSent) {
          res.end();
          return;
        }
        if (err instanceof ApiError) this.sendStatus(res, err);
        else
          this.sendStatus(res, new ApiError(500, 'InternalError', `Internal error occurred: ${String(err)}`));
      });
    });
  }

  private user(req: IncomingMessage): UserInfo {
    const auth = req.headers.authorization ?? '';
    const m = /^Bearer\s+(.+)$/i.exec(auth);
    const token = m === null ? '' : m[1]!.trim();
    const user = this.tokens.get(token);
    const audiences = this.tokenAudiences.get(token) ?? API_AUDIENCES;
    if (user === undefined || !audiences.some(a => API_AUDIENCES.includes(a)))
      throw new ApiError(401, 'Unauthorized', 'Unauthorized');
    return user;
  }

  private send(res: ServerResponse, code: number, body: unknown, warnings: readonly string[] = []): void {
    const text = JSON.stringify(body);
    const headers: Record<string, string | string[]> = { 'Content-Type': 'application/json' };
    if (warnings.length > 0) headers['Warning'] = warnings.map(w => `299 - ${JSON.stringify(w)}`);
    res.writeHead(code, headers);
    res.end(text);
  }

  private sendStatus(res: ServerResponse, err: ApiError): void {
    this.send(res, err.code, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: err.message,
      reason: err.reason,
      ...(err.details === undefined ? {} : { details: err.details }),
      code: err.code,
    });
  }

  private async route(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    query: Record<string, string>,
    body: Buffer,
  ): Promise<void> {
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (path === '/healthz' || path === '/readyz' || path === '/livez') {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('ok');
      return;
    }
    const user = this.user(req);
    const method = req.method ?? 'GET';
    if (path === '/version') return this.send(res, 200, this.version());
    if (path === '/api')
      return this.send(res, 200, {
        kind: 'APIVersions',
        versions: ['v1'],
        serverAddressByClientCIDRs: [
          { clientCIDR: '0.0.0.0/0', serverAddress: `127.0.0.1:${this.boundPort}` },
        ],
      });
    if (path === '/apis') return this.send(res, 200, this.groupList());
    if (path === '/openapi/v3') return this.send(res, 200, this.openApiIndex());
    if (path.startsWith('/openapi/v3/'))
      return this.send(res, 200, this.openApiDocument(path.slice('/openapi/v3/'.length)));
    if (path.startsWith('/openapi'))
      throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    const segments = path
      .split('/')
      .filter(s => s !== '')
      .map(decodeURIComponent);
    let group: string;
    let version: string;
    let rest: string[];
    if (segments[0] === 'api') {
      group = '';
      version = segments[1] ?? '';
      rest = segments.slice(2);
    } else if (segments[0] === 'apis') {
      group = segments[1] ?? '';
      if (segments.length === 2) {
        const found = this.groupList().groups.find(g => g.name === group);
        if (found === undefined)
          throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
        return this.send(res, 200, { kind: 'APIGroup', apiVersion: 'v1', ...found });
      }
      version = segments[2] ?? '';
      rest = segments.slice(3);
    } else throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    if (rest.length === 0) return this.send(res, 200, this.resourceList(group, version));

    let namespace: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3 && rest[2] !== 'status' && rest[2] !== 'finalize') {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    const [plural = '', name, subresource] = rest;
    const type = this.findType(group, version, plural);
    if (type === undefined || (namespace !== undefined && !type.namespaced))
      throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    if (subresource !== undefined && !(subresource === 'status' && type.statusSubresource))
      throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');

    if (type.createOnly) {
      if (method !== 'POST' || name !== undefined)
        throw new ApiError(
          405,
          'MethodNotAllowed',
          `the server does not allow this method on the requested resource`,
        );
      return this.send(res, 201, this.tokenReview(this.parseBody(body)));
    }
    switch (method) {
      case 'GET':
        if (name === undefined) {
          if (query['watch'] === 'true' || query['watch'] === '1')
            return this.watch(res, type, namespace, query);
          const list = this.list(type, namespace, query);
          if (wantsTable(req) && type.custom)
            return this.send(res, 200, table(type, list['items'] as StoredObject[], list['metadata']));
          return this.send(res, 200, list);
        }
        if (wantsTable(req) && type.custom && subresource === undefined)
          return this.send(
            res,
            200,
            table(type, [this.served(type, this.mustGet(type, namespace, name))], {}),
          );
        return this.send(res, 200, this.served(type, this.mustGet(type, namespace, name)));
      case 'POST': {
        if (name !== undefined)
          throw new ApiError(
            405,
            'MethodNotAllowed',
            'the server does not allow this method on the requested resource',
          );
        const { object, warnings } = await this.create(type, namespace, this.parseBody(body), query, user);
        return this.send(res, 201, this.served(type, object), warnings);
      }
      case 'PUT': {
        if (name === undefined)
          throw new ApiError(
            405,
            'MethodNotAllowed',
            'the server does not allow this method on the requested resource',
          );
        const { object, warnings } = await this.update(
          type,
          namespace,
          name,
          subresource,
          this.parseBody(body),
          query,
          user,
        );
        return this.send(res, 200, this.served(type, object), warnings);
      }
      case 'PATCH': {
        if (name === undefined)
          throw new ApiError(
            405,
            'MethodNotAllowed',
            'the server does not allow this method on the requested resource',
          );
        const current = this.mustGet(type, namespace, name);
        const patched = this.applyPatch(type, current, req.headers['content-type'] ?? '', body);
        const { object, warnings } = await this.update(
          type,
          namespace,
          name,
          subresource,
          patched,
          query,
          user,
          true,
        );
        return this.send(res, 200, this.served(type, object), warnings);
      }
      case 'DELETE': {
        if (name === undefined)
          throw new ApiError(
            405,
            'MethodNotAllowed',
            'the server does not allow this method on the requested resource',
          );
        const current = this.mustGet(type, namespace, name);
        if (query['dryRun'] !== 'All') this.remove(type, current);
        return this.send(res, 200, {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Success',
          details: { name, group: type.group, kind: type.plural, uid: current.metadata['uid'] },
        });
      }
      default:
        throw new ApiError(
          405,
          'MethodNotAllowed',
          'the server does not allow this method on the requested resource',
        );
    }
  }

  private parseBody(body: Buffer): Record<string, unknown> {
    try {
      const parsed = JSON.parse(body.toString('utf8')) as unknown;
      if (!isObject(parsed)) throw new Error('not an object');
      return parsed;
    } catch (err) {
      throw new ApiError(
        400,
        'BadRequest',
        `the body of the request was in an unknown format: ${(err as Error).message}`,
      );
    }
  }

  private version(): Record<string, string> {
    return {
      major: '1',
      minor: '32',
      gitVersion: 'v1.32.0-aeraki-stand-in',
      gitCommit: '0000000000000000000000000000000000000000',
      gitTreeState: 'clean',
      buildDate: '2025-01-01T00:00:00Z',
      goVersion: 'go1.23',
      compiler: 'gc',
      platform: 'linux/amd64',
    };
  }

  private groupList(): {
    kind: string;
    apiVersion: string;
    groups: Array<Record<string, unknown> & { name: string }>;
  } {
    const groups = new Map<string, Set<string>>();
    for (const type of this.types()) {
      if (type.group === '') continue;
      const versions = groups.get(type.group) ?? new Set();
      versions.add(type.version);
      groups.set(type.group, versions);
    }
    return {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: [...groups.entries()].map(([name, set]) => {
        const versions = [...set].sort(byPriority).map(v => ({ groupVersion: `${name}/${v}`, version: v }));
        return { name, versions, preferredVersion: versions[0] };
      }),
    };
  }

  /**
   * OpenAPI v3 discovery, as far as kubectl reads it: per group-version, the PATCH operations of each
   * kind with their `x-kubernetes-group-version-kind` and the `fieldValidation` parameter, which tell
   * kubectl that the server validates fields itself (so it sends `fieldValidation=Strict` rather than
   * validating against schemas it would download). No component schemas: kubectl then computes
   * strategic merge patches from its built-in types, and JSON merge patches for custom resources.
   */
  private openApiIndex(): Record<string, unknown> {
    const paths: Record<string, unknown> = {};
    for (const type of this.types()) {
      const gv = type.group === '' ? `api/${type.version}` : `apis/${type.group}/${type.version}`;
      paths[gv] = { serverRelativeURL: `/openapi/v3/${gv}?hash=${this.store.revision}` };
    }
    return { paths };
  }

  private openApiDocument(gv: string): Record<string, unknown> {
    const parts = gv.split('/');
    const [group, version] = parts[0] === 'api' ? ['', parts[1] ?? ''] : [parts[1] ?? '', parts[2] ?? ''];
    const types = this.types().filter(t => t.group === group && t.version === version);
    if (types.length === 0)
      throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    const paths: Record<string, unknown> = {};
    for (const t of types) {
      const root = t.group === '' ? `/api/${t.version}` : `/apis/${t.group}/${t.version}`;
      const item = `${root}${t.namespaced ? '/namespaces/{namespace}' : ''}/${t.plural}/{name}`;
      paths[item] = {
        patch: {
          'x-kubernetes-group-version-kind': { group: t.group, version: t.version, kind: t.kind },
          parameters: [
            { name: 'dryRun', in: 'query', schema: { type: 'string' } },
            { name: 'fieldManager', in: 'query', schema: { type: 'string' } },
            { name: 'fieldValidation', in: 'query', schema: { type: 'string' } },
          ],
          responses: {},
        },
      };
    }
    return {
      openapi: '3.0.0',
      info: { title: 'Kubernetes', version: 'v1.32.0' },
      paths,
      components: { schemas: {} },
    };
  }

  private resourceList(group: string, version: string): Record<string, unknown> {
    const types = this.types().filter(t => t.group === group && t.version === version);
    if (types.length === 0)
      throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    const resources: Record<string, unknown>[] = [];
    for (const t of types) {
      resources.push({
        name: t.plural,
        singularName: t.singular,
        namespaced: t.namespaced,
        kind: t.kind,
        verbs: t.verbs,
        ...(t.shortNames.length > 0 ? { shortNames: t.shortNames } : {}),
        ...(t.categories.length > 0 ? { categories: t.categories } : {}),
      });
      if (t.statusSubresource)
        resources.push({
          name: `${t.plural}/status`,
          singularName: '',
          namespaced: t.namespaced,
          kind: t.kind,
          verbs: ['get', 'patch', 'update'],
        });
    }
    return {
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: groupVersion({ group, version }),
      resources,
    };
  }

  /** The stored object as served at `type`'s version. */
  private served(type: ResourceType, object: StoredObject): StoredObject {
    return { ...object, apiVersion: groupVersion(type), kind: type.kind };
  }

  private mustGet(type: ResourceType, namespace: string | undefined, name: string): StoredObject {
    const object = this.store.get(resourceId(type), storeKey(type.namespaced ? namespace : undefined, name));
    if (object === undefined) throw this.notFound(type, name);
    return object;
  }

  private notFound(type: ResourceType, name: string): ApiError {
    const what = type.group === '' ? type.plural : `${type.plural}.${type.group}`;
    return new ApiError(404, 'NotFound', `${what} "${name}" not found`, {
      name,
      group: type.group,
      kind: type.plural,
    });
  }

  private matcher(query: Record<string, string>): (o: StoredObject) => boolean {
    try {
      const labels = labelSelector(query['labelSelector']);
      const fields = fieldSelector(query['fieldSelector']);
      return o => labels(o as never) && fields(o as never);
    } catch (err) {
      if (err instanceof SelectorError) throw new ApiError(400, 'BadRequest', err.message);
      throw err;
    }
  }

  private inScope(type: ResourceType, namespace: string | undefined): (o: StoredObject) => boolean {
    return o => !type.namespaced || namespace === undefined || o.metadata.namespace === namespace;
  }

  private list(
    type: ResourceType,
    namespace: string | undefined,
    query: Record<string, string>,
  ): Record<string, unknown> {
    const match = this.matcher(query);
    const scope = this.inScope(type, namespace);
    const limit = Number(query['limit'] ?? 0);
    let revision = this.store.revision;
    let after: string | undefined;
    if (query['continue'] !== undefined && query['continue'] !== '') {
      let token: { rv: number; start: string };
      try {
        token = JSON.parse(Buffer.from(query['continue'], 'base64url').toString('utf8')) as {
          rv: number;
          start: string;
        };
      } catch {
        throw new ApiError(400, 'BadRequest', 'continue key is not valid');
      }
      if (token.rv < this.store.compacted) {
        throw new ApiError(
          410,
          'Expired',
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
        );
      }
      revision = token.rv;
      after = token.start;
    } else if (
      query['resourceVersion'] !== undefined &&
      query['resourceVersion'] !== '' &&
      query['resourceVersion'] !== '0'
    ) {
      const wanted = Number(query['resourceVersion']);
      if (query['resourceVersionMatch'] === 'Exact') {
        if (wanted < this.store.compacted)
          throw new ApiError(410, 'Expired', `too old resource version: ${wanted} (${this.store.compacted})`);
        revision = wanted;
      } else if (wanted > this.store.revision) {
        throw new ApiError(
          504,
          'Timeout',
          `Too large resource version: ${wanted}, current: ${this.store.revision}`,
        );
      }
    }
    const all = this.store.list(resourceId(type), revision).filter(o => scope(o) && match(o));
    const keyed = all.map(o => ({ key: storeKey(o.metadata.namespace, o.metadata.name), o }));
    const start = after === undefined ? 0 : keyed.findIndex(k => k.key > after!);
    const from = start < 0 ? keyed.length : start;
    const page = limit > 0 ? keyed.slice(from, from + limit) : keyed.slice(from);
    const more = limit > 0 && from + limit < keyed.length;
    const last = page[page.length - 1];
    const token =
      more && last !== undefined
        ? Buffer.from(JSON.stringify({ rv: revision, start: last.key })).toString('base64url')
        : undefined;
    return {
      kind: `${type.kind}List`,
      apiVersion: groupVersion(type),
      metadata: {
        resourceVersion: String(revision),
        ...(token === undefined
          ? {}
          : { continue: token, remainingItemCount: keyed.length - from - page.length }),
      },
      items: page.map(({ o }) => this.served(type, o)),
    };
  }

  private watch(
    res: ServerResponse,
    type: ResourceType,
    namespace: string | undefined,
    query: Record<string, string>,
  ): void {
    const match = this.matcher(query);
    const scope = this.inScope(type, namespace);
    const selected = (o: StoredObject | undefined): boolean => o !== undefined && scope(o) && match(o);
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    const write = (type2: string, object: unknown): void => {
      if (!res.writableEnded) res.write(`${JSON.stringify({ type: type2, object })}\n`);
    };
    const resource = resourceId(type);
    const gone = (message: string): void => {
      write('ERROR', {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message,
        reason: 'Expired',
        code: 410,
      });
      res.end();
    };
    const rv = query['resourceVersion'];
    let backlog: StoredEvent[] = [];
    if (rv === undefined || rv === '' || rv === '0') {
      for (const o of this.store.list(resource)) if (selected(o)) write('ADDED', this.served(type, o));
    } else {
      const from = Number(rv);
      if (!(from >= this.store.compacted)) {
        gone(`too old resource version: ${rv} (${this.store.compacted})`);
        return;
      }
      backlog = this.store.since(resource, from);
    }
    const deliver = (event: StoredEvent): void => {
      if (event.resource !== resource) return;
      const now = event.type === 'DELETED' ? undefined : event.object;
      const before = event.previous;
      const wasIn = selected(before);
      const isIn = selected(now);
      if (event.type === 'DELETED') {
        if (wasIn) write('DELETED', this.served(type, event.object));
      } else if (isIn && !wasIn) write('ADDED', this.served(type, event.object));
      else if (isIn && wasIn) write('MODIFIED', this.served(type, event.object));
      else if (wasIn && !isIn) write('DELETED', this.served(type, event.object));
    };
    for (const event of backlog) deliver(event);
    const unsubscribe = this.store.subscribe(deliver);
    const timers: NodeJS.Timeout[] = [];
    if (query['allowWatchBookmarks'] === 'true') {
      timers.push(
        setInterval(() => {
          write('BOOKMARK', {
            kind: type.kind,
            apiVersion: groupVersion(type),
            metadata: { resourceVersion: String(this.store.revision) },
          });
        }, this.options.bookmarkIntervalMs ?? 1000),
      );
    }
    const timeout = Number(query['timeoutSeconds'] ?? 0);
    const watch: OpenWatch = {
      res,
      end: () => {
        cleanup();
        res.end();
      },
      expire: () => {
        cleanup();
        gone('too old resource version: expired');
      },
    };
    const cleanup = (): void => {
      unsubscribe();
      for (const t of timers) clearInterval(t);
      this.watches.delete(watch);
    };
    if (timeout > 0) timers.push(setTimeout(() => watch.end(), timeout * 1000));
    this.watches.add(watch);
    res.on('close', cleanup);
  }

  private tokenReview(body: Record<string, unknown>): Record<string, unknown> {
    const spec = (body['spec'] ?? {}) as { token?: string; audiences?: string[] };
    const user = spec.token === undefined ? undefined : this.tokens.get(spec.token);
    const requested = spec.audiences ?? [];
    const target = requested.length === 0 ? API_AUDIENCES : requested;
    const tokenAudiences = (spec.token === undefined ? undefined : this.tokenAudiences.get(spec.token)) ?? [];
    const shared = target.filter(a => tokenAudiences.includes(a));
    const review = (status: Record<string, unknown>): Record<string, unknown> => ({
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenReview',
      metadata: { creationTimestamp: null },
      spec,
      status,
    });
    if (user === undefined) return review({ authenticated: false, error: 'invalid bearer token' });
    if (shared.length === 0)
      return review({
        authenticated: false,
        error: `invalid bearer token, token audiences ${JSON.stringify(tokenAudiences)} is invalid for the target audiences ${JSON.stringify(target)}`,
      });
    return review({
      authenticated: true,
      user: { username: user.username, uid: user.uid, groups: user.groups },
      audiences: requested.length === 0 ? [] : shared,
    });
  }

  private applyPatch(
    type: ResourceType,
    current: StoredObject,
    contentType: string,
    body: Buffer,
  ): Record<string, unknown> {
    let patch: unknown;
    try {
      patch = JSON.parse(body.toString('utf8'));
    } catch (err) {
      throw new ApiError(
        400,
        'BadRequest',
        `the body of the request was in an unknown format: ${(err as Error).message}`,
      );
    }
    const kind = contentType.split(';')[0]!.trim();
    try {
      switch (kind) {
        case 'application/merge-patch+json':
          return mergePatch(structuredClone(current), patch) as Record<string, unknown>;
        case 'application/json-patch+json':
          return jsonPatch(current, patch) as Record<string, unknown>;
        case 'application/strategic-merge-patch+json':
          if (type.custom)
            throw new ApiError(
              415,
              'UnsupportedMediaType',
              `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`,
            );
          return strategicMergePatch(structuredClone(current), patch) as Record<string, unknown>;
        default:
          throw new ApiError(
            415,
            'UnsupportedMediaType',
            `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`,
          );
      }
    } catch (err) {
      if (err instanceof PatchError) throw new ApiError(err.status, 'Invalid', err.message);
      throw err;
    }
  }

  private invalid(type: ResourceType, name: string, causes: readonly string[]): ApiError {
    const what = type.group === '' ? type.kind : `${type.kind}.${type.group}`;
    return new ApiError(
      422,
      'Invalid',
      `${what} "${name}" is invalid: ${causes.length === 1 ? causes[0] : `[${causes.join(', ')}]`}`,
      {
        name,
        group: type.group,
        kind: type.kind,
        causes: causes.map(message => ({ reason: 'FieldValueInvalid', message })),
      },
    );
  }

  /** Schema and field checks of a body about to be stored; returns the pruned object and warnings. */
  private checkBody(
    type: ResourceType,
    object: StoredObject,
    query: Record<string, string>,
  ): { object: StoredObject; warnings: string[] } {
    const name = object.metadata.name;
    if (typeof name !== 'string' || name === '')
      throw this.invalid(type, '', ['metadata.name: Required value: name or generateName is required']);
    if (!dns1123Subdomain.test(name) || name.length > 253)
      throw this.invalid(type, name, [
        `metadata.name: Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
      ]);
    if (!type.custom || type.schema === undefined) return { object, warnings: [] };
    const checked = checkCustomResource(type.schema, object);
    const validation = query['fieldValidation'] ?? 'Warn';
    if (checked.unknown.length > 0 && validation === 'Strict')
      throw new ApiError(
        400,
        'BadRequest',
        `strict decoding error: ${checked.unknown.map(u => `unknown field "${u}"`).join(', ')}`,
      );
    if (checked.errors.length > 0) throw this.invalid(type, name, checked.errors);
    const warnings = validation === 'Warn' ? checked.unknown.map(u => `unknown field "${u}"`) : [];
    return { object: checked.value as StoredObject, warnings };
  }

  private async create(
    type: ResourceType,
    namespace: string | undefined,
    body: Record<string, unknown>,
    query: Record<string, string>,
    user: UserInfo,
  ): Promise<{ object: StoredObject; warnings: string[] }> {
    const meta = { ...((body['metadata'] ?? {}) as Record<string, unknown>) } as StoredObject['metadata'];
    if (meta.name === undefined && typeof meta['generateName'] === 'string')
      meta.name = `${meta['generateName']}${randomUUID().slice(0, 5)}`;
    if (type.namespaced) {
      const ns = namespace ?? meta.namespace ?? 'default';
      if (meta.namespace !== undefined && meta.namespace !== ns)
        throw new ApiError(
          400,
          'BadRequest',
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      meta.namespace = ns;
    } else delete meta.namespace;
    const fresh = { ...body, metadata: meta } as StoredObject;
    // With a status subresource, a create's status is dropped: status is written only through /status.
    if (type.statusSubresource) delete fresh['status'];
    const { object, warnings } = this.checkBody(type, fresh, query);
    if (this.store.get(resourceId(type), storeKey(meta.namespace, meta.name)) !== undefined) {
      const what = type.group === '' ? type.plural : `${type.plural}.${type.group}`;
      throw new ApiError(409, 'AlreadyExists', `${what} "${meta.name}" already exists`, {
        name: meta.name,
        group: type.group,
        kind: type.plural,
      });
    }
    const admissionWarnings = await this.admit(type, 'CREATE', object, undefined, user, query);
    if (query['dryRun'] === 'All')
      return {
        object: this.defaults(type, object, undefined),
        warnings: [...warnings, ...admissionWarnings],
      };
    return { object: this.persist(type, object, undefined), warnings: [...warnings, ...admissionWarnings] };
  }

  private async update(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    subresource: string | undefined,
    body: Record<string, unknown>,
    query: Record<string, string>,
    user: UserInfo,
    patched = false,
  ): Promise<{ object: StoredObject; warnings: string[] }> {
    const current = this.mustGet(type, namespace, name);
    const meta = { ...((body['metadata'] ?? {}) as Record<string, unknown>) } as StoredObject['metadata'];
    if (meta.name !== undefined && meta.name !== name)
      throw new ApiError(
        400,
        'BadRequest',
        `the name of the object (${meta.name}) does not match the name on the URL (${name})`,
      );
    const sent = meta.resourceVersion;
    if (!patched && sent !== undefined && sent !== '' && sent !== current.metadata.resourceVersion) {
      const what = type.group === '' ? type.plural : `${type.plural}.${type.group}`;
      throw new ApiError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${what} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
        {
          name,
          group: type.group,
          kind: type.plural,
        },
      );
    }
    let next: StoredObject;
    if (subresource === 'status') {
      next = { ...current, status: body['status'] } as StoredObject;
    } else {
      next = {
        ...body,
        metadata: {
          ...meta,
          name,
          ...(type.namespaced ? { namespace: current.metadata.namespace } : {}),
          uid: current.metadata['uid'],
          creationTimestamp: current.metadata['creationTimestamp'],
        },
      } as StoredObject;
      if (type.statusSubresource) {
        if (current['status'] === undefined) delete next['status'];
        else next['status'] = current['status'];
      }
    }
    const { object, warnings } =
      subresource === 'status' ? { object: next, warnings: [] } : this.checkBody(type, next, query);
    const admissionWarnings =
      subresource === 'status' ? [] : await this.admit(type, 'UPDATE', object, current, user, query);
    if (query['dryRun'] === 'All')
      return { object: this.defaults(type, object, current), warnings: [...warnings, ...admissionWarnings] };
    return { object: this.persist(type, object, current), warnings: [...warnings, ...admissionWarnings] };
  }

  /** What the API server fills in: uid, creation time, generation, a Service's defaults. */
  private defaults(
    type: ResourceType,
    object: StoredObject,
    current: StoredObject | undefined,
  ): StoredObject {
    const meta = { ...object.metadata };
    meta['uid'] ??= randomUUID();
    meta['creationTimestamp'] ??= now();
    delete meta.resourceVersion;
    if (type.generation) {
      const before =
        current === undefined ? undefined : (current.metadata['generation'] as number | undefined);
      const strip = (o: StoredObject | undefined): string => {
        if (o === undefined) return '';
        const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = o;
        return JSON.stringify(type.statusSubresource ? rest : { ...rest, status: o['status'] });
      };
      meta['generation'] = before === undefined ? 1 : strip(object) === strip(current) ? before : before + 1;
    }
    const out = {
      ...object,
      apiVersion: groupVersion(type),
      kind: type.kind,
      metadata: meta,
    } as StoredObject;
    if (type.kind === 'Service' && type.group === '') {
      const spec = { ...((out['spec'] ?? {}) as Record<string, unknown>) };
      spec['type'] ??= 'ClusterIP';
      if (spec['type'] !== 'ExternalName' && spec['clusterIP'] === undefined) {
        const n = this.nextClusterIp++;
        spec['clusterIP'] = `10.96.${Math.floor(n / 250)}.${(n % 250) + 1}`;
      }
      if (
        typeof spec['clusterIP'] === 'string' &&
        spec['clusterIPs'] === undefined &&
        spec['clusterIP'] !== 'None'
      )
        spec['clusterIPs'] = [spec['clusterIP']];
      spec['ports'] = ((spec['ports'] ?? []) as Array<Record<string, unknown>>).map(p => ({
        protocol: 'TCP',
        targetPort: p['port'],
        ...p,
      }));
      out['spec'] = spec;
    }
    if (type.kind === 'CustomResourceDefinition') {
      const problems: string[] = [];
      for (const version of (out['spec'] as CrdSpec | undefined)?.versions ?? []) {
        const schema = version.schema?.openAPIV3Schema;
        if (schema === undefined)
          problems.push(
            `spec.versions[${version.name}].schema.openAPIV3Schema: Required value: schemas are required`,
          );
        else
          problems.push(
            ...structuralProblems(schema, `spec.versions[${version.name}].schema.openAPIV3Schema`),
          );
      }
      if (problems.length > 0) throw this.invalid(type, meta.name, problems);
      out['status'] = {
        conditions: [
          {
            type: 'NamesAccepted',
            status: 'True',
            reason: 'NoConflicts',
            message: 'no conflicts found',
            lastTransitionTime: now(),
          },
          {
            type: 'Established',
            status: 'True',
            reason: 'InitialNamesAccepted',
            message: 'the initial names have been accepted',
            lastTransitionTime: now(),
          },
        ],
        acceptedNames: (out['spec'] as CrdSpec).names,
        storedVersions: (out['spec'] as CrdSpec).versions.filter(v => v.storage === true).map(v => v.name),
      };
    }
    return out;
  }

  private persist(type: ResourceType, object: StoredObject, current: StoredObject | undefined): StoredObject {
    const ns = type.namespaced ? object.metadata.namespace : undefined;
    if (type.namespaced && this.store.get('namespaces', ns ?? '') === undefined)
      throw new ApiError(404, 'NotFound', `namespaces "${ns}" not found`, { name: ns, kind: 'namespaces' });
    const out = this.defaults(type, object, current);
    return this.store.write(resourceId(type), storeKey(ns, out.metadata.name), out)!;
  }

  private remove(type: ResourceType, object: StoredObject): void {
    const id = resourceId(type);
    if (type.kind === 'Namespace' && type.group === '') {
      for (const resource of this.store.resources()) {
        for (const o of this.store.list(resource)) {
          if (o.metadata.namespace === object.metadata.name)
            this.store.write(resource, storeKey(o.metadata.namespace, o.metadata.name), undefined);
        }
      }
    }
    if (type.kind === 'CustomResourceDefinition') {
      const spec = object['spec'] as CrdSpec;
      const crs = resourceId({ group: spec.group, plural: spec.names.plural });
      for (const o of this.store.list(crs))
        this.store.write(crs, storeKey(o.metadata.namespace, o.metadata.name), undefined);
    }
    this.store.write(
      id,
      storeKey(type.namespaced ? object.metadata.namespace : undefined, object.metadata.name),
      undefined,
    );
  }

  // -- validating admission webhooks ----------------------------------------------------------------

  private async admit(
    type: ResourceType,
    operation: 'CREATE' | 'UPDATE',
    object: StoredObject,
    old: StoredObject | undefined,
    user: UserInfo,
    query: Record<string, string>,
  ): Promise<string[]> {
    const warnings: string[] = [];
    for (const config of this.store.list('validatingwebhookconfigurations.admissionregistration.k8s.io')) {
      for (const webhook of (config['webhooks'] ?? []) as Array<Record<string, unknown>>) {
        if (!this.webhookMatches(webhook, type, operation)) continue;
        warnings.push(...(await this.callWebhook(webhook, type, operation, object, old, user, query)));
      }
    }
    return warnings;
  }

  private webhookMatches(webhook: Record<string, unknown>, type: ResourceType, operation: string): boolean {
    const rules = (webhook['rules'] ?? []) as Array<{
      apiGroups?: string[];
      apiVersions?: string[];
      operations?: string[];
      resources?: string[];
      scope?: string;
    }>;
    const has = (list: string[] | undefined, value: string): boolean =>
      list !== undefined && (list.includes('*') || list.includes(value));
    return rules.some(
      rule =>
        has(rule.apiGroups, type.group) &&
        has(rule.apiVersions, type.version) &&
        has(rule.operations, operation) &&
        has(rule.resources, type.plural) &&
        (rule.scope === undefined ||
          rule.scope === '*' ||
          rule.scope === (type.namespaced ? 'Namespaced' : 'Cluster')),
    );
  }

  private async callWebhook(
    webhook: Record<string, unknown>,
    type: ResourceType,
    operation: string,
    object: StoredObject,
    old: StoredObject | undefined,
    user: UserInfo,
    query: Record<string, string>,
  ): Promise<string[]> {
    const name = String(webhook['name']);
    const client = (webhook['clientConfig'] ?? {}) as {
      url?: string;
      caBundle?: string;
      service?: { namespace: string; name: string; path?: string; port?: number };
    };
    const failClosed = (webhook['failurePolicy'] ?? 'Fail') === 'Fail';
    let target: URL;
    let servername: string;
    if (client.url !== undefined) {
      target = new URL(client.url);
      servername = target.hostname;
    } else if (client.service !== undefined && this.options.resolveService !== undefined) {
      const s = client.service;
      target = new URL(
        (s.path ?? '/').replace(/^(?!\/)/, '/'),
        this.options.resolveService(s.namespace, s.name, s.port ?? 443),
      );
      servername = `${s.name}.${s.namespace}.svc`;
    } else {
      if (!failClosed) return [];
      throw new ApiError(
        500,
        'InternalError',
        `Internal error occurred: failed calling webhook "${name}": no address for its service`,
      );
    }
    const uid = randomUUID();
    const gvk = { group: type.group, version: type.version, kind: type.kind };
    const gvr = { group: type.group, version: type.version, resource: type.plural };
    const review = {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid,
        kind: gvk,
        resource: gvr,
        requestKind: gvk,
        requestResource: gvr,
        name: object.metadata.name,
        ...(type.namespaced ? { namespace: object.metadata.namespace } : {}),
        operation,
        userInfo: { username: user.username, uid: user.uid, groups: user.groups },
        object: this.served(type, object),
        oldObject: old === undefined ? null : this.served(type, old),
        dryRun: query['dryRun'] === 'All',
        options: {
          apiVersion: 'meta.k8s.io/v1',
          kind: operation === 'CREATE' ? 'CreateOptions' : 'UpdateOptions',
        },
      },
    };
    const timeoutMs = Number(webhook['timeoutSeconds'] ?? 10) * 1000;
    let answer: {
      response?: {
        uid?: string;
        allowed?: boolean;
        status?: { code?: number; message?: string; reason?: string };
        warnings?: string[];
      };
    };
    try {
      answer = await postJson(
        target,
        review,
        client.caBundle === undefined ? undefined : Buffer.from(client.caBundle, 'base64').toString('utf8'),
        servername,
        timeoutMs,
      );
    } catch (err) {
      if (!failClosed) return [];
      throw new ApiError(
        500,
        'InternalError',
        `Internal error occurred: failed calling webhook "${name}": failed to call webhook: Post "${target.href}": ${(err as Error).message}`,
      );
    }
    const response = answer.response;
    if (response === undefined || response.uid !== uid) {
      if (!failClosed) return [];
      throw new ApiError(
        500,
        'InternalError',
        `Internal error occurred: failed calling webhook "${name}": expected response.uid="${uid}", got "${response?.uid ?? ''}"`,
      );
    }
    if (response.allowed === true) return response.warnings ?? [];
    const status = response.status ?? {};
    const code = status.code !== undefined && status.code >= 400 ? status.code : 400;
    const deniedBy = `admission webhook "${name}" denied the request`;
    const message =
      status.message !== undefined && status.message !== ''
        ? `${deniedBy}: ${status.message}`
        : status.reason
          ? `${deniedBy}: ${status.reason}`
          : `${deniedBy} without explanation`;
    throw new ApiError(code, status.reason ?? '', message);
  }
}

/** kubectl asks for server-side printing (`as=Table`) when it gets objects to show. */
function wantsTable(req: IncomingMessage): boolean {
  return /as=Table/.test(req.headers.accept ?? '');
}

/**
 * The JSONPath of printer columns, as far as CRDs use it: `.a.b`, `[n]`, `[?(@.k=="v")]`. Returns
 * every match (a filter may match several).
 */
export function jsonPath(value: unknown, path: string): unknown[] {
  let current: unknown[] = [value];
  const tokens = path.match(/\.[^.[\]]+|\[\?\(@\.[^=]+==\s*"[^"]*"\)\]|\[\d+\]/g) ?? [];
  for (const token of tokens) {
    const next: unknown[] = [];
    for (const node of current) {
      if (token.startsWith('.')) {
        if (isObject(node) && token.slice(1) in node) next.push(node[token.slice(1)]);
      } else if (token.startsWith('[?')) {
        const m = /^\[\?\(@\.([^=]+)==\s*"([^"]*)"\)\]$/.exec(token)!;
        if (Array.isArray(node))
          for (const item of node) if (isObject(item) && String(item[m[1]!.trim()]) === m[2]) next.push(item);
      } else if (Array.isArray(node)) {
        const item: unknown = node[Number(token.slice(1, -1))];
        if (item !== undefined) next.push(item);
      }
    }
    current = next;
  }
  return current;
}

/** A meta.k8s.io/v1 Table of custom resources: Name, then the printer columns (Age among them). */
function table(
  type: ResourceType,
  items: readonly StoredObject[],
  metadata: unknown,
): Record<string, unknown> {
  const columns = type.printerColumns ?? [
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ];
  const cell = (object: StoredObject, column: { type: string; jsonPath: string }): unknown => {
    const found = jsonPath(object, column.jsonPath);
    if (found.length === 0) return null;
    const value = found[0];
    if (column.type === 'string' && typeof value !== 'string')
      return Array.isArray(value) ? `[${value.join(' ')}]` : JSON.stringify(value);
    return value;
  };
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata,
    columnDefinitions: [
      {
        name: 'Name',
        type: 'string',
        format: 'name',
        description: 'Name must be unique within a namespace.',
        priority: 0,
      },
      ...columns.map(c => ({
        name: c.name,
        type: c.type,
        format: '',
        description: '',
        priority: c.priority ?? 0,
      })),
    ],
    rows: items.map(object => ({
      cells: [object.metadata.name, ...columns.map(c => cell(object, c))],
      object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: object.metadata },
    })),
  };
}

function postJson(
  target: URL,
  body: unknown,
  ca: string | undefined,
  servername: string,
  timeoutMs: number,
): Promise<never> {
  const data = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = https.request(
      target,
      {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Accept: 'application/json',
          'Content-Length': data.length,
        },
        ...(ca === undefined ? {} : { ca }),
        servername,
        timeout: timeoutMs,
      },
      res => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          if ((res.statusCode ?? 0) !== 200) {
            reject(new Error(`the server answered ${res.statusCode}`));
            return;
          }
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as never);
          } catch (err) {
            reject(err as Error);
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('context deadline exceeded')));
    req.on('error', reject);
    req.end(data);
  });
}
