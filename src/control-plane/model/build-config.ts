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
  type DubboAuthorizationPolicy,
  type Gateway,
  type KnownResource,
  type MetaRouter,
  type RedisDestination,
  type RedisService,
  type Secret,
  type ServiceEntry,
  type Sidecar,
  type VirtualService,
} from '../../api/index.js';
import type { DocumentOrigin, SourceDocument, SourceSnapshot } from '../sources/config-source.js';
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
  const redisServices: ConfigObject<RedisService>[] = [];
  const redisDestinations: ConfigObject<RedisDestination>[] = [];
  const secrets: ConfigObject<Secret>[] = [];
  const sidecars: ConfigObject<Sidecar>[] = [];
  const gateways: ConfigObject<Gateway>[] = [];
  const virtualServices: ConfigObject<VirtualService>[] = [];
  const dubboAuthorizationPolicies: ConfigObject<DubboAuthorizationPolicy>[] = [];

  for (const document of snapshot.documents) {
    const checked = checkDocument(document);
    for (const issue of checked.issues) issues.push(issue);
    const object = checked.object;
    if (object === undefined) continue;
    switch (object.resource.kind) {
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
      case 'RedisService':
        redisServices.push(object as ConfigObject<RedisService>);
        break;
      case 'RedisDestination':
        redisDestinations.push(object as ConfigObject<RedisDestination>);
        break;
      case 'Secret':
        secrets.push(object as ConfigObject<Secret>);
        break;
      case 'Sidecar':
        sidecars.push(object as ConfigObject<Sidecar>);
        break;
      case 'Gateway':
        gateways.push(object as ConfigObject<Gateway>);
        break;
      case 'VirtualService':
        virtualServices.push(object as ConfigObject<VirtualService>);
        break;
      case 'DubboAuthorizationPolicy':
        dubboAuthorizationPolicies.push(object as ConfigObject<DubboAuthorizationPolicy>);
        break;
    }
  }

  const config: ConfigSet = {
    serviceEntries: serviceEntries.sort(byKey),
    destinationRules: destinationRules.sort(byKey),
    metaRouters: metaRouters.sort(byKey),
    applicationProtocols: applicationProtocols.sort(byKey),
    redisServices: redisServices.sort(byKey),
    redisDestinations: redisDestinations.sort(byKey),
    secrets: secrets.sort(byKey),
    sidecars: sidecars.sort(byKey),
    gateways: gateways.sort(byKey),
    virtualServices: virtualServices.sort(byKey),
    dubboAuthorizationPolicies: dubboAuthorizationPolicies.sort(byKey),
  };
  const index = new ConfigIndex(config);
  issues.push(...crossDocumentIssues(config, index));
  return { config, issues: issues.sort(compareIssues), index };
}

interface CheckedDocument {
  readonly object?: ConfigObject<KnownResource>;
  readonly issues: readonly ConfigIssue[];
}

/**
 * Single-document results by document: a source hands over the same document object while its
 * content is unchanged (the file source does), so a reload validates only what changed.
 */
const checkedDocuments = new WeakMap<SourceDocument, CheckedDocument>();

/** Shared by the documents without issues (nearly all): an array each would be 1 MB at 10,000 services. */
const NO_ISSUES: readonly ConfigIssue[] = [];

/**
 * A document's origin, made apart from checkDocument: its `locate` closure, kept as long as the
 * object, would share checkDocument's variables and keep the whole validation result alive.
 */
function originOf(document: SourceDocument): DocumentOrigin {
  return {
    file: document.file,
    documentIndex: document.documentIndex,
    resourceVersion: document.resourceVersion,
    locate: path => document.locate(path),
  };
}

function checkDocument(document: SourceDocument): CheckedDocument {
  const cached = checkedDocuments.get(document);
  if (cached !== undefined) return cached;
  const origin = originOf(document);
  const result = validateDocument(document.data);
  const issues =
    result.issues.length === 0
      ? NO_ISSUES
      : result.issues.map(issue => issueInDocument(origin, result.kind, result.name, issue));
  const resource = result.resource;
  let checked: CheckedDocument = { issues };
  if (resource !== undefined) {
    const namespace = isNamespacedKind(resource.kind) ? (resource.metadata.namespace ?? '') : '';
    checked = { issues, object: { resource, namespace, key: result.name, origin } };
  }
  checkedDocuments.set(document, checked);
  return checked;
}

function byKey(a: ConfigObject<KnownResource>, b: ConfigObject<KnownResource>): number {
  if (a.key !== b.key) return a.key < b.key ? -1 : 1;
  if (a.origin.file !== b.origin.file) return a.origin.file < b.origin.file ? -1 : 1;
  return a.origin.documentIndex - b.origin.documentIndex;
}
