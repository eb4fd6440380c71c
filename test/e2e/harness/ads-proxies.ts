/**
 * Proxies as the control plane sees them, without a data plane: real ADS clients (the one `aeraki
 * proxy` runs) in this process, each keeping the last snapshot it was sent, for the tests of what a
 * proxy is served (scoping, authentication). Also the polling wait those tests share.
 */
import { pino } from 'pino';
import { AdsClient, type XdsApi, type XdsConnection } from '../../../src/xds/ads-client.js';
import type { ProxySnapshot } from '../../../src/xds/resources.js';

export interface AdsProxy {
  readonly client: AdsClient;
  /** The last snapshot received; undefined until one arrives. */
  readonly snapshot: ProxySnapshot | undefined;
}

export interface AdsProxyOptions {
  /** `host:port` of the control plane. */
  readonly target: string;
  readonly node: { readonly id: string; readonly metadata?: Record<string, unknown> };
  readonly api?: XdsApi;
  /** TLS and credentials (`xdsConnection` of `aeraki proxy`'s flags); default plaintext. */
  readonly connection?: XdsConnection;
}

const silent = pino({ level: 'silent' });

/** Starts an ADS client that keeps what it is sent; stop it with `proxy.client.stop()`. */
export function startAdsProxy(options: AdsProxyOptions): AdsProxy {
  const proxy: { client?: AdsClient; snapshot: ProxySnapshot | undefined } = { snapshot: undefined };
  proxy.client = new AdsClient({
    target: options.target,
    api: options.api ?? 'delta',
    node: options.node,
    logger: silent,
    backoff: { initialMs: 50, maxMs: 200 },
    ...(options.connection === undefined ? {} : { connection: options.connection }),
    onSnapshot: snapshot => {
      proxy.snapshot = snapshot;
      return Promise.resolve();
    },
  });
  proxy.client.start();
  return proxy as AdsProxy;
}

/** The names of a proxy's listeners, sorted. */
export function listenerNames(proxy: AdsProxy): string[] {
  return (proxy.snapshot?.listeners ?? []).map(l => l.name).sort();
}

/** Polls `check` every 20 ms until it holds; fails naming `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise(resolve => setTimeout(resolve, 20));
  }
}
