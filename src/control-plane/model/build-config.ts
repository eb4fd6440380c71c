/**
 * From raw documents to a validated config: each document on its own, then the rules between them.
 * Pure: the same documents always give the same config and the same issues, in the same order.
 */
import {
  compareIssues,
  isNamespacedKind,
  validateDocument,
  type ApplicationProtocol,
  type ConfigIssue,
  type DestinationRule,
  type KnownResource,
  type MetaRouter,
  type ServiceEntry,
} from '../../api/index.js';
import type { DocumentOrigin, SourceSnapshot } from '../sources/config-source.js';
import type { ConfigObject, ConfigSet, LoadedConfig } from './config-set.js';
import { ConfigIndex } from './config-index.js';
import { crossDocumentIssues } from './cross-document.js';
import { issueInDocument } from './issue-at.js';

export function buildConfig(snapshot: Pick<SourceSnapshot, 'documents' | 'issues'>): LoadedConfig {
  const issues: ConfigIssue[] = [...snapshot.issues];
  const serviceEntries: ConfigObject<ServiceEntry>[] = [];
  const destinationRules: ConfigObject<DestinationRule>[] = [];
  const metaRouters: ConfigObject<MetaRouter>[] = [];
  const applicationProtocols: ConfigObject<ApplicationProtocol>[] = [];

  for (const document of snapshot.documents) {
    const origin: DocumentOrigin = {
      file: document.file,
      documentIndex: document.documentIndex,
      resourceVersion: document.resourceVersion,
      locate: path => document.locate(path),
    };
    const result = validateDocument(document.data);
    for (const issue of result.issues) issues.push(issueInDocument(origin, result.kind, result.name, issue));
    const resource = result.resource;
    if (resource === undefined) continue;
    const namespace = isNamespacedKind(resource.kind) ? (resource.metadata.namespace ?? '') : '';
    const object = { resource, namespace, key: result.name, origin };
    switch (resource.kind) {
      case 'ServiceEntry':
        serviceEntries.push(object as ConfigObject<ServiceEntry>);
        break;
      case 'DestinationRule':
        destinationRules.push(object as ConfigObject<DestinationRule>);
        break;
      case 'MetaRouter':
        metaRouters.push(object as ConfigObject<MetaRouter>);
        break;
      case 'ApplicationProtocol':
        applicationProtocols.push(object as ConfigObject<ApplicationProtocol>);
        break;
    }
  }

  const config: ConfigSet = {
    serviceEntries: serviceEntries.sort(byKey),
    destinationRules: destinationRules.sort(byKey),
    metaRouters: metaRouters.sort(byKey),
    applicationProtocols: applicationProtocols.sort(byKey),
  };
  issues.push(...crossDocumentIssues(config, new ConfigIndex(config)));
  return { config, issues: issues.sort(compareIssues) };
}

function byKey(a: ConfigObject<KnownResource>, b: ConfigObject<KnownResource>): number {
  if (a.key !== b.key) return a.key < b.key ? -1 : 1;
  if (a.origin.file !== b.origin.file) return a.origin.file < b.origin.file ? -1 : 1;
  return a.origin.documentIndex - b.origin.documentIndex;
}
