/**
 * A parsed YAML document gives its data to the first reader and then holds it weakly: read again,
 * the data is the same, from the weak reference or parsed anew from the file's text.
 */
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, test } from 'node:test';
import { parseYamlDocuments, YamlDocument } from '../../../../src/control-plane/sources/yaml-documents.js';

// A full garbage collection on demand (the flag must be set before a context is made to read `gc`).
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const tick = (): Promise<void> => new Promise(resolve => setTimeout(resolve, 0));

const text = `kind: A
spec: {n: 1}
---
kind: B
spec: {n: 2, list: [x, y]}
`;

describe('YAML document data', () => {
  test('every read gives the same content, the second document included', () => {
    const { documents } = parseYamlDocuments('f.yaml', text);
    const second = documents[1]!;
    const first = second.data;
    assert.deepEqual(first, { kind: 'B', spec: { n: 2, list: ['x', 'y'] } });
    assert.deepEqual(second.data, first);
    assert.deepEqual(documents[0]!.data, { kind: 'A', spec: { n: 1 } });
  });

  test('once read, the data is not kept: collected, it is parsed again', async () => {
    let reparsed = 0;
    const document = new YamlDocument(
      'f.yaml',
      0,
      { kind: 'A', spec: { n: 1 } },
      'v1',
      () => ({ line: 1, column: 1 }),
      () => {
        reparsed++;
        return { kind: 'A', spec: { n: 1 } };
      },
    );
    assert.deepEqual(document.data, { kind: 'A', spec: { n: 1 } });
    // WeakRef targets live at least until the current job ends.
    await tick();
    gc();
    assert.deepEqual(document.data, { kind: 'A', spec: { n: 1 } });
    assert.equal(reparsed, 1, 'the first read let go of the data');
  });

  test('collected, the data is parsed anew from the kept text, strings and positions the same', async () => {
    const long = 'a-service-name.a-namespace.svc.cluster.local';
    const { documents } = parseYamlDocuments('f.yaml', `${text}---\nkind: C\nspec:\n  host: ${long}\n`);
    const third = documents[2]!;
    assert.deepEqual(third.data, { kind: 'C', spec: { host: long } });
    await tick();
    gc();
    assert.deepEqual(third.data, { kind: 'C', spec: { host: long } });
    assert.deepEqual(third.locate(['spec', 'host']), { line: 9, column: 3 });
  });

  test('a scalar document is kept as it is', () => {
    const document = new YamlDocument(
      'f.yaml',
      0,
      'text',
      'v',
      () => ({ line: 1, column: 1 }),
      () => {
        throw new Error('no reparse for a primitive');
      },
    );
    assert.equal(document.data, 'text');
    assert.equal(document.data, 'text');
  });
});
