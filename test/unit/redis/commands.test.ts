import assert from 'node:assert/strict';
import { test } from 'node:test';
import { knownCommandNames, lookupCommand, lookupCommandBytes } from '../../../src/redis/commands.js';

/** The name as bytes in the middle of other bytes, as it lies in a command read from a socket. */
function lookupInBuffer(name: string): ReturnType<typeof lookupCommandBytes> {
  const buf = Buffer.from(`*2\r\n$${name.length}\r\n${name}\r\n`, 'latin1');
  const start = buf.indexOf(name, 4, 'latin1');
  return lookupCommandBytes(buf, start, start + name.length);
}

function mixedCase(name: string): string {
  return [...name].map((c, i) => (i % 2 === 0 ? c.toUpperCase() : c)).join('');
}

test('a name given as bytes finds the spec its string finds, in any ASCII case', () => {
  const names = [...knownCommandNames(), 'config', 'subscribe'];
  for (const name of names) {
    const spec = lookupCommand(name);
    assert.ok(spec !== undefined, name);
    assert.equal(lookupInBuffer(name), spec, name);
    assert.equal(lookupInBuffer(name.toUpperCase()), spec, name.toUpperCase());
    assert.equal(lookupInBuffer(mixedCase(name)), spec, mixedCase(name));
  }
});

test('unknown names, prefixes and extensions of known ones, and non-ASCII bytes find nothing', () => {
  for (const name of ['', 'ge', 'gett', 'xget', 'get ', 'g\u00e9t', 'nosuchcommand', 'SE', 'SETT']) {
    assert.equal(lookupInBuffer(name), undefined, JSON.stringify(name));
  }
  // Bytes that lower-case to a known name only by a non-ASCII rule.
  const buf = Buffer.from([0x47, 0x45, 0xd4]);
  assert.equal(lookupCommandBytes(buf, 0, buf.length), undefined);
});
