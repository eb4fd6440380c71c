/**
 * Splits a YAML file into documents (`---`), keeping enough of the syntax tree to point any field
 * path back at its line and column.
 */
import { hash } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import {
  Composer,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseAllDocuments,
  Parser,
  type Document,
  type Node,
} from 'yaml';
import type { ConfigIssue, FieldPath } from '../../api/index.js';
import type { SourceDocument, SourcePosition } from './config-source.js';
import { fastYamlDocuments } from './fast-yaml.js';

export interface ParsedFile {
  readonly documents: SourceDocument[];
  readonly issues: ConfigIssue[];
}

/**
 * Documents one file may hold. Past it the file is refused whole: a few bytes make a document
 * (`---`), and a file at the size limit could otherwise hold millions of them.
 */
export const DEFAULT_MAX_DOCUMENTS_PER_FILE = 50_000;

/**
 * Aliases one document may resolve, scaled by what each alias expands to (the `yaml` package's
 * `maxAliasCount`): a few lines of nested aliases ("billion laughs") would otherwise expand to
 * gigabytes.
 */
const MAX_ALIAS_COUNT = 100;

export interface YamlLimits {
  /** Default {@link DEFAULT_MAX_DOCUMENTS_PER_FILE}. */
  readonly maxDocuments?: number;
}

/** Merge keys (`<<: *base`) are YAML 1.1, which Kubernetes reads; allow them here too. */
const YAML_OPTIONS = { prettyErrors: false, merge: true } as const;

/**
 * Parses `text` (the content of `file`). Documents with syntax errors are reported and left out; a
 * file with more than `limits.maxDocuments` documents, or nested too deep to convert, is refused
 * whole with one issue.
 *
 * Documents are composed one at a time and each syntax tree is dropped once its data is taken: the
 * tree weighs many times the data (a 50 MB file's trees took 1.6 GB at once). Locating a field (only
 * needed to report an issue) parses the text again, once per file. Nor is the data kept once read
 * (see YamlDocument): a source keeps its documents for as long as their file is unchanged, and
 * validation reads each one once.
 */
export function parseYamlDocuments(file: string, text: string, limits: YamlLimits = {}): ParsedFile {
  const maxDocuments = limits.maxDocuments ?? DEFAULT_MAX_DOCUMENTS_PER_FILE;
  const fast = fastYamlDocuments(text, maxDocuments);
  if (fast !== undefined) return fromFastParse(file, text, fast);
  const lineCounter = new LineCounter();
  const spans: DocumentSpans = [];
  const reread = rereadFrom(text, () => spans);
  const documents: SourceDocument[] = [];
  const issues: ConfigIssue[] = [];
  const fileIssue = (offset: number, rule: string, message: string): ParsedFile => {
    const where = lineCounter.linePos(offset);
    return {
      documents: [],
      issues: [
        {
          severity: 'error',
          file,
          line: where.line,
          column: where.col,
          documentIndex: -1,
          kind: '',
          name: '',
          field: '',
          rule,
          message,
        },
      ],
    };
  };
  const parsed = new Composer(YAML_OPTIONS).compose(new Parser(lineCounter.addNewLine).parse(text));
  let documentIndex = 0;
  let next: IteratorResult<Document.Parsed>;
  for (;;) {
    try {
      next = parsed.next();
    } catch (err) {
      if (!(err instanceof RangeError)) throw err;
      return fileIssue(0, 'yaml-too-deep', `YAML: ${file} is nested too deep to read`);
    }
    if (next.done === true) break;
    const doc = next.value;
    if (documentIndex >= maxDocuments) {
      return fileIssue(
        doc.range[0],
        'yaml-too-many-documents',
        `YAML: ${file} holds more than ${maxDocuments} documents, the most one file may hold; none of it was used`,
      );
    }
    const start = lineCounter.linePos(doc.range[0]);
    spans.push(doc.range[0], doc.range[2], start.line, start.col);
    addDocument(doc, documentIndex++);
  }
  return { documents, issues };

  function addDocument(doc: Document.Parsed, documentIndex: number): void {
    const problems = [
      ...doc.errors.map(e => ({ severity: 'error' as const, e })),
      ...doc.warnings.map(e => ({ severity: 'warning' as const, e })),
    ];
    for (const { severity, e } of problems) {
      const where = lineCounter.linePos(e.pos[0]);
      // The composer reports its own stack overflow as an error of the document.
      const tooDeep = e.message.includes('Maximum call stack size exceeded');
      issues.push({
        severity,
        file,
        line: where.line,
        column: where.col,
        documentIndex,
        kind: '',
        name: '',
        field: '',
        rule: tooDeep ? 'yaml-too-deep' : severity === 'error' ? 'yaml-syntax' : 'yaml-warning',
        message: tooDeep ? 'YAML: the document is nested too deep to read' : `YAML: ${e.message}`,
      });
    }
    if (doc.errors.length > 0) return;
    let data: unknown;
    try {
      data = toData(doc);
    } catch (err) {
      const where = lineCounter.linePos(doc.contents?.range[0] ?? 0);
      const [rule, message] =
        err instanceof RangeError
          ? ['yaml-too-deep', 'YAML: the document is nested too deep to read']
          : err instanceof ReferenceError && /alias count/i.test(err.message)
            ? [
                'yaml-alias-limit',
                `YAML: the document's aliases expand beyond ${MAX_ALIAS_COUNT} times their anchors; refused as a resource exhaustion attack`,
              ]
            : ['yaml-syntax', `YAML: ${(err as Error).message}`];
      issues.push({
        severity: 'error',
        file,
        line: where.line,
        column: where.col,
        documentIndex,
        kind: '',
        name: '',
        field: '',
        rule,
        message,
      });
      return;
    }
    if (data === null || data === undefined) return;
    documents.push(yamlDocument(file, documentIndex, data, reread));
  }
}

/** Rereads of one file's documents (see rereadFrom). */
type Rereads = ReturnType<typeof rereadFrom>;

function yamlDocument(file: string, documentIndex: number, data: unknown, reread: Rereads): YamlDocument {
  return new YamlDocument(
    file,
    documentIndex,
    data,
    // Sixteen hex digits written out, not a slice that keeps all 64 alive.
    hash('sha256', JSON.stringify(data), 'buffer').toString('hex', 0, 8),
    reread.locator(documentIndex),
    reread.reader(documentIndex),
  );
}

/**
 * The documents js-yaml read (see fast-yaml.ts). Where each document lies, needed only to locate a
 * field for an issue or to read a document again, is worked out by `yaml` when first asked.
 */
function fromFastParse(file: string, text: string, parsed: readonly unknown[]): ParsedFile {
  let spans: DocumentSpans | undefined;
  const reread = rereadFrom(text, kept => (spans ??= documentSpans(kept())));
  const documents: SourceDocument[] = [];
  parsed.forEach((data, documentIndex) => {
    if (data === null || data === undefined) return;
    documents.push(yamlDocument(file, documentIndex, ownStrings(data), reread));
  });
  return { documents, issues: [] };
}

/** Where each document of `text` lies, as the first parse of parseYamlDocuments records it. */
function documentSpans(text: string): DocumentSpans {
  const lineCounter = new LineCounter();
  const spans: DocumentSpans = [];
  for (const doc of new Composer(YAML_OPTIONS).compose(new Parser(lineCounter.addNewLine).parse(text))) {
    const start = lineCounter.linePos(doc.range[0]);
    spans.push(doc.range[0], doc.range[2], start.line, start.col);
  }
  return spans;
}

/**
 * Where each document of a file lies, four numbers per document in file order: its start and end
 * offsets in the text, and the line and column it starts at. Recorded by the first parse, so that a
 * document is parsed again on its own (documents share no anchors), not with the whole file.
 */
type DocumentSpans = number[];

/** One document parsed again from its span, with where it starts in the file. */
interface ReparsedDocument {
  readonly doc: Document.Parsed | undefined;
  readonly lineCounter: LineCounter;
  readonly line: number;
  readonly column: number;
}

/**
 * Per document, locating a field and reading its data again, from the file's text kept deflated.
 * Made apart from parseYamlDocuments so that these closures hold no more than the text and the
 * spans: closures share their function's variables, and the first parse's line index (as large as
 * the text) would stay.
 */
function rereadFrom(
  text: string,
  spansOf: (text: () => string) => DocumentSpans,
): {
  locator: (documentIndex: number) => (path: FieldPath) => SourcePosition;
  reader: (documentIndex: number) => () => unknown;
} {
  const kept = new DeflatedText(text);
  const reparse = (documentIndex: number): ReparsedDocument | undefined => {
    const spans = spansOf(() => kept.text());
    const at = documentIndex * 4;
    if (at + 3 >= spans.length) return undefined;
    const lineCounter = new LineCounter();
    const [doc] = parseAllDocuments(kept.text().slice(spans[at], spans[at + 1]), {
      lineCounter,
      ...YAML_OPTIONS,
    });
    return { doc, lineCounter, line: spans[at + 2]!, column: spans[at + 3]! };
  };
  // Several issues in one document locate several fields in it.
  let lastLocated: { readonly index: number; readonly reparsed: ReparsedDocument | undefined } | undefined;
  const locateIn = (documentIndex: number, path: FieldPath): SourcePosition => {
    if (lastLocated?.index !== documentIndex) {
      lastLocated = { index: documentIndex, reparsed: reparse(documentIndex) };
    }
    const reparsed = lastLocated.reparsed;
    if (reparsed?.doc === undefined) return { line: 1, column: 1 };
    const inSpan = locate(reparsed.doc, reparsed.lineCounter, path);
    return inSpan.line === 1
      ? { line: reparsed.line, column: reparsed.column + inSpan.column - 1 }
      : { line: reparsed.line + inSpan.line - 1, column: inSpan.column };
  };
  const dataAt = (documentIndex: number): unknown => {
    const doc = reparse(documentIndex)?.doc;
    return doc === undefined || doc.errors.length > 0 ? undefined : toData(doc);
  };
  return {
    locator: documentIndex => path => locateIn(documentIndex, path),
    reader: documentIndex => () => dataAt(documentIndex),
  };
}

function toData(doc: Document.Parsed): unknown {
  return ownStrings(doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }));
}

/** V8 makes a substring of this many characters or more a view that keeps its whole source alive. */
const SLICE_MIN_LENGTH = 13;

/**
 * Replaces, in place, the strings of parsed data that are views into the file's text by copies of
 * their own. The YAML parser hands out scalars as substrings of the text, so the data of one document
 * (kept by validation for as long as the config is served) would keep its whole file's text alive:
 * at 10,000 services, all 18.5 MB of it, in the form of host names and addresses.
 */
function ownStrings(value: unknown): unknown {
  if (typeof value === 'string') {
    // A JSON round trip is the cheapest way to a string that is not a view into another.
    return value.length >= SLICE_MIN_LENGTH ? (JSON.parse(JSON.stringify(value)) as string) : value;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = ownStrings(value[i]);
  } else if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    // Assigning `__proto__` would set the prototype; its value keeps a view, which is harmless.
    for (const key of Object.keys(record)) if (key !== '__proto__') record[key] = ownStrings(record[key]);
  }
  return value;
}

/**
 * A file's text, kept deflated for the rare moments it is needed again (locating a field for an
 * issue, or parsing a document whose data was collected): YAML compresses about 20 times, and a
 * config's text would otherwise be held whole as long as the file is unchanged.
 */
class DeflatedText {
  private readonly deflated: Buffer;
  /** The text inflated last, for as long as something else keeps it. */
  private inflated: WeakRef<{ readonly text: string }> | undefined;

  constructor(text: string) {
    // The fastest level (a third of the default's time): a config is deflated whole while it
    // loads, and read back only for issues. Deflating in the thread pool instead held the texts
    // longer: 70 MiB more at the peak of loading 10,000 services.
    this.deflated = deflateRawSync(text, { level: 1 });
  }

  text(): string {
    let held = this.inflated?.deref();
    if (held === undefined) {
      held = { text: inflateRawSync(this.deflated).toString('utf8') };
      this.inflated = new WeakRef(held);
    }
    return held.text;
  }
}

/**
 * A parsed document that holds its data only until it is first read. Validation reads it once and
 * keeps its own (validated) copy, while the source keeps the document for as long as its file is
 * unchanged, so holding the parse as well would keep the whole config twice (about 80 MB at 10,000
 * services). Read again, the data comes from a weak reference, or from parsing the file's text anew.
 */
export class YamlDocument implements SourceDocument {
  private strong: unknown;
  private weak: WeakRef<object> | undefined;
  private read = false;

  constructor(
    readonly file: string,
    readonly documentIndex: number,
    data: unknown,
    readonly resourceVersion: string,
    readonly locate: (path: FieldPath) => SourcePosition,
    private readonly reparse: () => unknown,
  ) {
    this.strong = data;
  }

  get data(): unknown {
    if (!this.read) {
      this.read = true;
      const data = this.strong;
      // Primitives (a scalar document) are cheap to keep.
      if (typeof data === 'object' && data !== null) {
        this.weak = new WeakRef(data);
        this.strong = undefined;
      }
      return data;
    }
    if (this.weak === undefined) return this.strong;
    let data: unknown = this.weak.deref();
    if (data === undefined) {
      data = this.reparse();
      if (typeof data === 'object' && data !== null) this.weak = new WeakRef(data);
    }
    return data;
  }
}

function locate(doc: Document, lineCounter: LineCounter, path: FieldPath): SourcePosition {
  let node: unknown = doc.contents;
  let offset = (doc.contents as Node | null)?.range?.[0] ?? 0;
  for (const segment of path) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find(
        p => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(segment),
      );
      if (pair === undefined) break;
      offset = (pair.key as Node | null)?.range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment] as Node | undefined;
      if (item === undefined) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else {
      break;
    }
  }
  const where = lineCounter.linePos(offset);
  return { line: where.line, column: where.col };
}
