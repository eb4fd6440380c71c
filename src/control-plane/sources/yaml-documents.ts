/**
 * Splits a YAML file into documents (`---`), keeping enough of the syntax tree to point any field
 * path back at its line and column.
 */
import { createHash } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseAllDocuments,
  type Document,
  type Node,
} from 'yaml';
import type { ConfigIssue, FieldPath } from '../../api/index.js';
import type { SourceDocument, SourcePosition } from './config-source.js';

export interface ParsedFile {
  readonly documents: SourceDocument[];
  readonly issues: ConfigIssue[];
}

interface SyntaxTree {
  readonly documents: readonly Document.Parsed[];
  readonly lineCounter: LineCounter;
}

function parseTree(text: string): SyntaxTree {
  const lineCounter = new LineCounter();
  // Merge keys (`<<: *base`) are YAML 1.1, which Kubernetes reads; allow them here too.
  const parsed = parseAllDocuments(text, { lineCounter, prettyErrors: false, merge: true });
  return { documents: parsed, lineCounter };
}

/**
 * Parses `text` (the content of `file`). Documents with syntax errors are reported and left out.
 *
 * The syntax tree is not kept: it weighs many times the data, and a large config would hold it for
 * every document. Locating a field (only needed to report an issue) parses the text again, once per
 * file. Nor is the data kept once read (see YamlDocument): a source keeps its documents for as long as
 * their file is unchanged, and validation reads each one once.
 */
export function parseYamlDocuments(file: string, text: string): ParsedFile {
  const { documents: parsed, lineCounter } = parseTree(text);
  const reread = rereadFrom(text);
  const documents: SourceDocument[] = [];
  const issues: ConfigIssue[] = [];
  parsed.forEach((doc, documentIndex) => {
    const problems = [
      ...doc.errors.map(e => ({ severity: 'error' as const, e })),
      ...doc.warnings.map(e => ({ severity: 'warning' as const, e })),
    ];
    for (const { severity, e } of problems) {
      const where = lineCounter.linePos(e.pos[0]);
      issues.push({
        severity,
        file,
        line: where.line,
        column: where.col,
        documentIndex,
        kind: '',
        name: '',
        field: '',
        rule: severity === 'error' ? 'yaml-syntax' : 'yaml-warning',
        message: `YAML: ${e.message}`,
      });
    }
    if (doc.errors.length > 0) return;
    let data: unknown;
    try {
      data = toData(doc);
    } catch (err) {
      const where = lineCounter.linePos(doc.contents?.range[0] ?? 0);
      issues.push({
        severity: 'error',
        file,
        line: where.line,
        column: where.col,
        documentIndex,
        kind: '',
        name: '',
        field: '',
        rule: 'yaml-syntax',
        message: `YAML: ${(err as Error).message}`,
      });
      return;
    }
    if (data === null || data === undefined) return;
    documents.push(
      new YamlDocument(
        file,
        documentIndex,
        data,
        // Sixteen hex digits written out, not a slice that keeps all 64 alive.
        createHash('sha256').update(JSON.stringify(data)).digest().toString('hex', 0, 8),
        reread.locator(documentIndex),
        reread.reader(documentIndex),
      ),
    );
  });
  return { documents, issues };
}

/**
 * Per document, locating a field and reading its data again, from the file's text kept deflated.
 * Made apart from parseYamlDocuments so that these closures hold no more than the text: closures
 * share their function's variables, and the first parse's line index (as large as the text) would
 * stay.
 */
function rereadFrom(text: string): {
  locator: (documentIndex: number) => (path: FieldPath) => SourcePosition;
  reader: (documentIndex: number) => () => unknown;
} {
  const kept = new DeflatedText(text);
  let reparsed: SyntaxTree | undefined;
  const locateIn = (documentIndex: number, path: FieldPath): SourcePosition => {
    reparsed ??= parseTree(kept.text());
    const doc = reparsed.documents[documentIndex];
    return doc === undefined ? { line: 1, column: 1 } : locate(doc, reparsed.lineCounter, path);
  };
  let reparsedData: WeakRef<unknown[]> | undefined;
  const dataAt = (documentIndex: number): unknown => {
    let all = reparsedData?.deref();
    if (all === undefined) {
      all = parseTree(kept.text()).documents.map(d => (d.errors.length > 0 ? undefined : toData(d)));
      reparsedData = new WeakRef(all);
    }
    return all[documentIndex];
  };
  return {
    locator: documentIndex => path => locateIn(documentIndex, path),
    reader: documentIndex => () => dataAt(documentIndex),
  };
}

function toData(doc: Document.Parsed): unknown {
  return ownStrings(doc.toJS({ maxAliasCount: 100 }));
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

  constructor(text: string) {
    this.deflated = deflateRawSync(text);
  }

  text(): string {
    return inflateRawSync(this.deflated).toString('utf8');
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
