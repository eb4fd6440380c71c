/**
 * The TLS xDS port end to end: a control plane serving the scoping fixture on its TLS port, and
 * proxies' real ADS clients connecting with client certificates made by openssl (CA, SPIFFE client
 * certificates, an expired one, another CA's). Proves that a proxy is scoped by its certificate's
 * namespace whatever node id it claims; that an expired, foreign or missing certificate is refused
 * with gRPC UNAUTHENTICATED and a reason the proxy reports; and that the server certificate is
 * replaced (a Secret volume's symlink swap) while a fleet of streams stays connected and keeps
 * receiving the config edits pushed during the rotation.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type PeerCertificate } from 'node:tls';
import { pino } from 'pino';
import { ControlPlane } from '../../src/control-plane/control-plane.js';
import { xdsConnection } from '../../src/cli/proxy-identity-options.js';
import { listenerNames, startAdsProxy, waitFor, type AdsProxy } from './harness/ads-proxies.js';
import { TestCa, type CertFiles } from './harness/certificates.js';
import { ConfigMapVolume, renameOver } from './harness/config-edits.js';
import { repoRoot } from './harness/repo-root.js';

const FIXTURE = join(repoRoot(), 'test', 'fixtures', 'config', 'scoping');
const logger = pino({ level: 'silent' });

type Proxy = AdsProxy;

describe('TLS xDS port', () => {
  let dir: string;
  let config: string;
  let ca: TestCa;
  let otherCa: TestCa;
  let volume: ConfigMapVolume;
  let controlPlane: ControlPlane;
  let port: number;
  const proxies: Proxy[] = [];

  const files = async (certs: CertFiles): Promise<Record<string, string>> => ({
    'tls.crt': await readFile(certs.cert, 'utf8'),
    'tls.key': await readFile(certs.key, 'utf8'),
    'ca.crt': await readFile(ca.cert, 'utf8'),
  });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aeraki-xds-tls-'));
    ca = await TestCa.create(join(dir, 'ca'));
    otherCa = await TestCa.create(join(dir, 'other-ca'), 'other-ca');
    await mkdir(join(dir, 'secret'));
    volume = await ConfigMapVolume.create(join(dir, 'secret'), await files(await ca.server('server-1')));
    config = join(dir, 'config');
    await cp(FIXTURE, config, { recursive: true });
    controlPlane = new ControlPlane({
      dir: config,
      logger,
      debounce: { quietPeriodMs: 20, maxDelayMs: 200 },
      source: { rescanIntervalMs: 0 },
    });
    const started = await controlPlane.start(null);
    assert.ok(started.snapshot !== undefined, 'the fixture is served');
    port = await controlPlane.listenTls({
      host: '127.0.0.1',
      port: 0,
      certFile: join(dir, 'secret', 'tls.crt'),
      keyFile: join(dir, 'secret', 'tls.key'),
      caFile: join(dir, 'secret', 'ca.crt'),
      pollIntervalMs: 200,
    });
  });

  after(async () => {
    for (const proxy of proxies) proxy.client.stop();
    await controlPlane?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  function connectProxy(
    certs: CertFiles | undefined,
    node: { id: string; metadata?: Record<string, unknown> },
  ): Proxy {
    const connection = xdsConnection({
      'xds-ca': ca.cert,
      ...(certs === undefined ? {} : { 'xds-cert': certs.cert, 'xds-key': certs.key }),
    });
    const proxy = startAdsProxy({ target: `127.0.0.1:${port}`, node, connection: connection! });
    proxies.push(proxy);
    return proxy;
  }

  it('serves a proxy what its certificate namespace may see, whatever node id it claims', async () => {
    const ops = await ca.client('ops-proxy', 'ops', 'monitor');
    // It claims to be a proxy of shop, by node id and metadata: it gets ops's config.
    const proxy = connectProxy(ops, {
      id: 'sidecar~10.0.0.9~cart-7.shop~shop.svc.cluster.local',
      metadata: { NAMESPACE: 'shop' },
    });
    await waitFor('the ops scope', () => listenerNames(proxy).length === 2);
    assert.deepEqual(listenerNames(proxy), ['127.0.10.2_20880', '127.0.10.4_9092']);
    assert.ok(
      !(proxy.snapshot?.clusters ?? []).some(c => c.name.includes('cart.shop')),
      'no cluster of shop',
    );
    const node = controlPlane.server.status().nodes.find(n => n.nodeId.includes('cart-7'));
    assert.equal(node?.identity, 'spiffe://cluster.local/ns/ops/sa/monitor');
    assert.equal(node?.namespace, 'ops');
    assert.equal(node?.claimedNamespace, 'shop');
    const why = controlPlane.explainVisibility('cart.shop.svc.cluster.local', { nodeId: node!.nodeId });
    assert.equal(why?.visible, false);
  });

  it('serves a proxy of shop its own namespace (private services included)', async () => {
    const shop = await ca.client('shop-proxy', 'shop', 'cart');
    const proxy = connectProxy(shop, { id: 'sidecar~10.0.0.8~cart-1.shop~shop.svc.cluster.local' });
    await waitFor('the shop scope', () => listenerNames(proxy).length === 4);
    assert.ok(listenerNames(proxy).includes('127.0.10.1_9090'));
  });

  for (const [name, make, reason] of [
    ['an expired certificate', () => ca.client('expired', 'shop', 'cart', { expired: true }), /expired/],
    ["another CA's certificate", () => otherCa.client('foreign', 'shop'), /not signed by the trusted CA/],
    [
      'another trust domain',
      () => ca.client('td', 'shop', 'cart', { trustDomain: 'evil.example' }),
      /trust domain evil\.example/,
    ],
    ['no client certificate', () => Promise.resolve(undefined), /no client certificate/],
  ] as const) {
    it(`refuses ${name} with UNAUTHENTICATED and says why`, async () => {
      const proxy = connectProxy(await make(), { id: `refused-${name}`, metadata: { NAMESPACE: 'shop' } });
      await waitFor('a refusal', () => proxy.client.status().lastError !== undefined);
      const error = proxy.client.status().lastError!.message;
      assert.match(error, /^UNAUTHENTICATED: authentication failed: /);
      assert.match(error, reason);
      assert.equal(proxy.snapshot, undefined, 'nothing was served');
      proxy.client.stop();
    });
  }

  it('serves a rotated certificate to new connections while every open stream stays and is pushed to', async () => {
    const fleet: Proxy[] = [];
    for (let i = 0; i < 24; i++) {
      const certs = await ca.client(`fleet-${i}`, i % 2 === 0 ? 'ops' : 'pay');
      fleet.push(connectProxy(certs, { id: `fleet-${i}` }));
    }
    await waitFor('the fleet synced', () => fleet.every(p => p.snapshot !== undefined));
    const served = (): Promise<PeerCertificate> =>
      new Promise((resolve, reject) => {
        const socket = connect(
          { host: '127.0.0.1', port, ca: [], rejectUnauthorized: false, ALPNProtocols: ['h2'] },
          () => {
            resolve(socket.getPeerCertificate());
            socket.destroy();
          },
        );
        socket.on('error', reject);
      });
    const fingerprint = async (file: string): Promise<string> => {
      const pem = await readFile(file, 'utf8');
      const der = Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
      return createHash('sha256').update(der).digest('hex');
    };
    // The root namespace's DestinationRule applies to ops's monitor, which every proxy of the fleet
    // sees: each round edits its connect timeout while the certificate is replaced, and the whole
    // fleet must get the edit.
    const opsFile = join(config, 'ops.yaml');
    const monitorTimeout = (proxy: Proxy): number | undefined =>
      proxy.snapshot?.clusters.find(c => c.name === 'outbound|9092||monitor.ops.svc.cluster.local')
        ?.connectTimeoutMs;
    for (let round = 2; round <= 4; round++) {
      const next = await ca.server(`server-${round}`);
      const text = await readFile(opsFile, 'utf8');
      await Promise.all([
        volume.update(await files(next)),
        renameOver(opsFile, text.replace(/connectTimeout: \d+s/, `connectTimeout: ${round}s`)),
      ]);
      const expected = await fingerprint(next.cert);
      const deadline = Date.now() + 10_000;
      for (;;) {
        const cert = await served();
        if (cert.fingerprint256.replace(/:/g, '').toLowerCase() === expected) break;
        if (Date.now() > deadline) throw new Error(`certificate ${round} was not served`);
        await new Promise(resolve => setTimeout(resolve, 50));
      }
      // New proxies connect and are served during the rotation.
      const late = connectProxy(await ca.client(`late-${round}`, 'ops'), { id: `late-${round}` });
      await waitFor(`late proxy ${round} synced`, () => late.snapshot !== undefined);
      await waitFor(`the fleet got edit ${round}`, () =>
        fleet.every(p => monitorTimeout(p) === round * 1000),
      );
    }
    for (const proxy of fleet) {
      const status = proxy.client.status();
      assert.equal(status.state, 'connected');
      assert.equal(status.reconnects, 0, 'no stream was dropped');
    }
  });
});
