import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AerakiError } from '../../../../src/errors.js';
import type { AccessLogEntry } from '../../../../src/proxy/telemetry/access-log-entry.js';
import { compileAccessLogFormat } from '../../../../src/proxy/telemetry/access-log-format.js';

const entry: AccessLogEntry = {
  start_time: '2026-01-01T00:00:00.000Z',
  duration: 12,
  listener: '127.0.0.1_9090',
  protocol: 'thrift',
  operation: 'sayHello',
  request_id: 3,
  route_name: 'r1',
  upstream_cluster: 'outbound|9090|v1|svc',
  upstream_host: '127.0.0.1:9191',
  response_code: 1,
  response_flags: 'RL',
  response_code_details: 'over-limit: limited',
  bytes_received: 40,
  bytes_sent: 60,
  downstream_remote_address: '127.0.0.1:5000',
  downstream_local_address: '127.0.0.1:9090',
  request: { method: 'sayHello', 'x-user': 'ann' },
};

test('commands are replaced, literals kept, %% is a percent sign, missing values are -', () => {
  const format = compileAccessLogFormat(
    '[%START_TIME%] %PROTOCOL% %REQ(Method)% %RESP(x)% %RESPONSE_CODE% %RESPONSE_FLAGS% %DURATION%ms 100%% %ROUTE_NAME%',
  );
  assert.equal(format(entry), '[2026-01-01T00:00:00.000Z] thrift sayHello - 1 RL 12ms 100% r1');
});

test('every documented command is known', () => {
  const format = compileAccessLogFormat(
    '%REQUEST_ID% %OPERATION% %UPSTREAM_CLUSTER% %UPSTREAM_HOST% %RESPONSE_CODE_DETAILS% %BYTES_RECEIVED% %BYTES_SENT% %DOWNSTREAM_REMOTE_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS% %REQUEST_PROPERTY(x-user)% %RESPONSE_PROPERTY(y)%',
  );
  assert.equal(
    format(entry),
    '3 sayHello outbound|9090|v1|svc 127.0.0.1:9191 over-limit: limited 40 60 127.0.0.1:5000 127.0.0.1:9090 ann -',
  );
});

test('an unknown command or a keyed command without a key is a config error that names it', () => {
  assert.throws(
    () => compileAccessLogFormat('%NOPE%'),
    (err: unknown) =>
      err instanceof AerakiError && err.code === 'AERAKI_ERR_CONFIG_INVALID' && /%NOPE%/.test(err.message),
  );
  assert.throws(() => compileAccessLogFormat('%REQ()%'), /needs a key/);
});
