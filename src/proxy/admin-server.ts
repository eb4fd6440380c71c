import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { closeHttp, listenHttp, sendJson, sendText } from '../net/http-admin.js';
import type { Proxy } from './proxy.js';

/**
 * The proxy's admin HTTP API (127.0.0.1 only by default), for people and scripts:
 * - `GET /ready`: 200 once a config is applied, 503 before;
 * - `GET /config_dump`: the snapshot the proxy runs, with its version;
 * - `GET /clusters`: each cluster's endpoints (load, outlier ejection), limits and counters;
 * - `GET /listeners`: each listener's connections and counters;
 * - `GET /routes`: the route tables in force;
 * - `GET /xds`: the xDS subscription (versions per type, last NACK).
 */
export class AdminServer {
  private readonly server: Server;
  private xdsStatus: (() => unknown) | undefined;

  constructor(private readonly proxy: Proxy) {
    this.server = createServer((req, res) => this.handle(req, res));
  }

  /** Binds `host:port` (port 0 picks a free one) and resolves with the bound port. */
  listen(host: string, port: number): Promise<number> {
    return listenHttp(this.server, host, port);
  }

  /** Adds `/xds`: where the proxy's xDS subscription stands (versions, last NACK). */
  setXdsStatus(status: () => unknown): void {
    this.xdsStatus = status;
  }

  close(): Promise<void> {
    return closeHttp(this.server);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    const proxy = this.proxy;
    switch (path) {
      case '/ready':
        return sendText(
          res,
          proxy.current === undefined ? 503 : 200,
          proxy.current === undefined ? 'not ready\n' : 'ready\n',
        );
      case '/config_dump':
        return sendJson(res, proxy.current ?? null);
      case '/clusters':
        return sendJson(
          res,
          [...proxy.clusters.all()].map(c => ({
            name: c.name,
            lbPolicy: c.settings.lbPolicy,
            ...(c.settings.circuitBreakers === undefined
              ? {}
              : { circuitBreakers: c.settings.circuitBreakers }),
            ...(c.settings.outlierDetection === undefined
              ? {}
              : { outlierDetection: c.settings.outlierDetection, panic: c.panic }),
            hosts: c.hosts.map(h => ({
              address: h.key,
              labels: h.labels,
              healthy: h.healthy,
              activeRequests: h.activeRequests,
              ejected: h.ejectedUntil !== 0,
              ...(h.ejectedUntil === 0 ? {} : { ejectedUntil: new Date(h.ejectedUntil).toISOString() }),
              ejections: h.ejectionsTotal,
              consecutiveErrors: h.consecutiveErrors,
              consecutiveGatewayErrors: h.consecutiveGatewayErrors,
            })),
            stats: c.stats,
          })),
        );
      case '/listeners':
        return sendJson(
          res,
          [...proxy.listenerMap.values()].map(l => ({
            name: l.name,
            protocol: l.state.resource.protocol,
            routeConfigName: l.state.resource.routeConfigName,
            connections: l.connectionCount,
            stats: l.stats,
          })),
        );
      case '/routes':
        return sendJson(res, proxy.current?.routes ?? []);
      case '/xds':
        return sendJson(res, this.xdsStatus?.() ?? null);
      default:
        return sendText(res, 404, 'not found; try /ready /config_dump /clusters /listeners /routes /xds\n');
    }
  }
}
