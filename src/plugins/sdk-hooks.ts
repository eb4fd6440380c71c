/**
 * Module customization hooks (node:module `register`) that resolve the SDK's specifiers — `aeraki/codec`
 * and `aeraki/filter` — to the files of the aeraki that is running, wherever the importing plugin
 * lies. A plugin therefore needs no copy of aeraki beside it, and gets the very module instances
 * aeraki itself uses (one CodecRegistry class, one CodecError class).
 *
 * Node runs this module on its hooks thread: it shares nothing with the main thread but the data
 * given to {@link initialize}.
 */
import type { InitializeHook, ResolveHook } from 'node:module';

/** What sdk-resolution.ts hands the hooks: each SDK specifier and the file URL it resolves to. */
export interface SdkHooksData {
  readonly specifiers: Readonly<Record<string, string>>;
}

let targets: ReadonlyMap<string, string> = new Map();

export const initialize: InitializeHook<SdkHooksData> = data => {
  targets = new Map(Object.entries(data.specifiers));
};

export const resolve: ResolveHook = (specifier, context, nextResolve) => {
  const url = targets.get(specifier);
  if (url !== undefined) return { url, format: 'module', shortCircuit: true };
  return nextResolve(specifier, context);
};
