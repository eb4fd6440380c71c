/**
 * The end-to-end harness: real Apache Thrift servers and clients for every wire stack, `aeraki up` as
 * a child process, config builders, and statistics helpers. Used by test/e2e, scripts/quickstart.ts
 * and the benchmarks.
 */
export * from './admin-api.js';
export * from './aeraki-process.js';
export * from './attacks.js';
export * from './binomial.js';
export * from './blackhole.js';
export * from './config-edits.js';
export * from './control-caller.js';
export * from './deaf-server.js';
export * from './hello-client.js';
export * from './hello-idl.js';
export * from './hello-server.js';
export * from './hello-server-process.js';
export * from './memcached.js';
export * from './mesh-config.js';
export * from './net-utils.js';
export * from './otlp-receiver.js';
export * from './process-memory.js';
export * from './prometheus.js';
export * from './rate-limit-service.js';
export * from './repo-root.js';
export * from './theader.js';
export * from './thrift-frames.js';
export * from './thrift-lib.js';
export * from './thrift-stack.js';
export * from './tiny-rpc.js';
export * from './ads-proxies.js';
export * from './policy-service.js';
