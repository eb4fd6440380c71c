/**
 * Where config documents come from. The file source reads a directory tree; a Kubernetes source
 * (later) lists and watches the API server. Both hand over raw documents with their origin, so
 * validation and translation do not care where the YAML lived.
 */
import type { ConfigIssue, FieldPath } from '../../api/index.js';

/** A place in a source, 1-based. */
export interface SourcePosition {
  readonly line: number;
  readonly column: number;
}

/** Where a document came from, and how to find a field in it. */
export interface DocumentOrigin {
  /** File path as reached from the source's root argument, or a URI such as `k8s://…` for API objects. */
  readonly file: string;
  /** 0-based index of the document within its file. */
  readonly documentIndex: number;
  /** Changes whenever the document's content changes (a content hash for files). */
  readonly resourceVersion: string;
  /** Position of a field, or of its closest existing parent when the field is missing. */
  locate(path: FieldPath): SourcePosition;
}

/** One parsed but not yet validated document. */
export interface SourceDocument extends DocumentOrigin {
  /** The document as plain JSON-like data. */
  readonly data: unknown;
}

/** Everything a source holds at one moment. */
export interface SourceSnapshot {
  readonly documents: readonly SourceDocument[];
  /** Problems found while reading (unreadable files, YAML syntax errors). */
  readonly issues: readonly ConfigIssue[];
  /** Every file (or URI) the documents were read from, including those that held none, in order. */
  readonly files: readonly string[];
  /** Changes whenever any document, file or reading problem changes. */
  readonly version: string;
}

/** Stops a watch. */
export interface SourceWatch {
  close(): void;
}

export interface ConfigSource {
  /** Reads every document now. Never rejects for a user mistake: those become issues. */
  list(): Promise<SourceSnapshot>;
  /**
   * Calls `onChange` with a new snapshot after each change settles (several quick edits make one call).
   * Only snapshots whose version differs from the previous one are delivered.
   */
  watch(onChange: (snapshot: SourceSnapshot) => void): SourceWatch;
}
