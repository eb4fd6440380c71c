/**
 * The API server stand-in follows the Kubernetes API conventions the tests rely on: consistent pages
 * and expiring continue tokens, 410 Gone inside a watch stream, objects leaving a watch's selector as
 * DELETED, the status subresource and generation, optimistic concurrency, TokenReview, authentication.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  KubeApiError,
  KubeClient,
  type KubeList,
  type KubeObject,
  type WatchEvent,
} from '../../../src/control-plane/sources/kubernetes/kube-client.js';
import { TestCluster } from '../../kubernetes-stand-in/index.js';

let cluster: TestCluster;
let client: KubeClient;
const MR = '/apis/metaprotocol.aeraki.io/v1alpha1/namespaces/default/metarouters';

function router(name: string, labels: Record<string, string> = {}): Record<string, unknown> {
  return {
    apiVersion: 'metaprotocol.aeraki.io/v1alpha1',
    kind: 'MetaRouter',
    metadata: { name, namespace: 'default', labels },
    spec: {
      hosts: ['a.default.svc.cluster.local'],
      routes: [{ name: 'r', route: [{ destination: { host: 'a.default.svc.cluster.local' } }] }],
    },
  };
}

async function rejects(promise: Promise<unknown>, status: number, reason: string): Promise<KubeApiError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof KubeApiError, String(err));
    assert.equal(err.status, status, err.message);
    assert.equal(err.reason, reason, err.message);
    return err;
  }
  throw new Error(`expected ${status} ${reason}`);
}

before(async () => {
  cluster = await TestCluster.start();
  client = KubeClient.load({ kubeconfig: cluster.kubeconfigPath });
});
after(async () => {
  await cluster.stop();
});

test('pages are consistent at the first page’s revision; a token older than a compaction is 410 Expired', async () => {
  for (let i = 0; i < 4; i++) await client.request('POST', MR, { body: router(`page-${i}`) });
  const first = await client.request<KubeList>('GET', MR, { query: { limit: 2 } });
  assert.equal(first.items?.length, 2);
  await client.request('POST', MR, { body: router('page-9') }); // after the first page
  const second = await client.request<KubeList>('GET', MR, {
    query: { limit: 10, continue: first.metadata?.continue },
  });
  assert.deepEqual(
    second.items?.map(i => i.metadata?.name),
    ['page-2', 'page-3'],
  );
  assert.equal(second.metadata?.resourceVersion, first.metadata?.resourceVersion);
  const again = await client.request<KubeList>('GET', MR, { query: { limit: 2 } });
  await client.request('POST', MR, { body: router('page-10') });
  cluster.api.expireWatches(); // compacts past the token's revision
  await rejects(
    client.request('GET', MR, { query: { limit: 2, continue: again.metadata?.continue } }),
    410,
    'Expired',
  );
});

test('a watch from a compacted version gets 410 Gone as an ERROR event; a selector’s leaver arrives as DELETED', async () => {
  const list = await client.request<KubeList>('GET', MR);
  cluster.api.expireWatches();
  const events: WatchEvent[] = [];
  await new Promise<void>(resolve => {
    void client.watch(
      MR,
      { resourceVersion: '1' },
      e => events.push(e),
      () => resolve(),
    );
  });
  assert.equal(events.length, 1);
  assert.equal(events[0]!.type, 'ERROR');
  assert.equal(events[0]!.object.code, 410);
  assert.ok(Number(list.metadata?.resourceVersion) > 1);

  await client.request('POST', MR, { body: router('labelled', { team: 'a' }) });
  const seen: WatchEvent[] = [];
  const from = (await client.request<KubeList>('GET', MR)).metadata?.resourceVersion;
  const controller = await client.watch(
    MR,
    { resourceVersion: from, labelSelector: 'team=a' },
    e => seen.push(e),
    () => {},
  );
  await client.request('PATCH', `${MR}/labelled`, {
    body: { metadata: { labels: { team: 'b' } } },
    contentType: 'application/merge-patch+json',
  });
  const deadline = Date.now() + 2000;
  while (seen.length === 0 && Date.now() < deadline) await sleep(10);
  controller.abort();
  assert.deepEqual(
    seen.map(e => [e.type, e.object.metadata?.name]),
    [['DELETED', 'labelled']],
  );
});

test('status subresource: status only through /status, generation only for spec changes; stale updates conflict', async () => {
  const created = await client.request<KubeObject>('POST', MR, {
    body: { ...router('gen'), status: { proxies: 9 } },
  });
  assert.equal(created.metadata?.generation, 1);
  assert.equal(created['status'], undefined, 'status in a create is dropped');
  const statused = await client.request<KubeObject>('PATCH', `${MR}/gen/status`, {
    body: { status: { proxies: 1 } },
    contentType: 'application/merge-patch+json',
  });
  assert.deepEqual(statused['status'], { proxies: 1 });
  assert.equal(statused.metadata?.generation, 1);
  const relabelled = await client.request<KubeObject>('PATCH', `${MR}/gen`, {
    body: { metadata: { labels: { x: 'y' } }, status: { proxies: 5 } },
    contentType: 'application/merge-patch+json',
  });
  assert.equal(relabelled.metadata?.generation, 1, 'metadata changes keep the generation');
  assert.deepEqual(relabelled['status'], { proxies: 1 }, 'status through the main resource is ignored');
  const respec = await client.request<KubeObject>('PUT', `${MR}/gen`, {
    body: {
      ...router('gen'),
      metadata: { ...relabelled.metadata },
      spec: { ...(router('gen')['spec'] as object), gateways: ['g'] },
    },
  });
  assert.equal(respec.metadata?.generation, 2);
  await rejects(
    client.request('PUT', `${MR}/gen`, { body: { ...router('gen'), metadata: relabelled.metadata } }),
    409,
    'Conflict',
  );
  await rejects(client.request('POST', MR, { body: router('gen') }), 409, 'AlreadyExists');
  await rejects(client.request('GET', `${MR}/none`), 404, 'NotFound');
});

test('TokenReview checks audiences: a projected token is good for its audience only, not for the API', async () => {
  const token = cluster.api.issueToken(
    { username: 'system:serviceaccount:shop:cart', uid: 'c', groups: [] },
    ['istio-ca'],
  );
  const review = async (audiences?: string[]) =>
    (
      await client.request<{ status: { authenticated: boolean; audiences?: string[]; error?: string } }>(
        'POST',
        '/apis/authentication.k8s.io/v1/tokenreviews',
        { body: { kind: 'TokenReview', spec: { token, ...(audiences === undefined ? {} : { audiences }) } } },
      )
    ).status;
  const istio = await review(['istio-ca', 'other']);
  assert.equal(istio.authenticated, true);
  assert.deepEqual(istio.audiences, ['istio-ca'], "the intersection of the asked and the token's");
  const api = await review();
  assert.equal(api.authenticated, false, "without audiences: the API server's, which the token is not for");
  assert.match(api.error ?? '', /invalid for the target audiences/);
  assert.equal((await review(['vault'])).authenticated, false);
  const { request } = await import('node:https');
  const status = await new Promise<number>(resolve =>
    request(
      `${cluster.api.url}/api/v1/namespaces`,
      { ca: cluster.api.caPem, headers: { authorization: `Bearer ${token}` } },
      res => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    ).end(),
  );
  assert.equal(status, 401, 'a token for istio-ca does not authenticate to the API server');
});

test('TokenReview authenticates the tokens it issued; requests without a known token are 401', async () => {
  const token = cluster.api.issueToken({
    username: 'system:serviceaccount:shop:client',
    uid: 'u',
    groups: ['system:serviceaccounts'],
  });
  const review = async (t: string) =>
    (
      await client.request<{ status: { authenticated: boolean; user?: { username: string } } }>(
        'POST',
        '/apis/authentication.k8s.io/v1/tokenreviews',
        { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token: t } } },
      )
    ).status;
  assert.deepEqual(await review(token), {
    authenticated: true,
    user: { username: 'system:serviceaccount:shop:client', uid: 'u', groups: ['system:serviceaccounts'] },
    audiences: [],
  });
  assert.equal((await review('nope')).authenticated, false);
  const anonymous = await fetch(`${cluster.api.url}/api/v1/namespaces`).catch((err: unknown) => err);
  // A fetch without the stand-in's CA fails TLS; with it and no token the answer is 401.
  assert.ok(anonymous instanceof Error);
  const { request } = await import('node:https');
  const status = await new Promise<number>(resolve =>
    request(`${cluster.api.url}/api/v1/namespaces`, { ca: cluster.api.caPem }, res => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).end(),
  );
  assert.equal(status, 401);
});
