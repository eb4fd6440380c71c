import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatExplanation } from '../../../src/cli/explain.js';
import { formatProxyStatus, formatStatus } from '../../../src/cli/status.js';
import { ErrorCodes } from '../../../src/errors.js';
import { formatRecord } from '../../../src/cli/tap.js';

test('status: one row per proxy and type, NACKs with their error', () => {
  const out = formatStatus(
    {
      nodes: [
        {
          nodeId: 'sidecar-1',
          streams: 1,
          types: [
            {
              typeUrl: 'type.googleapis.com/envoy.config.listener.v3.Listener',
              subscribed: '*',
              sentVersion: 'v2',
              ackedVersion: 'v1',
              responsesSent: 2,
              state: 'nacked',
              nackCount: 1,
              lastNack: {
                version: 'v2',
                nonce: '2',
                errorDetail: { code: 3, message: 'bad filter' },
                at: '2026-01-01T00:00:00.000Z',
              },
            },
          ],
        },
      ],
    },
    false,
  );
  const lines = out.split('\n');
  assert.match(
    lines[1]!,
    /^sidecar-1\s+1\s+LDS\s+v2\s+v1\s+NACKED\s+v2 at 2026-01-01T00:00:00.000Z: bad filter$/,
  );
  assert.equal(lines[2], '1 proxy(ies), 1 connected');
  assert.equal(formatStatus({ nodes: [] }, false), 'no proxy has connected to this control plane\n');
});

test('explain: the verdict first, then the routes passed over', () => {
  const out = formatExplanation(
    {
      routeTable: 'svc_9090',
      listeners: ['127.0.0.1_9090'],
      attributes: { method: 'whoami' },
      matched: {
        route: 'split',
        destinations: [
          { cluster: 'v1', weight: 20, percent: 20 },
          { cluster: 'v2', weight: 60, percent: 60 },
        ],
        unassignedPercent: 20,
        mirrors: [],
        requestMutation: [],
        responseMutation: [],
        hashPolicy: [],
      },
      skipped: [{ route: 'hello', reasons: ["attribute 'method' is 'whoami', not 'sayHello'"] }],
    },
    false,
  );
  assert.match(
    out,
    /^route table svc_9090 \(listeners 127\.0\.0\.1_9090\)\nrequest {5}method=whoami\nmatches {5}split\n/,
  );
  assert.match(out, /goes to {5}v1 \(20%\)\n {12}v2 \(60%\)\n {12}no route \(20%\)\n/);
  assert.match(out, /hello\s+attribute 'method' is 'whoami', not 'sayHello'/);
});

test('tap: one line per request with route, endpoint and outcome', () => {
  const line = formatRecord(
    {
      startTime: '2026-01-01T10:11:12.345Z',
      durationMs: 3,
      listener: '127.0.0.1_9090',
      protocol: 'thrift',
      requestId: 7,
      operation: '',
      request: { method: 'sayHello' },
      requestBytes: 40,
      route: 'r',
      cluster: 'c',
      upstreamHost: '127.0.0.1:1',
      outcome: 'local-reply',
      localReply: { kind: 'timeout', message: 'too slow' },
    },
    false,
  );
  assert.equal(
    line,
    '10:11:12.345  #7  127.0.0.1_9090  sayHello  r → c (127.0.0.1:1)  timeout: too slow  3 ms',
  );
});

test('status --proxy: the xDS connection, per-type updates and the rejected listeners with their reason', () => {
  const lds = 'type.googleapis.com/envoy.config.listener.v3.Listener';
  const out = formatProxyStatus(
    {
      target: '127.0.0.1:15010',
      state: 'backing-off',
      since: '2026-01-01T00:00:00.000Z',
      sinceMs: 1500,
      retryAt: '2026-01-01T00:00:01.800Z',
      connected: false,
      versions: { [lds]: 'v7' },
      lastNack: {
        typeUrl: lds,
        message: 'error adding/updating listener(s) acme: no codec',
        at: '2026-01-01',
      },
      reconnects: 4,
      consecutiveFailures: 4,
      lastError: { message: 'UNAVAILABLE: connect ECONNREFUSED', at: '2026-01-01T00:00:00.000Z' },
      updates: { [lds]: { attempt: 3, success: 2, rejected: 1 } },
      invalidResources: [],
      rejectedListeners: [
        {
          name: '127.0.0.1_9000',
          address: '127.0.0.1',
          port: 9000,
          code: ErrorCodes.CODEC_UNKNOWN,
          reason: "no codec named 'aeraki.meta_protocol.codec.acme'",
          since: '2026-01-01',
          serving: 'none',
        },
      ],
    },
    false,
  );
  assert.match(
    out,
    /^xDS 127\.0\.0\.1:15010: BACKING OFF until 2026-01-01T00:00:01\.800Z for 1\.5s .*4 reconnect\(s\)$/m,
  );
  assert.match(out, /^last error at .*: UNAVAILABLE: connect ECONNREFUSED$/m);
  assert.match(out, /^LDS\s+v7\s+3\/2\/1$/m);
  assert.match(
    out,
    /^last NACK \(LDS\) at 2026-01-01: error adding\/updating listener\(s\) acme: no codec$/m,
  );
  assert.match(
    out,
    /^127\.0\.0\.1_9000\s+127\.0\.0\.1:9000\s+nothing\s+AERAKI_ERR_CODEC_UNKNOWN\s+no codec named 'aeraki\.meta_protocol\.codec\.acme'$/m,
  );
  assert.match(out, /1 listener\(s\) rejected; the others run\n$/);
  assert.equal(formatProxyStatus(null, false), 'this proxy runs a static config (no xDS)\n');
});
