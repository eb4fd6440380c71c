/**
 * The validating admission webhook for the Aeraki kinds (AdmissionReview v1 over HTTPS, `POST
 * /validate`): the API server sends each created or updated object, and the answer applies the
 * rules `aeraki validate` applies, with its messages —
 *
 * - an object's own errors (schema, then the kind's rules) deny the request, each error as
 *   `message (Kind ns/name, field …, rule …)`, joined by "; ";
 * - its own warnings, and what the rules between objects say about it against the config the
 *   control plane serves now (a MetaRouter naming a subset no DestinationRule defines, …), come back
 *   as warnings: `kubectl apply -f dir` applies objects one by one, so a reference to an object not
 *   applied yet must not refuse the request.
 *
 * Anything else (a kind that is not ours, DELETE, a malformed review) is allowed: the webhook must
 * never block what it does not own.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { compareIssues, validateDocument, type ConfigIssue } from '../../api/index.js';
import { formatIssueMessage } from '../../api/issue-format.js';
import { buildConfig } from '../model/build-config.js';
import type { LoadedConfig } from '../model/config-set.js';
import { issueInDocument } from '../model/issue-at.js';
import type { SourceDocument } from '../sources/config-source.js';

/** The largest AdmissionReview read (the API server's own request limit is 3 MiB). */
const MAX_BODY_BYTES = 3 * 1024 * 1024;

/** What a review asks about. */
interface AdmissionRequest {
  readonly uid?: string;
  readonly kind?: { readonly group?: string; readonly version?: string; readonly kind?: string };
  readonly operation?: string;
  readonly namespace?: string;
  readonly object?: Record<string, unknown> & { metadata?: { name?: string; namespace?: string } };
}

/** The answer, as AdmissionReview v1's `response`. */
export interface AdmissionResponse {
  readonly uid: string;
  readonly allowed: boolean;
  readonly status?: { readonly code: number; readonly reason: string; readonly message: string };
  readonly warnings?: readonly string[];
}

export interface WebhookServerOptions {
  readonly logger: Logger;
  /** The kinds this webhook judges (others are allowed). */
  readonly kinds: ReadonlySet<string>;
  /**
   * The documents of the config served now, by URI, to check the rules between objects; the URI an
   * object of the review would have.
   */
  readonly current: () => ReadonlyMap<string, SourceDocument> | undefined;
  readonly uriOf: (kind: string, namespace: string | undefined, name: string) => string;
  /**
   * Adds what the proxies' codecs and filters say of a config (see `ControlPlane.withProxyChecks`):
   * those of an object's issues are its own, so its errors deny it as its schema errors do.
   */
  readonly proxyChecks?: (config: LoadedConfig) => LoadedConfig;
}

/** HTTPS server answering AdmissionReviews. */
export class WebhookServer {
  private server: Server | undefined;
  private certificate: { cert: string; key: string };
  /** Reviews answered, for `/config` and tests. */
  reviews = { allowed: 0, denied: 0 };

  constructor(
    private readonly options: WebhookServerOptions,
    certificate: { certPem: string; keyPem: string },
  ) {
    this.certificate = { cert: certificate.certPem, key: certificate.keyPem };
  }

  async listen(host: string, port: number): Promise<number> {
    const server = createServer(this.certificate, (req, res) => this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    return (server.address() as { port: number }).port;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>(resolve => server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'POST' || (path !== '/validate' && path !== '/validate/')) {
      res.writeHead(req.method === 'POST' ? 404 : 405, { 'Content-Type': 'text/plain' });
      res.end('POST /validate with an AdmissionReview\n');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        res.writeHead(413, { 'Content-Type': 'text/plain' });
        res.end('AdmissionReview too large\n');
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (res.writableEnded) return;
      let request: AdmissionRequest = {};
      try {
        const review = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { request?: AdmissionRequest };
        request = review.request ?? {};
      } catch {
        res.writeHead(400, { 'Content-Type': 'text/plain' });
        res.end('the body is not JSON\n');
        return;
      }
      const response = this.review(request);
      if (response.allowed) this.reviews.allowed++;
      else this.reviews.denied++;
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response }));
    });
  }

  /** Judges one request. */
  review(request: AdmissionRequest): AdmissionResponse {
    const uid = request.uid ?? '';
    const kind = request.kind?.kind ?? '';
    const object = request.object;
    if (
      !this.options.kinds.has(kind) ||
      object === undefined ||
      (request.operation !== 'CREATE' && request.operation !== 'UPDATE')
    )
      return { uid, allowed: true };
    const name = object.metadata?.name ?? '';
    const namespace = object.metadata?.namespace ?? request.namespace;
    const uri = this.options.uriOf(kind, namespace, name);
    const { status: _status, ...data } = object;
    const candidate: SourceDocument = {
      file: uri,
      documentIndex: 0,
      resourceVersion: `review:${uid}`,
      locate: () => ({ line: 1, column: 1 }),
      data,
    };
    const checked = validateDocument(data);
    const own = checked.issues.map(issue => issueInDocument(candidate, checked.kind, checked.name, issue));
    // On an object that its schema and rules already refuse, the proxy checks would judge a shape
    // they were not written for.
    if (this.options.proxyChecks !== undefined && !own.some(i => i.severity === 'error')) {
      own.push(...this.proxyIssues(candidate));
    }
    const errors = own.filter(i => i.severity === 'error');
    if (errors.length > 0) {
      const message = errors.map(formatIssueMessage).join('; ');
      this.options.logger.info(
        { object: `${kind} ${namespace ?? ''}/${name}`, errors: errors.length },
        'admission denied',
      );
      return { uid, allowed: false, status: { code: 400, reason: 'Invalid', message } };
    }
    const warnings: ConfigIssue[] = own.filter(i => i.severity === 'warning');
    const current = this.options.current();
    if (current !== undefined) {
      const documents = [...current.values()].filter(d => d.file !== uri);
      documents.push(candidate);
      const ownKeys = new Set(warnings.map(w => `${w.rule} ${w.field} ${w.message}`));
      for (const issue of buildConfig({ documents, issues: [] }).issues) {
        if (issue.file !== uri || ownKeys.has(`${issue.rule} ${issue.field} ${issue.message}`)) continue;
        warnings.push(issue);
      }
    }
    return warnings.length === 0
      ? { uid, allowed: true }
      : { uid, allowed: true, warnings: warnings.sort(compareIssues).map(formatIssueMessage) };
  }

  /** The issues the proxy checks find in `candidate` alone (what they add to the config's own). */
  private proxyIssues(candidate: SourceDocument): ConfigIssue[] {
    const alone = buildConfig({ documents: [candidate], issues: [] });
    const before = new Set(alone.issues);
    return this.options.proxyChecks!(alone).issues.filter(
      issue => !before.has(issue) && issue.file === candidate.file,
    );
  }
}
