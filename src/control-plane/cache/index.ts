/** Versioned, debounced xDS snapshots per node. */
export { SnapshotCache, ALL_NODES, DEFAULT_DEBOUNCE, type PublishListener } from './snapshot-cache.js';
export { ResourceSnapshot, versionOf, type SnapshotEntry, type TypeResources } from './resource-snapshot.js';
export { Debouncer, type DebounceOptions } from './debouncer.js';
