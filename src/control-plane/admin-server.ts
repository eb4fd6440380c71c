import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { encodeSnapshot } from '../xds/snapshot-codec.js';
import { resourceToJson } from '../xds/resource-json.js';
import type { ControlPlane } from './control-plane.js';

/**
 * The control plane's admin HTTP API (127.0.0.1 by default):
 * - `GET /ready`: 200 once a config is served;
 * - `GET /status`: every connected proxy and, per resource type, the version sent, the version
 *   ACKed, and the last NACK with its error;
 * - `GET /snapshot`: the translated config (the proxy resource model);
 * - `GET /resources`: the same as Envoy v3 resources in JSON, as proxies receive them.
 */
export class ControlPlaneAdminServer {
  private readonly server: Server;

  constructor(private readonly controlPlane: ControlPlane) {
    this.server = createServer((req, res) => this.handle(req, res));
  }

  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host, port }, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise(resolve => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    const snapshot = this.controlPlane.snapshot;
    switch (path) {
      case '/ready':
        res.writeHead(snapshot === undefined ? 503 : 200, { 'content-type': 'text/plain' });
        res.end(snapshot === undefined ? 'not ready\n' : 'ready\n');
        return;
      case '/status':
        return json(res, this.controlPlane.server.status());
      case '/snapshot':
        return json(res, snapshot ?? null);
      case '/resources':
        return json(res, snapshot === undefined ? [] : encodeSnapshot(snapshot).map(resourceToJson));
      default:
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not found; try /ready /status /snapshot /resources\n');
    }
  }
}

function json(res: ServerResponse, body: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body, null, 2) + '\n');
}
