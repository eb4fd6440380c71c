import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseAllDocuments } from 'yaml';
import { fastYamlDocuments } from '../../../../src/control-plane/sources/fast-yaml.js';
import { parseYamlDocuments } from '../../../../src/control-plane/sources/yaml-documents.js';

/** What the `yaml` package (the reference) reads, with the options the file source uses. */
function reference(text: string): unknown[] | 'error' {
  const docs = parseAllDocuments(text, { merge: true });
  if (docs.some(d => d.errors.length > 0)) return 'error';
  return docs.map(d => d.toJS() as unknown);
}

/** JSON that tells -0, NaN and the infinities apart. */
function exact(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0)) ? `number:${String(v)}` : v,
  );
}

/** A file read the fast way must read the same as with `yaml`; a file it leaves to `yaml` is fine. */
function assertSameAsReference(text: string): void {
  const fast = fastYamlDocuments(text, 1000);
  if (fast === undefined) return;
  const expected = reference(text);
  assert.notEqual(expected, 'error', `js-yaml read a file yaml refuses: ${JSON.stringify(text)}`);
  assert.equal(exact(fast), exact(expected), `for ${JSON.stringify(text)}`);
}

const scalarWords = [
  ...['0', '12', '-7', '+3', '012', '00', '-0', '0o17', '0O17', '0x1F', '0X1F', '-0x1', '0b101'],
  ...['1_000', '1__0', '1.', '.5', '-.5', '1.50', '1e3', '1E3', '-1.5e-3', '.e3', '1e', '0.1e+3'],
  ...['.inf', '-.inf', '+.inf', '.Inf', '.INF', '.nan', '.NaN', '.NAN', '-.nan', '9007199254740993'],
  ...['true', 'True', 'TRUE', 'tRue', 'false', 'yes', 'no', 'on', 'off', 'y', 'n'],
  ...['null', 'Null', 'NULL', 'nUll', '~', '', '2001-12-14', '12:30', '1:20', 'a b', 'é', 'x-1'],
];

const scalar = fc.oneof(
  fc.constantFrom(...scalarWords),
  fc.stringMatching(/^[-+.0-9a-fA-Fox_eE]{1,8}$/),
  fc.constantFrom(...scalarWords).map(w => `"${w}"`),
  fc.constantFrom(...scalarWords).map(w => `'${w}'`),
);
const key = fc.constantFrom('a', 'b', 'name', 'port', '1', 'true', 'null', 'x y');

/** Block mappings and sequences nested a few levels, written as YAML lines at `indent`. */
function block(depth: number, indent: string): fc.Arbitrary<string> {
  const text = fc.constantFrom('one', 'two words', '  indented', '', 'x: y', '# not a comment');
  const leaf = fc.oneof(
    { weight: 6, arbitrary: scalar.map(s => ` ${s}`) },
    fc
      .array(fc.tuple(key, scalar), { maxLength: 2 })
      .map(p => ` {${p.map(([k, v]) => `${k}: ${v}`).join(', ')}}`),
    fc
      .tuple(fc.constantFrom('|', '>', '|-', '>+'), fc.array(text, { minLength: 1, maxLength: 3 }))
      .map(([style, lines]) => ` ${style}\n${lines.map(l => `${indent}  ${l}`).join('\n')}`),
    fc.constantFrom(' "a\\tb\\u00e9"', " 'it''s'", ' plain\n' + indent + '  continued'),
  );
  if (depth === 0) return leaf;
  const child = block(depth - 1, `${indent}  `);
  const mapping = fc
    .uniqueArray(
      fc.tuple(
        key,
        fc.oneof(
          leaf,
          child.map(c => (c.startsWith(' ') ? c : `\n${c}`)),
        ),
      ),
      {
        minLength: 1,
        maxLength: 3,
        selector: ([k]) => k,
      },
    )
    .map(pairs => pairs.map(([k, v]) => `${indent}${k}:${v}`).join('\n'));
  const sequence = fc
    .array(leaf, { minLength: 1, maxLength: 3 })
    .map(items => items.map(v => `${indent}-${v}`).join('\n'));
  const flow = fc.array(scalar, { maxLength: 3 }).map(items => ` [${items.join(', ')}]`);
  return fc.oneof(mapping, sequence, flow);
}

const documentText = fc.oneof(
  block(2, ''),
  fc.constant(''),
  fc.constant('# only a comment'),
  scalar.map(s => `--- ${s}`),
);
const separator = fc.constantFrom('\n---\n', '\n---\n# comment\n', '\n...\n---\n', '\n\n---\n\n');

describe('fast YAML path', () => {
  it('reads generated files exactly as the yaml package does (documents, scalars, order)', () => {
    fc.assert(
      fc.property(
        fc.array(documentText, { minLength: 1, maxLength: 4 }),
        separator,
        fc.boolean(),
        (docs, sep, leading) => assertSameAsReference(`${leading ? '---\n' : ''}${docs.join(sep)}\n`),
      ),
      { numRuns: 5000 },
    );
  });

  it('resolves plain scalars with the YAML 1.2 core schema, as yaml does', () => {
    for (const word of scalarWords) assertSameAsReference(`v: ${word}\n`);
    assert.deepEqual(fastYamlDocuments('a: 0b101\nb: 1_000\nc: 0x1F\nd: 0o17\ne: yes\n', 10), [
      { a: '0b101', b: '1_000', c: 31, d: 15, e: 'yes' },
    ]);
  });

  it('leaves to yaml the files that use anchors, tags, directives, merge keys or __proto__', () => {
    for (const text of [
      'a: &x 1\nb: *x\n',
      'base: &b {x: 1}\nc:\n  <<: *b\n',
      'a: !custom 1\n',
      '%YAML 1.1\n---\na: yes\n',
      '__proto__: {polluted: true}\n',
    ]) {
      assert.equal(fastYamlDocuments(text, 10), undefined, text);
    }
  });

  it('leaves to yaml the files it refuses, so that yaml reports where (duplicate keys, bad syntax)', () => {
    assert.equal(fastYamlDocuments('a: 1\na: 2\n', 10), undefined);
    assert.equal(fastYamlDocuments('a: [1, 2\n', 10), undefined);
    const parsed = parseYamlDocuments('f.yaml', 'kind: A\n---\na: 1\na: 2\n');
    assert.equal(parsed.documents.length, 1);
    assert.equal(parsed.issues[0]?.rule, 'yaml-syntax');
    assert.equal(parsed.issues[0]?.line, 4);
  });

  it('leaves files past the document limit to yaml, which refuses them whole', () => {
    assert.equal(fastYamlDocuments('a: 1\n---\nb: 2\n---\nc: 3\n', 2), undefined);
    assert.equal(
      parseYamlDocuments('f.yaml', 'a: 1\n---\nb: 2\n---\nc: 3\n', { maxDocuments: 2 }).issues[0]?.rule,
      'yaml-too-many-documents',
    );
  });

  it('locates fields of documents it read, as yaml would', () => {
    const text = '# header\nkind: A\nspec:\n  x: 1\n---\n\nkind: B\nspec:\n  y:\n    - 1\n    - two\n';
    const { documents } = parseYamlDocuments('f.yaml', text);
    assert.equal(documents.length, 2);
    assert.deepEqual(documents[1]!.locate(['spec', 'y', 1]), { line: 11, column: 7 });
    assert.deepEqual(documents[0]!.locate(['spec', 'x']), { line: 4, column: 3 });
    assert.deepEqual(documents[1]!.data, { kind: 'B', spec: { y: [1, 'two'] } });
  });
});
