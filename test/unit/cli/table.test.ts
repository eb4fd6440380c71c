import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderTable, style } from '../../../src/cli/table.js';

test('columns are padded to their widest cell; the last column is not padded', () => {
  const out = renderTable(
    ['NAME', 'STATE'],
    [
      ['a', 'ok'],
      ['longer-name', 'nacked'],
    ],
    false,
  );
  assert.equal(out, 'NAME         STATE\na            ok\nlonger-name  nacked\n');
});

test('a cell with several lines makes its row that tall', () => {
  const out = renderTable(['ROUTE', 'DEST'], [['r1', 'v1 20%\nv2 80%']], false);
  assert.equal(out, 'ROUTE  DEST\nr1     v1 20%\n       v2 80%\n');
});

test('styling is only applied when colour is on', () => {
  assert.equal(style('x', 'bad', false), 'x');
  assert.equal(style('x', 'bad', true), '\u001b[31mx\u001b[0m');
  assert.equal(renderTable(['H'], [], true), '\u001b[1mH\u001b[0m\n');
});
