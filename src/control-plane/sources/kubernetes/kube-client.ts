/**
 * The Kubernetes API as the control plane uses it, on `@kubernetes/client-node`: its KubeConfig finds
 * the cluster and the credentials (in-cluster service account, a kubeconfig file with any of its auth
 * providers), its Watch streams watch events. Requests are plain JSON over the HTTPS options the
 * KubeConfig produces, so that lists can page with `limit`/`continue`, status can be patched through
 * the status subresource and the API server's `Status` answers (410 Expired, 409 Conflict) reach the
 * caller with their code and reason.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { KubeConfig, Watch } from '@kubernetes/client-node';
import { AerakiError, ErrorCodes } from '../../../errors.js';

/** Object metadata as the API server returns it (the fields the control plane reads). */
export interface KubeObjectMeta {
  readonly name?: string;
  readonly namespace?: string;
  readonly uid?: string;
  readonly resourceVersion?: string;
  readonly generation?: number;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly deletionTimestamp?: string;
  readonly [key: string]: unknown;
}

/** Any object of the API. */
export interface KubeObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: KubeObjectMeta;
  readonly [key: string]: unknown;
}

/** One page of a list. */
export interface KubeList {
  readonly metadata?: { readonly resourceVersion?: string; readonly continue?: string };
  readonly items?: readonly KubeObject[];
}

/** A `metav1.Status` answer. */
export interface KubeStatus {
  readonly kind?: string;
  readonly code?: number;
  readonly reason?: string;
  readonly message?: string;
}

/** An API request the server refused or that never got an answer. */
export class KubeApiError extends AerakiError {
  constructor(
    message: string,
    /** HTTP status; 0 when no answer arrived (connection refused, reset, timeout). */
    readonly status: number,
    /** The Status reason (`Expired`, `Conflict`, `NotFound`, …); empty when none. */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(ErrorCodes.KUBERNETES_API, message, options);
    this.name = 'KubeApiError';
  }
}

/** Where the cluster and credentials come from. */
export interface KubeClientOptions {
  /** A kubeconfig file; else in-cluster config when running in a pod, else `$KUBECONFIG` or ~/.kube/config. */
  readonly kubeconfig?: string;
  /** The kubeconfig context to use (default: its current context). */
  readonly context?: string;
}

/** What one request carries. */
export interface KubeRequest {
  readonly query?: Readonly<Record<string, string | number | boolean | undefined>>;
  readonly body?: unknown;
  /** Content type of `body` (default `application/json`; patches name their kind). */
  readonly contentType?: string;
  /** Give up after this long (default 30 s). */
  readonly timeoutMs?: number;
}

/** A watch event as the API server sends it. */
export interface WatchEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  readonly object: KubeObject & KubeStatus;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** The API server of one cluster. */
export class KubeClient {
  private readonly watcher: Watch;

  constructor(readonly config: KubeConfig) {
    this.watcher = new Watch(config);
  }

  /** Loads the config the options name (see {@link KubeClientOptions.kubeconfig}). */
  static load(options: KubeClientOptions = {}): KubeClient {
    const config = new KubeConfig();
    try {
      if (options.kubeconfig !== undefined) config.loadFromFile(options.kubeconfig);
      else if (process.env['KUBERNETES_SERVICE_HOST'] !== undefined) config.loadFromCluster();
      else config.loadFromDefault();
      if (options.context !== undefined) config.setCurrentContext(options.context);
    } catch (err) {
      throw new AerakiError(
        ErrorCodes.KUBERNETES_CONFIG,
        `cannot load the Kubernetes config${options.kubeconfig === undefined ? '' : ` from ${options.kubeconfig}`}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    if (config.getCurrentCluster() === null) {
      throw new AerakiError(
        ErrorCodes.KUBERNETES_CONFIG,
        `the Kubernetes config names no cluster for context '${config.getCurrentContext()}'`,
      );
    }
    return new KubeClient(config);
  }

  /** The API server's URL. */
  get server(): string {
    return this.config.getCurrentCluster()?.server ?? '';
  }

  /** One request; resolves with the decoded JSON answer, rejects with {@link KubeApiError}. */
  async request<T>(method: string, path: string, options: KubeRequest = {}): Promise<T> {
    const url = new URL(this.server.replace(/\/$/, '') + path);
    for (const [key, value] of Object.entries(options.query ?? {}))
      if (value !== undefined) url.searchParams.set(key, String(value));
    const body = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
    const requestOptions: https.RequestOptions = {
      method,
      headers: {
        Accept: 'application/json',
        ...(body === undefined
          ? {}
          : { 'Content-Type': options.contentType ?? 'application/json', 'Content-Length': body.length }),
      },
    };
    await this.config.applyToHTTPSOptions(requestOptions);
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const where = `${method} ${url.pathname}`;
    return new Promise<T>((resolve, reject) => {
      const send = url.protocol === 'http:' ? http.request : https.request;
      const req = send(url, requestOptions, res => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', err => reject(new KubeApiError(`${where}: ${err.message}`, 0, '', { cause: err })));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = text === '' ? undefined : JSON.parse(text);
          } catch {
            parsed = undefined;
          }
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) {
            resolve(parsed as T);
            return;
          }
          const answer = (parsed ?? {}) as KubeStatus;
          const message = answer.message ?? (text.slice(0, 200) || http.STATUS_CODES[status] || 'error');
          reject(new KubeApiError(`${where}: ${status} ${message}`, status, answer.reason ?? ''));
        });
      });
      req.setTimeout(timeoutMs, () =>
        req.destroy(new Error(`no answer from the API server within ${timeoutMs} ms`)),
      );
      req.on('error', err => reject(new KubeApiError(`${where}: ${err.message}`, 0, '', { cause: err })));
      req.end(body);
    });
  }

  /**
   * Starts a watch of `path` from `resourceVersion`: `onEvent` gets each event, `onDone` is called
   * once when the stream ends (null when the server closed it, else why it failed). Resolves with the
   * handle that aborts it.
   */
  async watch(
    path: string,
    query: Readonly<Record<string, string | number | boolean | undefined>>,
    onEvent: (event: WatchEvent) => void,
    onDone: (err: unknown) => void,
  ): Promise<AbortController> {
    return this.watcher.watch(
      path,
      query,
      (type: string, object: unknown) => onEvent({ type, object } as WatchEvent),
      onDone,
    );
  }
}

/** `namespace/name`, or `name` for cluster-scoped objects. */
export function objectKey(object: KubeObject): string {
  const meta = object.metadata ?? {};
  return meta.namespace === undefined || meta.namespace === ''
    ? (meta.name ?? '')
    : `${meta.namespace}/${meta.name ?? ''}`;
}
