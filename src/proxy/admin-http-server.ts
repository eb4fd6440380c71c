import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { closeHttp, listenHttp } from '../net/http-admin.js';
import type { UpdateCounters } from '../xds/ads-client.js';

/**
 * What a proxy's admin API is besides its paths, shared by the one of a proxy of one process
 * ({@link AdminServer}) and the one of a proxy with workers (`WorkersAdminServer`): the HTTP server,
 * and the xDS views its owner plugs in once the xDS client exists.
 */
export abstract class AdminHttpServer {
  private readonly server: Server;
  /** `/xds`: where the proxy's xDS subscription stands; absent without xDS (a static config). */
  protected xdsStatus: (() => unknown) | undefined;
  /** The xDS update counters per type URL, for the metrics; absent without xDS. */
  protected xdsUpdates: (() => Readonly<Record<string, UpdateCounters>>) | undefined;

  constructor() {
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

  /** Adds the xDS update counters (per type URL) to the metrics. */
  setXdsUpdateCounters(updates: () => Readonly<Record<string, UpdateCounters>>): void {
    this.xdsUpdates = updates;
  }

  close(): Promise<void> {
    return closeHttp(this.server);
  }

  /** Answers one request. */
  protected abstract handle(req: IncomingMessage, res: ServerResponse): void;
}
