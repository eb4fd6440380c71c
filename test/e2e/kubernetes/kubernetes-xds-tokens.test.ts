/**
 * Service-account tokens on the TLS xDS port, end to end on the API server stand-in: `aeraki
 * control-plane --kubernetes` reads the scoping fixture (ServiceEntries, DestinationRules,
 * MetaRouters and Sidecars of four namespaces) from the API and serves its TLS port with the
 * certificate it keeps in a Secret (--tls-secret, as `aeraki install` runs it); proxies connect
 * with the credentials `aeraki proxy --xds-ca --xds-token-file` makes (the token file read on every
 * connection), and the control plane checks each token with a TokenReview for audience `istio-ca`.
 * Proves that a proxy is served what its token's namespace may see whatever node id it claims, and
 * that an unknown token, a token made for another audience and a token of a person are refused with
 * UNAUTHENTICATED and the reason.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { xdsConnection } from '../../../src/cli/proxy-identity-options.js';
import { TestCluster } from '../../kubernetes-stand-in/index.js';
import { listenerNames, startAdsProxy, waitFor, type AdsProxy } from '../harness/ads-proxies.js';
import { adminGet, freePort, repoRoot } from '../harness/index.js';
import { startKubeControlPlane, type KubeControlPlane } from './kube-mesh.js';

const FIXTURE = join(repoRoot(), 'test', 'fixtures', 'config', 'scoping');

interface NodeStatus {
  readonly nodeId: string;
  readonly namespace?: string;
  readonly claimedNamespace?: string;
  readonly identity?: string;
}

describe('service-account tokens on the TLS xDS port (Kubernetes)', () => {
  let cluster: TestCluster;
  let controlPlane: KubeControlPlane;
  let caFile: string;
  let tlsPort: number;
  const proxies: AdsProxy[] = [];

  before(async () => {
    cluster = await TestCluster.start();
    for (const file of readdirSync(FIXTURE)
      .filter(f => f.endsWith('.yaml'))
      .sort()) {
      for (const document of parseAllDocuments(readFileSync(join(FIXTURE, file), 'utf8'))) {
        cluster.create(document.toJS() as Record<string, unknown>);
      }
    }
    // The TLS port's certificate as `aeraki install` has it: kept in a Secret, made by the control
    // plane for its Service's names (and 127.0.0.1), its CA in the Secret's ca.crt.
    cluster.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'aeraki-system' } });
    tlsPort = await freePort('127.0.0.1');
    controlPlane = await startKubeControlPlane(cluster, [
      '--tls-secret',
      'aeraki-system/aeraki-tls',
      '--tls-listen',
      `127.0.0.1:${tlsPort}`,
    ]);
    const secret = cluster.api.get('', 'secrets', 'aeraki-system', 'aeraki-tls') as
      { data?: Record<string, string> } | undefined;
    caFile = join(cluster.dir, 'ca.crt');
    await writeFile(caFile, Buffer.from(secret?.data?.['ca.crt'] ?? '', 'base64'));
  });

  after(async () => {
    for (const proxy of proxies) proxy.client.stop();
    await controlPlane?.process.stop();
    await cluster?.stop();
  });

  /** A proxy connecting with `token` in a token file, as `aeraki proxy --xds-token-file` does. */
  async function connectWithToken(token: string, nodeId: string): Promise<AdsProxy> {
    const tokenFile = join(cluster.dir, `token-${proxies.length}`);
    await writeFile(tokenFile, `${token}\n`);
    const connection = xdsConnection({ 'xds-ca': caFile, 'xds-token-file': tokenFile });
    const proxy = startAdsProxy({
      target: `127.0.0.1:${tlsPort}`,
      node: { id: nodeId },
      connection: connection!,
    });
    proxies.push(proxy);
    return proxy;
  }

  const serviceAccount = (namespace: string, name: string) => ({
    username: `system:serviceaccount:${namespace}:${name}`,
    uid: `${namespace}-${name}`,
    groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
  });

  it("serves a proxy its token's namespace, whatever node id it claims", async () => {
    const token = cluster.api.issueToken(serviceAccount('ops', 'monitor'), ['istio-ca']);
    const proxy = await connectWithToken(token, 'sidecar~10.0.0.9~cart-7.shop~shop.svc.cluster.local');
    await waitFor('the ops scope', () => listenerNames(proxy).length === 2);
    assert.deepEqual(listenerNames(proxy), ['127.0.10.2_20880', '127.0.10.4_9092']);
    const status = await adminGet<{ nodes: NodeStatus[] }>(controlPlane.process, '/status');
    const node = status.nodes.find(n => n.nodeId.includes('cart-7'));
    assert.equal(node?.identity, 'spiffe://cluster.local/ns/ops/sa/monitor');
    assert.equal(node?.namespace, 'ops');
    assert.equal(node?.claimedNamespace, 'shop');
    const reviews = cluster.api.requests.filter(
      r => r.path === '/apis/authentication.k8s.io/v1/tokenreviews',
    );
    assert.ok(reviews.length >= 1 && reviews.every(r => r.status === 201), 'checked with a TokenReview');
  });

  it("serves a proxy of shop its namespace's private services", async () => {
    const token = cluster.api.issueToken(serviceAccount('shop', 'cart'), ['istio-ca']);
    const proxy = await connectWithToken(token, 'cart-1');
    await waitFor('the shop scope', () => listenerNames(proxy).length === 4);
    assert.ok(listenerNames(proxy).includes('127.0.10.1_9090'), "shop's private cart");
  });

  for (const [name, token, reason] of [
    ['an unknown token', () => 'not-a-token', /invalid bearer token/],
    [
      "a token for the API server's audience",
      () => cluster.api.issueToken(serviceAccount('shop', 'cart')),
      /token audiences .* is invalid for the target audiences \["istio-ca"\]/,
    ],
    [
      "a person's token",
      () => cluster.api.issueToken({ username: 'jane', uid: 'jane', groups: [] }, ['istio-ca']),
      /belongs to 'jane', not to a service account/,
    ],
  ] as const) {
    it(`refuses ${name} with UNAUTHENTICATED and says why`, async () => {
      const proxy = await connectWithToken(token(), `refused-${proxies.length}.shop`);
      await waitFor('a refusal', () => proxy.client.status().lastError !== undefined);
      const error = proxy.client.status().lastError!.message;
      assert.match(
        error,
        /^UNAUTHENTICATED: authentication failed: no client certificate; service-account token: /,
      );
      assert.match(error, reason);
      assert.equal(proxy.snapshot, undefined, 'nothing was served');
      proxy.client.stop();
    });
  }
});
