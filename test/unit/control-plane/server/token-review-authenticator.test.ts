/**
 * The TokenReview authenticator against the API server stand-in (its TokenReview follows the real
 * API's audience semantics): what it asks, the identity it finds, what it refuses, and how long it
 * reuses an answer.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Metadata } from '@grpc/grpc-js';
import { TokenReviewAuthenticator } from '../../../../src/control-plane/server/token-review-authenticator.js';
import { KubeClient } from '../../../../src/control-plane/sources/kubernetes/kube-client.js';
import { TestCluster } from '../../../kubernetes-stand-in/index.js';

let cluster: TestCluster;
let client: KubeClient;

before(async () => {
  cluster = await TestCluster.start({ aerakiCrds: false });
  client = KubeClient.load({ kubeconfig: cluster.kubeconfigPath });
});

after(async () => {
  await cluster?.stop();
});

function presenting(authorization?: string): { metadata: Metadata; peer: string } {
  const metadata = new Metadata();
  if (authorization !== undefined) metadata.set('authorization', authorization);
  return { metadata, peer: '127.0.0.1:1' };
}

const reviews = (): number =>
  cluster.api.requests.filter(r => r.path === '/apis/authentication.k8s.io/v1/tokenreviews').length;

test("a service account's token for istio-ca is its identity, under the trust domain", async () => {
  const token = cluster.api.issueToken(
    { username: 'system:serviceaccount:shop:cart', uid: 'u', groups: [] },
    ['istio-ca'],
  );
  const authenticator = new TokenReviewAuthenticator(client, { trustDomain: 'example.org' });
  assert.deepEqual(await authenticator.authenticate(presenting(`Bearer ${token}`)), {
    kind: 'identity',
    identity: {
      namespace: 'shop',
      serviceAccount: 'cart',
      trustDomain: 'example.org',
      principal: 'spiffe://example.org/ns/shop/sa/cart',
      method: 'token',
    },
  });
});

test('no authorization metadata is absent; a malformed one is refused', async () => {
  const authenticator = new TokenReviewAuthenticator(client, { trustDomain: 'cluster.local' });
  assert.deepEqual(await authenticator.authenticate(presenting()), { kind: 'absent' });
  const before = reviews();
  const outcome = await authenticator.authenticate(presenting('Basic dXNlcjpwdw=='));
  assert.equal(outcome.kind, 'refused');
  assert.equal(reviews(), before, 'nothing asked of the API server');
});

test('the audience is configurable: a token for istio-ca is refused where another is expected', async () => {
  const token = cluster.api.issueToken(
    { username: 'system:serviceaccount:shop:cart', uid: 'u', groups: [] },
    ['istio-ca'],
  );
  const authenticator = new TokenReviewAuthenticator(client, {
    trustDomain: 'cluster.local',
    audiences: ['aeraki'],
  });
  const outcome = await authenticator.authenticate(presenting(`Bearer ${token}`));
  assert.equal(outcome.kind, 'refused');
  assert.match(
    outcome.kind === 'refused' ? outcome.reason : '',
    /did not authenticate it for audience aeraki/,
  );
});

test('a valid answer is reused until it ages out; a refusal never is', async () => {
  let now = 1_000_000;
  const authenticator = new TokenReviewAuthenticator(client, {
    trustDomain: 'cluster.local',
    cacheMs: 60_000,
    now: () => now,
  });
  const token = cluster.api.issueToken(
    { username: 'system:serviceaccount:pay:ledger', uid: 'l', groups: [] },
    ['istio-ca'],
  );
  const first = reviews();
  assert.equal((await authenticator.authenticate(presenting(`Bearer ${token}`))).kind, 'identity');
  assert.equal((await authenticator.authenticate(presenting(`Bearer ${token}`))).kind, 'identity');
  assert.equal(reviews(), first + 1, 'one review for two streams');
  cluster.api.revokeToken(token);
  now += 60_001;
  assert.equal((await authenticator.authenticate(presenting(`Bearer ${token}`))).kind, 'refused');
  assert.equal((await authenticator.authenticate(presenting(`Bearer ${token}`))).kind, 'refused');
  assert.equal(reviews(), first + 3, 'refusals are asked again');
});
