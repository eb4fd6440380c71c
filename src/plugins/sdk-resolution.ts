/**
 * Makes `import … from 'aeraki/codec'` (and `'aeraki/filter'`) resolve to this build of aeraki from
 * any module, by registering the hooks of sdk-hooks.ts once per process.
 */
import { register } from 'node:module';
import type { SdkHooksData } from './sdk-hooks.js';

/** The SDK's specifiers and the files of this build they stand for. */
export function sdkSpecifiers(): Record<string, string> {
  return {
    'aeraki/codec': new URL('../codec/index.js', import.meta.url).href,
    'aeraki/filter': new URL('../filters/filter-sdk.js', import.meta.url).href,
  };
}

let registered = false;

/** Registers the hooks (idempotent). Imports made after it see the SDK specifiers. */
export function registerSdkResolution(): void {
  if (registered) return;
  registered = true;
  const data: SdkHooksData = { specifiers: sdkSpecifiers() };
  register('./sdk-hooks.js', import.meta.url, { data });
}
