/**
 * The fast way to a file's data: js-yaml builds plain objects straight from the text, about ten times
 * faster than the `yaml` package, which builds a token stream, a syntax tree and then the data (and
 * reads `process.env` once per token). The `yaml` package stays the reference: it reads every file
 * that uses a YAML feature where the two could disagree, every file js-yaml refuses (it then reports
 * the error with its position), and it locates fields for issues. A file read either way yields the
 * same documents, the same data, in the same order (unit test: generated documents read both ways).
 *
 * Where they could disagree, and what is done about it:
 * - plain scalars: js-yaml's core schema knows binary and underscored numbers, `yaml`'s does not;
 *   here ints and floats resolve with exactly `yaml`'s YAML 1.2 core patterns;
 * - anchors and aliases: `yaml` limits what aliases expand to, and js-yaml shares the aliased
 *   object; a file that defines an anchor is left to `yaml`;
 * - tags, directives (`%YAML 1.1` changes the schema), null keys, content on a `---` line, merge keys
 *   (`<<`) and `__proto__` keys: such files are left to `yaml` (found by a cheap look at the text, which may also send a few files
 *   that need none of it; they are only read more slowly).
 */
import jsYaml from 'js-yaml';

const INT = /^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$/;
const FLOAT_EXP = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;
const FLOAT_SPECIAL = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;

/** `yaml`'s core int: decimal, `0o` octal, `0x` hex. */
const coreInt = new jsYaml.Type('tag:yaml.org,2002:int', {
  kind: 'scalar',
  resolve: (data: string) => INT.test(data),
  construct: (data: string) =>
    data.startsWith('0o')
      ? parseInt(data.slice(2), 8)
      : data.startsWith('0x')
        ? parseInt(data.slice(2), 16)
        : parseInt(data, 10),
  predicate: (data: object) => Number.isInteger(data),
});

/** `yaml`'s core float: `.inf`, `.nan` in their spellings, decimals and exponents, no underscores. */
const coreFloat = new jsYaml.Type('tag:yaml.org,2002:float', {
  kind: 'scalar',
  resolve: (data: string) => FLOAT_SPECIAL.test(data) || FLOAT_EXP.test(data) || FLOAT.test(data),
  construct: (data: string) => {
    if (!FLOAT_SPECIAL.test(data)) return parseFloat(data);
    if (data.slice(-3).toLowerCase() === 'nan') return NaN;
    return data.startsWith('-') ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  },
  predicate: (data: object) => typeof data === 'number',
});

/** js-yaml's core schema (null and bool as `yaml`'s) with its int and float replaced by the above. */
const CORE_SCHEMA = jsYaml.CORE_SCHEMA.extend({ implicit: [coreInt, coreFloat] });

/**
 * A tag (`!x`), an anchor (`&a`) or an alias (`*a`) where a node may start, a directive at a line's
 * start, content on a document's `---` line, an empty item of a compact nested sequence (`- -`, which
 * js-yaml misreads), a null key (`yaml` names it "", js-yaml "null"), a merge
 * key, or a `__proto__` key.
 */
const LEFT_TO_YAML =
  /(?:^|[\s[{,])[!&*]|^%|^--- *[^\s#]|-[ \t]+-[ \t]*(?:#.*)?$|(?:^|[\s[{,?-])(?:~|null|Null|NULL)?[ \t]*:(?:\s|$)|<<|__proto__/m;

/** Thrown from js-yaml's listener to stop at the first node with an anchor. */
const ANCHOR = Symbol('anchor');

function refuseAnchors(event: jsYaml.EventType, state: jsYaml.State): void {
  // js-yaml's state names the anchor of the node just read (not in its published types).
  const anchor = (state as { anchor?: string | null }).anchor;
  if (event === 'close' && anchor !== null && anchor !== undefined) throw ANCHOR;
}

/** js-yaml's nesting limit; deeper files are read by `yaml`, which reports how deep is too deep. */
const MAX_DEPTH = 1000;

/**
 * The documents of `text` (`null` for an empty one), or `undefined` when the file is for `yaml` to
 * read: it uses a feature listed above, js-yaml refuses it, or it has more than `maxDocuments`.
 */
export function fastYamlDocuments(text: string, maxDocuments: number): unknown[] | undefined {
  if (LEFT_TO_YAML.test(text)) return undefined;
  const documents: unknown[] = [];
  try {
    jsYaml.loadAll(
      text,
      (document: unknown) => {
        if (documents.length >= maxDocuments) throw ANCHOR;
        documents.push(document);
      },
      {
        schema: CORE_SCHEMA,
        listener: refuseAnchors,
        // js-yaml's own options beyond its published types.
        ...({ maxDepth: MAX_DEPTH, maxTotalMergeKeys: 0 } as object),
      },
    );
  } catch {
    // A syntax error, a duplicate key, an unknown tag, an anchor, too many documents, too deep:
    // `yaml` reads it and says what is wrong, where.
    return undefined;
  }
  // js-yaml reads a file of blank lines and comments as one empty document, `yaml` as none.
  if (documents.length === 1 && documents[0] == null && onlyComments(text)) return [];
  return documents;
}

function onlyComments(text: string): boolean {
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed !== '' && !trimmed.startsWith('#')) return false;
  }
  return true;
}
