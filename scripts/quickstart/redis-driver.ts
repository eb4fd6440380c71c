/**
 * The Redis side of the quickstart: real redis-servers as the stores, ioredis clients with their
 * default options (RESP3) calling through the proxy. A call writes a key (`user:…`, `session:…` or
 * `cart:…`, in turn) through the proxy, then asks every store directly which one holds it: the
 * "version" that answered is the store the proxy routed the key to.
 */
import { Redis } from 'ioredis';
import { RedisServer } from '../../test/e2e/harness/redis-server.js';
import type { Backend, DemoClient, ProtocolDriver } from './protocol-driver.js';

const PREFIXES = ['user:', 'session:', 'cart:'];

/** Direct connections to the stores, by store name, to find where keys landed. */
const stores = new Map<string, Redis>();
let nextClient = 1;

class RedisDemoClient implements DemoClient {
  private closed = false;
  private readonly id = nextClient++;

  constructor(private readonly client: Redis) {
    client.on('end', () => (this.closed = true));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  async call(n: number): Promise<string> {
    const key = `${PREFIXES[n % PREFIXES.length]}${this.id}-${n}`;
    await this.client.set(key, String(n), 'EX', 60);
    const entries = [...stores];
    const found = await Promise.all(entries.map(([, direct]) => direct.exists(key)));
    return entries[found.indexOf(1)]?.[0] ?? 'nowhere';
  }

  async close(): Promise<void> {
    this.closed = true;
    this.client.disconnect();
  }
}

export const redisDriver: ProtocolDriver = {
  protocol: 'redis',
  title: 'Redis',
  backendKind: 'redis-server',
  clientKind: 'ioredis clients',
  callDescription: 'SET user:… / session:… / cart:…',
  callAttributes: new Map(),

  async startBackend(version: string, host: string, port: number): Promise<Backend> {
    const server = await RedisServer.start({ host, port });
    // No offline queue: once the store is gone (Ctrl-C reaches it too), a lookup fails at once
    // instead of waiting through ioredis's reconnects and holding up the quickstart's exit.
    const direct = new Redis({ host, port, lazyConnect: true, enableOfflineQueue: false });
    direct.on('error', () => {});
    await direct.connect();
    stores.set(version, direct);
    return {
      forgetRecordedCalls: () => {},
      close: async () => {
        stores.delete(version);
        direct.disconnect();
        await server.stop();
      },
    };
  },

  async connect(host: string, port: number): Promise<DemoClient> {
    const client = new Redis({
      host,
      port,
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
    });
    // Failures are counted by the call that meets them; the events would only repeat them.
    client.on('error', () => {});
    await client.connect();
    return new RedisDemoClient(client);
  },
};
