/**
 * The admission webhook's judgement: an object's own errors deny with the messages of `aeraki
 * validate`; its own warnings and what the rules between objects say against the served config are
 * warnings; what is not ours (another kind, DELETE) is allowed. And the certificate: stored once in
 * the Secret, reused while valid.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { admitObjects } from '../../../../src/control-plane/model/object-admission.js';
import { webhookCertificate } from '../../../../src/control-plane/server/webhook-certificate.js';
import { WebhookServer } from '../../../../src/control-plane/server/webhook-server.js';
import type { SourceDocument } from '../../../../src/control-plane/sources/config-source.js';
import { KubeClient } from '../../../../src/control-plane/sources/kubernetes/kube-client.js';
import { objectUri } from '../../../../src/control-plane/sources/kubernetes/kubernetes-source.js';
import { CertificateAuthority, certificateDnsNames } from '../../../../src/net/tls-certificates.js';
import { TestCluster } from '../../../kubernetes-stand-in/index.js';

const HOST = 'hello.shop.svc.cluster.local';

function doc(data: Record<string, unknown>): SourceDocument {
  const meta = data['metadata'] as { name: string; namespace?: string };
  return {
    file: objectUri(String(data['kind']), { metadata: meta }),
    documentIndex: 0,
    resourceVersion: 'x',
    locate: () => ({ line: 1, column: 1 }),
    data,
  };
}

const serviceEntry = {
  apiVersion: 'networking.istio.io/v1',
  kind: 'ServiceEntry',
  metadata: { name: 'hello', namespace: 'shop' },
  spec: {
    hosts: [HOST],
    addresses: ['127.0.0.9'],
    ports: [{ number: 9090, name: 'tcp-thrift-hello', protocol: 'TCP' }],
    resolution: 'STATIC',
    endpoints: [{ address: '127.0.0.1', ports: { 'tcp-thrift-hello': 19090 } }],
  },
};

function router(name: string, routes: unknown[]): Record<string, unknown> {
  return {
    apiVersion: 'metaprotocol.aeraki.io/v1alpha1',
    kind: 'MetaRouter',
    metadata: { name, namespace: 'shop' },
    spec: { hosts: [HOST], routes },
  };
}

describe('WebhookServer.review', () => {
  const served = admitObjects({ documents: [doc(serviceEntry)], issues: [], files: [] }).served;
  const certificate = CertificateAuthority.create('test').issue({ dnsNames: ['localhost'] });
  const webhook = new WebhookServer(
    {
      logger: pino({ enabled: false }),
      kinds: new Set(['MetaRouter', 'ApplicationProtocol']),
      current: () => served,
      uriOf: (kind, namespace, name) =>
        objectUri(kind, { metadata: { ...(namespace === undefined ? {} : { namespace }), name } }),
    },
    certificate,
  );
  const review = (object: Record<string, unknown>, operation = 'CREATE') =>
    webhook.review({ uid: 'u1', kind: { kind: String(object['kind']) }, operation, object: object as never });

  test('errors deny, each as message (Kind ns/name, field, rule)', () => {
    const answer = review(
      router('bad', [
        {
          name: 'split',
          route: [
            { destination: { host: HOST }, weight: 60 },
            { destination: { host: HOST }, weight: 30 },
          ],
        },
      ]),
    );
    assert.equal(answer.uid, 'u1');
    assert.equal(answer.allowed, false);
    assert.equal(answer.status?.code, 400);
    assert.match(
      answer.status?.message ?? '',
      /^.+ \(MetaRouter shop\/bad, field spec\.routes\[0\]\.route, rule weights-sum-100\)$/,
    );
  });

  test('rules between objects, checked against the served config, come back as warnings', () => {
    const answer = review(
      router('subset', [{ name: 'v9', route: [{ destination: { host: HOST, subset: 'v9' } }] }]),
    );
    assert.equal(answer.allowed, true);
    assert.equal(answer.warnings?.length, 1, JSON.stringify(answer));
    assert.match(
      answer.warnings?.[0] ?? '',
      /subset 'v9'.*\(MetaRouter shop\/subset, field spec\.routes\[0\]\.route\[0\]\.destination\.subset, rule [a-z-]+\)$/,
    );
  });

  test('other kinds, DELETE and valid objects are allowed without warnings', () => {
    assert.deepEqual(review({ ...serviceEntry, spec: {} }), { uid: 'u1', allowed: true });
    assert.deepEqual(review(router('x', []), 'DELETE'), { uid: 'u1', allowed: true });
    assert.deepEqual(review(router('ok', [{ name: 'all', route: [{ destination: { host: HOST } }] }])), {
      uid: 'u1',
      allowed: true,
    });
  });
});

describe('webhookCertificate', () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await TestCluster.start({ aerakiCrds: false });
    cluster.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'aeraki-system' } });
  });
  after(async () => {
    await cluster.stop();
  });

  test('made once for the service names, stored in the Secret, then reused by every replica', async () => {
    const options = {
      client: KubeClient.load({ kubeconfig: cluster.kubeconfigPath }),
      logger: pino({ enabled: false }),
      secret: { namespace: 'aeraki-system', name: 'aeraki-webhook-tls' },
      dnsNames: ['aeraki.aeraki-system.svc', 'aeraki.aeraki-system'],
    };
    const [a, b] = await Promise.all([webhookCertificate(options), webhookCertificate(options)]);
    const c = await webhookCertificate(options);
    assert.equal(a.certPem, b.certPem, 'two replicas racing end up with one certificate');
    assert.equal(c.certPem, a.certPem);
    assert.deepEqual(certificateDnsNames(a.certPem).slice(0, 2), options.dnsNames);
    const other = await webhookCertificate({ ...options, dnsNames: ['other.aeraki-system.svc'] });
    assert.notEqual(other.certPem, a.certPem, 'a certificate for other names is replaced');
  });
});
