/**
 * Config from the Kubernetes API, admitted object by object (see model/object-admission.ts): what the
 * control plane runs with `--kubernetes`.
 */
import { compareIssues, type ConfigIssue } from '../api/index.js';
import type { ConfigLoader } from './config-loader.js';
import type { LoadedConfig } from './model/config-set.js';
import { admitObjects, type AdmittedConfig } from './model/object-admission.js';
import type { SourceDocument, SourceSnapshot, SourceWatch } from './sources/config-source.js';
import type { KubernetesSource } from './sources/kubernetes/kubernetes-source.js';

export class KubernetesConfigLoader implements ConfigLoader {
  private lastAccepted: ReadonlyMap<string, SourceDocument> = new Map();
  private watch: SourceWatch | undefined;
  private admitted: AdmittedConfig | undefined;
  /** More to show in `/config` (the leader election, status writes). */
  extraState: (() => Record<string, unknown>) | undefined;

  constructor(readonly source: KubernetesSource) {}

  /** The last admission: which objects were refused, and why. */
  get latest(): AdmittedConfig | undefined {
    return this.admitted;
  }

  async start(onChange: (loaded: LoadedConfig) => void): Promise<LoadedConfig> {
    const first = this.admit(await this.source.list());
    this.watch = this.source.watch(snapshot => onChange(this.admit(snapshot)));
    return first;
  }

  async close(): Promise<void> {
    this.watch?.close();
    await this.source.close();
  }

  state(): unknown {
    return { kubernetes: this.source.state(), ...this.extraState?.() };
  }

  private admit(snapshot: SourceSnapshot): LoadedConfig {
    const admitted = admitObjects(snapshot, this.lastAccepted);
    this.admitted = admitted;
    this.lastAccepted = admitted.served;
    const leftOut: ConfigIssue[] = [];
    for (const issues of admitted.rejected.values()) leftOut.push(...issues);
    return {
      ...admitted.loaded,
      leftOut: leftOut.sort(compareIssues),
      leftOutObjects: admitted.rejected.size,
    };
  }
}
