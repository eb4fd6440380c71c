/** Option parsers shared by the commands: usage errors name the option and the value given. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseHostPort, parseXdsApi } from '../../../src/cli/args.js';
import { AerakiError, ErrorCodes } from '../../../src/errors.js';

function usageError(pattern: RegExp): (err: unknown) => boolean {
  return err => err instanceof AerakiError && err.code === ErrorCodes.CLI_USAGE && pattern.test(err.message);
}

describe('command options', () => {
  test('--xds-api takes delta or sotw', () => {
    assert.equal(parseXdsApi('delta'), 'delta');
    assert.equal(parseXdsApi('sotw'), 'sotw');
    assert.throws(
      () => parseXdsApi('incremental'),
      usageError(/--xds-api must be delta or sotw, got 'incremental'/),
    );
  });

  test('HOST:PORT options', () => {
    assert.deepEqual(parseHostPort('127.0.0.1:15010', '--xds'), { host: '127.0.0.1', port: 15010 });
    assert.deepEqual(parseHostPort('[::1]:0', '--xds'), { host: '[::1]', port: 0 });
    assert.throws(() => parseHostPort('15010', '--xds'), usageError(/--xds must look like HOST:PORT/));
    assert.throws(() => parseHostPort('h:70000', '--admin'), usageError(/--admin .* got 'h:70000'/));
  });
});
