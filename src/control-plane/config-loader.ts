/**
 * Where the control plane gets its config when it is not a directory it reads itself: something that
 * loads it once, then hands over each new load.
 */
import type { LoadedConfig } from './model/config-set.js';

export interface ConfigLoader {
  /** Loads the config (resolves once it is complete), then calls `onChange` with each new load. */
  start(onChange: (loaded: LoadedConfig) => void): Promise<LoadedConfig>;
  /** Stops watching. */
  close(): Promise<void>;
  /** How the source is doing, for `GET /config`. */
  state?(): unknown;
}
