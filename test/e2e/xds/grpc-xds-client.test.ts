/**
 * gRPC's own xDS client (`@grpc/grpc-js-xds`, a real client nobody here wrote) against our ADS server:
 * it fetches and ACKs Listener → RouteConfiguration → Cluster → ClusterLoadAssignment from a snapshot
 * that also holds MetaProtocol resources, makes real RPCs to grpc-js backends, then NACKs an invalid
 * Listener; the server records the NACK with gRPC's error_detail and does not resend in a loop. With
 * two targets, an EDS response that carries only the changed endpoints (as our server sends once a
 * set is ACKed) updates that target and leaves the other working.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as grpcXds from '@grpc/grpc-js-xds';
import { versionOf } from '../../../src/control-plane/cache/index.js';
import { AdsServer, type AckEvent, type NackEvent } from '../../../src/control-plane/server/index.js';
import { encodeSnapshot, TypeUrls, type ProxySnapshot, type XdsResource } from '../../../src/xds/index.js';
import {
  grpcCluster,
  grpcEndpoints,
  grpcListener,
  grpcRouteConfiguration,
  invalidGrpcListener,
} from './grpc-xds-resources.js';

const ECHO_PATH = '/aeraki.test.Echo/Echo';
const identity = (b: Buffer): Buffer => b;

/** A MetaProtocol snapshot served alongside; gRPC never asks for it. */
const META: ProxySnapshot = {
  version: 'm1',
  listeners: [
    {
      name: '127.0.0.10_9090',
      address: '127.0.0.10',
      port: 9090,
      protocol: 'thrift',
      codec: 'aeraki.meta_protocol.codec.thrift',
      routeConfigName: 'svc.ns_9090',
      statPrefix: 'outbound|9090||svc.ns',
      idleTimeoutMs: 0,
      requestTimeoutMs: 15000,
      multiplexing: true,
    },
  ],
  clusters: [
    {
      name: 'outbound|9090||svc.ns',
      lbPolicy: 'ROUND_ROBIN',
      connectTimeoutMs: 10000,
      idleTimeoutMs: 3600000,
      maxConnectionsPerEndpoint: 0,
      multiplexedConnections: 1,
      heartbeatIntervalMs: 0,
    },
  ],
  endpoints: [
    {
      clusterName: 'outbound|9090||svc.ns',
      endpoints: [{ address: '127.0.0.1', port: 1, labels: {}, weight: 1 }],
    },
  ],
  routes: [
    {
      name: 'svc.ns_9090',
      routes: [
        {
          name: 'default',
          match: [],
          action: { cluster: 'outbound|9090||svc.ns' },
          hashPolicy: [],
          mirrors: [],
          requestMutation: [],
          responseMutation: [],
        },
      ],
    },
  ],
};

async function startBackend(name: string): Promise<{ server: grpc.Server; port: number }> {
  const server = new grpc.Server();
  server.addService(
    {
      Echo: {
        path: ECHO_PATH,
        requestStream: false,
        responseStream: false,
        requestSerialize: identity,
        requestDeserialize: identity,
        responseSerialize: identity,
        responseDeserialize: identity,
      },
    },
    {
      Echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        callback(null, Buffer.from(`${name}:${call.request.toString()}`));
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
      err === null ? resolve(p) : reject(err),
    ),
  );
  return { server, port };
}

function echo(client: grpc.Client, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      ECHO_PATH,
      identity,
      identity,
      Buffer.from(text),
      { deadline: Date.now() + 5000 },
      (err, response) =>
        err !== null || response === undefined ? reject(err) : resolve(response.toString()),
    );
  });
}

function grpcSet(backendPorts: readonly number[]): XdsResource[] {
  return [
    grpcListener('echo.local', 'echo-route'),
    grpcRouteConfiguration('echo-route', 'echo.local', 'echo-cluster'),
    grpcCluster('echo-cluster'),
    grpcEndpoints('echo-cluster', backendPorts),
  ];
}

describe('grpc-js-xds client against our ADS server', () => {
  const ads = new AdsServer({
    debounce: { quietPeriodMs: 20, maxDelayMs: 200 },
    controlPlaneId: 'aeraki-test',
  });
  const acks: AckEvent[] = [];
  const backends: { server: grpc.Server; port: number }[] = [];
  let client: grpc.Client;
  let ports: number[] = [];

  before(async () => {
    backends.push(await startBackend('a'), await startBackend('b'));
    ports = backends.map(b => b.port);
    ads.on('ack', ack => acks.push(ack));
    const xdsPort = await ads.start('127.0.0.1', 0);
    ads.setSnapshot('*', [...encodeSnapshot(META), ...grpcSet(ports)]);
    process.env['GRPC_XDS_BOOTSTRAP_CONFIG'] = JSON.stringify({
      xds_servers: [
        {
          server_uri: `127.0.0.1:${xdsPort}`,
          channel_creds: [{ type: 'insecure' }],
          server_features: ['xds_v3'],
        },
      ],
      node: { id: 'grpc-client~127.0.0.1~echo.default~default.svc.cluster.local', locality: {} },
    });
    grpcXds.register();
    client = new grpc.Client('xds:///echo.local', grpc.credentials.createInsecure());
  });

  after(async () => {
    client.close();
    await ads.stop();
    for (const b of backends) b.server.forceShutdown();
  });

  test('fetches and ACKs LDS, RDS, CDS, EDS, then RPCs reach both backends', async () => {
    const replies: string[] = [];
    for (let i = 0; i < 10; i++) replies.push(await echo(client, `m${i}`));
    assert.ok(
      replies.some(r => r.startsWith('a:')) && replies.some(r => r.startsWith('b:')),
      replies.join(' '),
    );
    assert.ok(replies.every((r, i) => r.endsWith(`:m${i}`)));

    const acked = new Set(acks.map(a => a.typeUrl));
    for (const typeUrl of Object.values(TypeUrls)) assert.ok(acked.has(typeUrl), `no ACK for ${typeUrl}`);
    const firstAck = (t: string): number => acks.findIndex(a => a.typeUrl === t);
    assert.ok(firstAck(TypeUrls.listener) < firstAck(TypeUrls.routeConfiguration));
    assert.ok(firstAck(TypeUrls.routeConfiguration) < firstAck(TypeUrls.cluster));
    assert.ok(firstAck(TypeUrls.cluster) < firstAck(TypeUrls.clusterLoadAssignment));

    const node = ads.status().nodes.find(n => n.nodeId.startsWith('grpc-client~'));
    assert.ok(node !== undefined);
    assert.equal(node.streams, 1);
    for (const t of node.types) {
      assert.equal(t.state, 'acked', t.typeUrl);
      assert.equal(t.ackedVersion, t.sentVersion);
      assert.equal(t.nackCount, 0);
    }
    // Named subscriptions: gRPC asked for its own resources only, never the MetaProtocol ones.
    const listeners = node.types.find(t => t.typeUrl === TypeUrls.listener);
    assert.deepEqual(listeners?.subscribed, ['echo.local']);
  });

  test('an invalid Listener is NACKed with its error_detail, recorded, not resent, and the old config keeps working', async () => {
    const nacked = once(ads, 'nack', { signal: AbortSignal.timeout(5000) }) as Promise<[NackEvent]>;
    const snapshot = ads.setSnapshot('*', [
      ...encodeSnapshot(META),
      ...grpcSet(ports).filter(r => r.typeUrl !== TypeUrls.listener),
      invalidGrpcListener('echo.local'),
    ]);
    const [nack] = await nacked;
    // gRPC subscribes to its listener by name: the version is that of the one resource it is sent.
    const badListener = snapshot.types.get(TypeUrls.listener)?.entries.get('echo.local');
    assert.ok(badListener !== undefined);
    const badVersion = versionOf([badListener]);
    assert.equal(nack.typeUrl, TypeUrls.listener);
    assert.equal(nack.version, badVersion);
    assert.match(nack.errorDetail.message, /api_listener/);

    const sentBefore = listenerStatus().responsesSent;
    await new Promise(resolve => setTimeout(resolve, 500));
    const status = listenerStatus();
    assert.equal(status.responsesSent, sentBefore, 'the NACKed version must not be resent');
    assert.equal(status.state, 'nacked');
    assert.equal(status.nackCount, 1);
    assert.equal(status.lastNack?.version, badVersion);
    assert.match(status.lastNack?.errorDetail.message ?? '', /api_listener/);
    assert.notEqual(status.ackedVersion, badVersion);

    assert.match(await echo(client, 'after-nack'), /^[ab]:after-nack$/);

    // A new version is sent (and ACKed) once it exists.
    const acked = once(ads, 'ack', { signal: AbortSignal.timeout(5000) });
    ads.setSnapshot('*', [...encodeSnapshot(META), ...grpcSet(ports)]);
    await acked;
    await waitFor(() => listenerStatus().state === 'acked');
    assert.equal(listenerStatus().responsesSent, sentBefore + 1);
    assert.equal(listenerStatus().lastNack?.version, badVersion, 'the NACK stays on record');
  });

  test('an EDS response with only the changed endpoints updates one target and keeps the other', async () => {
    const second = (port: number): XdsResource[] => [
      grpcListener('echo2.local', 'echo2-route'),
      grpcRouteConfiguration('echo2-route', 'echo2.local', 'echo2-cluster'),
      grpcCluster('echo2-cluster'),
      grpcEndpoints('echo2-cluster', [port]),
    ];
    const [portA, portB] = ports as [number, number];
    ads.setSnapshot('*', [...encodeSnapshot(META), ...grpcSet(ports), ...second(portA)]);
    const client2 = new grpc.Client('xds:///echo2.local', grpc.credentials.createInsecure());
    try {
      assert.match(await echo(client2, 'x'), /^a:x$/);
      const edsStatus = () => {
        const node = ads.status().nodes.find(n => n.nodeId.startsWith('grpc-client~'));
        return node?.types.find(t => t.typeUrl === TypeUrls.clusterLoadAssignment);
      };
      await waitFor(() => edsStatus()?.state === 'acked' && edsStatus()?.subscribed.length === 2);
      const before = edsStatus()?.ackedVersion;

      // Only echo2-cluster's endpoints change: the response carries that one ClusterLoadAssignment.
      ads.setSnapshot('*', [...encodeSnapshot(META), ...grpcSet(ports), ...second(portB)]);
      await waitFor(() => edsStatus()?.state === 'acked' && edsStatus()?.ackedVersion !== before);
      let reply = '';
      for (let i = 0; i < 50 && !reply.startsWith('b:'); i++) reply = await echo(client2, `y${i}`);
      assert.match(reply, /^b:/);
      // The first target, whose endpoints were not resent, still reaches both backends.
      const replies: string[] = [];
      for (let i = 0; i < 10; i++) replies.push(await echo(client, `z${i}`));
      assert.ok(
        replies.some(r => r.startsWith('a:')) && replies.some(r => r.startsWith('b:')),
        replies.join(' '),
      );
    } finally {
      client2.close();
    }
  });

  function listenerStatus() {
    const node = ads.status().nodes.find(n => n.nodeId.startsWith('grpc-client~'));
    const status = node?.types.find(t => t.typeUrl === TypeUrls.listener);
    assert.ok(status !== undefined);
    return status;
  }
});

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise(resolve => setTimeout(resolve, 10));
  }
}
