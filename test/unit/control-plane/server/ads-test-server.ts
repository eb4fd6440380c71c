/**
 * An ADS server for one suite of tests (no debounce, identifier `cp-test`), and the raw clients its
 * tests open, closed after each test. Call it inside `describe`: it adds the suite's hooks.
 */
import { after, afterEach, before } from 'node:test';
import { AdsServer } from '../../../../src/control-plane/server/index.js';

export interface AdsTestServer<Client> {
  /** The server (started before the first test). */
  readonly ads: AdsServer;
  /** Its port, for a client the test closes itself. */
  readonly port: number;
  /** Opens a client for `nodeId`; it is closed after the test. */
  connect(nodeId: string): Client;
}

export function adsTestServer<Client extends { close(): void }>(
  open: (port: number, nodeId: string) => Client,
): AdsTestServer<Client> {
  let server: AdsServer | undefined;
  let port = 0;
  const clients: Client[] = [];

  before(async () => {
    server = new AdsServer({ debounce: { quietPeriodMs: 0, maxDelayMs: 0 }, controlPlaneId: 'cp-test' });
    port = await server.start('127.0.0.1', 0);
  });

  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
  });

  after(async () => {
    await server?.stop();
  });

  return {
    get ads(): AdsServer {
      if (server === undefined) throw new Error('the ADS test server starts before the first test');
      return server;
    },
    get port(): number {
      return port;
    },
    connect(nodeId: string): Client {
      const client = open(port, nodeId);
      clients.push(client);
      return client;
    },
  };
}
