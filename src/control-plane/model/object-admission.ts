/**
 * Admission object by object, for config shared by many teams (the Kubernetes API): an object that
 * breaks a rule is left out, or keeps serving its last accepted version, and everything else is
 * served. A config directory is one person's, and one error there refuses the whole load; in a
 * cluster, one team's bad object must not freeze every other team's changes.
 *
 * Rules between objects can make a good object fail because another was left out (a MetaRouter
 * routing to a ServiceEntry that broke), so admission repeats until no error is left, leaving out
 * (or reverting) each round the objects the errors name. Each object keeps the errors of its own
 * current version, which the status writer reports.
 */
import type { ConfigIssue } from '../../api/index.js';
import type { SourceDocument, SourceSnapshot } from '../sources/config-source.js';
import { buildConfig } from './build-config.js';
import type { LoadedConfig } from './config-set.js';

/** At most this many rounds; each leaves out at least one object, and chains are short in practice. */
const MAX_ROUNDS = 8;

export interface AdmittedConfig {
  /** The config of the admitted objects: free of errors unless an error names no object. */
  readonly loaded: LoadedConfig;
  /** Errors of each left-out or reverted object's current version, by document (URI). */
  readonly rejected: ReadonlyMap<string, readonly ConfigIssue[]>;
  /** The document version served for each document: its current one, or the last accepted one. */
  readonly served: ReadonlyMap<string, SourceDocument>;
}

/**
 * Admits the documents of `snapshot` one by one. `lastAccepted` holds the documents served before
 * (by URI): an object whose new version is refused keeps that one.
 */
export function admitObjects(
  snapshot: Pick<SourceSnapshot, 'documents' | 'issues' | 'files'>,
  lastAccepted: ReadonlyMap<string, SourceDocument> = new Map(),
): AdmittedConfig {
  let documents = [...snapshot.documents];
  const rejected = new Map<string, ConfigIssue[]>();
  const reverted = new Set<string>();
  let loaded = buildConfig({ documents, issues: snapshot.issues });
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const errors = loaded.issues.filter(issue => issue.severity === 'error');
    if (errors.length === 0) break;
    const byFile = new Map<string, ConfigIssue[]>();
    for (const issue of errors) {
      const list = byFile.get(issue.file) ?? [];
      list.push(issue);
      byFile.set(issue.file, list);
    }
    const present = new Set(documents.map(d => d.file));
    if (![...byFile.keys()].some(file => present.has(file))) break;
    const next: SourceDocument[] = [];
    for (const document of documents) {
      const issues = byFile.get(document.file);
      if (issues === undefined) {
        next.push(document);
        continue;
      }
      // The errors of the object's current version are what its owner must fix.
      if (!reverted.has(document.file)) rejected.set(document.file, issues);
      const previous = lastAccepted.get(document.file);
      if (previous !== undefined && previous !== document && !reverted.has(document.file)) {
        reverted.add(document.file);
        next.push(previous);
      }
    }
    documents = next;
    loaded = buildConfig({ documents, issues: snapshot.issues });
  }
  const served = new Map<string, SourceDocument>();
  for (const document of documents) served.set(document.file, document);
  return { loaded: { ...loaded, files: snapshot.files }, rejected, served };
}
