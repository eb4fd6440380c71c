/** `aeraki status`, its summary of the config served. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatConfigStatus } from '../../../src/cli/status.js';
import type { ConfigStatus } from '../../../src/control-plane/control-plane.js';

const served: ConfigStatus = {
  dir: '/etc/aeraki',
  version: '3f2a9c1b7d0e4a55',
  loadedAt: '2026-12-07T10:00:00.000Z',
  fileCount: 2,
  files: ['/etc/aeraki/router.yaml', '/etc/aeraki/thrift/service.yaml'],
  lastLoad: { at: '2026-12-07T10:00:00.000Z', result: 'accepted', errors: 0, warnings: 0, issues: [] },
  watch: { events: true, directories: 3, failures: [], rescanIntervalMs: 2000 },
};

test('version, when it was read, the files relative to the directory, and the watch', () => {
  assert.equal(
    formatConfigStatus(served, false),
    [
      'config 3f2a9c1b7d0e4a55 read at 2026-12-07T10:00:00.000Z from 2 files in /etc/aeraki',
      '  router.yaml',
      '  thrift/service.yaml',
      '3 directories watched, re-scanned every 2s',
      '',
    ].join('\n'),
  );
});

test('a long list is cut after 20 files; a rejected load and a failed watch are shown', () => {
  const files = Array.from({ length: 25 }, (_, i) => `/etc/aeraki/f${String(i).padStart(2, '0')}.yaml`);
  const text = formatConfigStatus(
    {
      ...served,
      fileCount: files.length,
      files,
      lastLoad: {
        at: '2026-12-07T10:05:00.000Z',
        result: 'rejected',
        errors: 2,
        warnings: 0,
        issues: [
          {
            severity: 'error',
            file: '/etc/aeraki/f00.yaml',
            line: 3,
            column: 1,
            documentIndex: -1,
            kind: '',
            name: '',
            field: '',
            rule: 'config-file-too-large',
            message: 'too large',
          },
        ],
      },
      watch: {
        events: true,
        directories: 1,
        failures: [
          {
            directory: '/etc/aeraki/sub',
            reason: 'ENOSPC: System limit for number of file watchers reached',
          },
        ],
        rescanIntervalMs: 0,
      },
    },
    false,
  );
  const lines = text.split('\n');
  assert.equal(lines.filter(l => /^ {2}f\d\d\.yaml$/.test(l)).length, 20);
  assert.ok(lines.includes('  … and 5 more (--json lists them all)'));
  assert.ok(lines.includes('1 directory watched, no periodic re-scan'));
  assert.ok(
    lines.includes(
      '  cannot watch /etc/aeraki/sub: ENOSPC: System limit for number of file watchers reached',
    ),
  );
  assert.ok(
    lines.includes(
      'last load at 2026-12-07T10:05:00.000Z rejected: 2 errors; the config above keeps serving',
    ),
  );
  assert.ok(lines.some(l => l.startsWith('  /etc/aeraki/f00.yaml:3:1: error: too large')));
  assert.ok(lines.includes('  … and 1 more error'));
});

test('not watched', () => {
  const { watch: _watch, ...unwatched } = served;
  assert.match(formatConfigStatus(unwatched, false), /not watched: edits take effect after a restart/);
});
