import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { admitRead, closeHttp, listenHttp, sendJson, sendText } from '../net/http-admin.js';
import { encodeSnapshot } from '../xds/snapshot-codec.js';
import { resourceToJson } from '../xds/resource-json.js';
import { redactSecrets } from '../xds/redact-secrets.js';
import type { ControlPlane } from './control-plane.js';

/**
 * The control plane's admin HTTP API (127.0.0.1 by default):
 * - `GET /ready`: 200 once a config is served;
 * - `GET /status`: every connected proxy and, per resource type, the version sent, the version
 *   ACKed, and the last NACK with its error;
 * - `GET /config`: the config served: its version, when it was read, from which files, the outcome
 *   of the last load (a rejected edit shows here), and how the directory is watched;
 * - `GET /snapshot`: the translated config (the proxy resource model);
 * - `GET /resources`: the same as Envoy v3 resources in JSON, as proxies receive them;
 * - `GET /visibility?service=HOST&node=ID` (or `&namespace=NS&labels=k=v,…` for a proxy not
 *   connected): whether that proxy sees the service, and why (exportTo, Sidecar, MetaRouter and
 *   DestinationRule chosen);
 * - `GET /stats/prometheus` (also `/metrics`): pushes, ACK/NACK latency, connected proxies, reloads.
 *
 * Every path answers GET and HEAD only (405 otherwise): the API changes nothing.
 */
export class ControlPlaneAdminServer {
  private readonly server: Server;

  constructor(private readonly controlPlane: ControlPlane) {
    this.server = createServer((req, res) => this.handle(req, res));
  }

  listen(host: string, port: number): Promise<number> {
    return listenHttp(this.server, host, port);
  }

  close(): Promise<void> {
    return closeHttp(this.server);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://admin');
    const path = url.pathname;
    if (!admitRead(req, res)) return;
    // The snapshot is read only where shown: after an edit, making it may cost a translation.
    switch (path) {
      case '/ready': {
        const ready = this.controlPlane.ready;
        return sendText(res, ready ? 200 : 503, ready ? 'ready\n' : 'not ready\n');
      }
      case '/status':
        return sendJson(res, this.controlPlane.server.status());
      case '/config':
        return sendJson(res, this.controlPlane.configStatus());
      case '/visibility':
        return this.visibility(url.searchParams, res);
      case '/snapshot':
        return sendJson(res, redactSecrets(this.controlPlane.snapshot ?? null));
      case '/resources': {
        const served = this.controlPlane.snapshot;
        return sendJson(
          res,
          served === undefined ? [] : redactSecrets(encodeSnapshot(served).map(resourceToJson)),
        );
      }
      case '/metrics':
      case '/stats/prometheus': {
        const registry = this.controlPlane.metrics.registry;
        registry.metrics().then(
          text => {
            res.writeHead(200, { 'content-type': registry.contentType });
            res.end(text);
          },
          (err: unknown) => sendText(res, 500, `metrics failed: ${String(err)}\n`),
        );
        return;
      }
      default:
        return sendText(
          res,
          404,
          'not found; try /ready /status /config /snapshot /resources /visibility /stats/prometheus\n',
        );
    }
  }

  private visibility(query: URLSearchParams, res: ServerResponse): void {
    const service = query.get('service');
    const node = query.get('node');
    const namespace = query.get('namespace');
    if (service === null || (node === null) === (namespace === null)) {
      return sendJson(
        res,
        { error: 'give service=HOST and one of node=ID or namespace=NS (labels=k=v,…)' },
        400,
      );
    }
    const labels: Record<string, string> = {};
    for (const pair of (query.get('labels') ?? '').split(',')) {
      const eq = pair.indexOf('=');
      if (eq > 0) labels[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
    const explanation = this.controlPlane.explainVisibility(
      service,
      node !== null ? { nodeId: node } : { namespace: namespace!, labels },
    );
    if (explanation === undefined) {
      const error = node !== null ? `no proxy with node id ${node} is connected` : 'no config is served yet';
      return sendJson(res, { error }, 404);
    }
    return sendJson(res, explanation);
  }
}
