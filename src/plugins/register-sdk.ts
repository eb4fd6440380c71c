/**
 * `node --import <aeraki>/dist/src/plugins/register-sdk.js …`: lets any script (a plugin's own tests)
 * import `aeraki/codec` and `aeraki/filter` from this build of aeraki, as `--plugin` does.
 */
import { registerSdkResolution } from './sdk-resolution.js';

registerSdkResolution();
