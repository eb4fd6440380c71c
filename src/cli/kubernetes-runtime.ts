/**
 * `aeraki control-plane --kubernetes`: the config source on the Kubernetes API, and what only the
 * leader does (status writes), with its election.
 */
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { parseDurationMs } from '../api/duration.js';
import type { ControlPlane, PublishedConfig } from '../control-plane/control-plane.js';
import { KubernetesConfigLoader } from '../control-plane/kubernetes-config.js';
import { KubeClient } from '../control-plane/sources/kubernetes/kube-client.js';
import { KubernetesSource } from '../control-plane/sources/kubernetes/kubernetes-source.js';
import { LeaderElector } from '../control-plane/writers/leader-election.js';
import {
  proxiesInSync,
  ReplicaReporter,
  type ReplicaReport,
} from '../control-plane/writers/replica-reports.js';
import { StatusWriter } from '../control-plane/writers/status-writer.js';
import { AerakiError, ErrorCodes } from '../errors.js';

export interface KubernetesValues {
  readonly kubeconfig?: string | undefined;
  readonly context?: string | undefined;
  readonly 'cluster-domain': string;
  readonly 'leader-elect': boolean;
  readonly lease?: string | undefined;
  readonly 'lease-duration': string;
  readonly identity?: string | undefined;
}

const LEASE_PREFIX = 'aeraki-replica';

/** The Kubernetes side of a control plane: source, election, status. */
export class KubernetesRuntime {
  readonly loader: KubernetesConfigLoader;
  readonly client: KubeClient;
  readonly description: string;
  readonly statusWriter: StatusWriter;
  private readonly elector: LeaderElector | undefined;
  private readonly reporter: ReplicaReporter | undefined;
  private controlPlane: ControlPlane | undefined;
  private readonly leaseNamespace: string;

  constructor(values: KubernetesValues, logger: Logger) {
    this.client = KubeClient.load({
      ...(values.kubeconfig === undefined ? {} : { kubeconfig: values.kubeconfig }),
      ...(values.context === undefined ? {} : { context: values.context }),
    });
    const source = new KubernetesSource({
      client: this.client,
      logger,
      clusterDomain: values['cluster-domain'],
    });
    this.loader = new KubernetesConfigLoader(source);
    this.description = `kubernetes ${this.client.server}`;
    const [namespace, name] = leaseName(values.lease);
    this.leaseNamespace = namespace;
    const identity = values.identity ?? process.env['POD_NAME'] ?? `${hostname()}-${process.pid}`;
    const leaseMs = parseDurationMs(values['lease-duration']);
    if (leaseMs === undefined || leaseMs < 1000)
      throw new AerakiError(
        ErrorCodes.CLI_USAGE,
        `--lease-duration must be a duration of at least 1s, got '${values['lease-duration']}'`,
      );
    const ownReport = (): Omit<ReplicaReport, 'identity'> => {
      const version = this.controlPlane?.version;
      return {
        ...(version === undefined ? {} : { version }),
        proxies: this.controlPlane === undefined ? 0 : proxiesInSync(this.controlPlane.server.status()),
      };
    };
    const reportPeriodMs = Math.max(500, Math.min(5000, Math.round(leaseMs / 3)));
    this.statusWriter = new StatusWriter({
      client: this.client,
      logger,
      objects: kind => source.objects(kind),
      admitted: () => this.loader.latest,
      reports: async () =>
        this.reporter === undefined
          ? [{ identity, ...ownReport() }]
          : ReplicaReporter.read(this.client, this.leaseNamespace),
      periodMs: reportPeriodMs,
    });
    if (values['leader-elect']) {
      this.reporter = new ReplicaReporter({
        client: this.client,
        logger,
        namespace,
        prefix: LEASE_PREFIX,
        identity,
        report: ownReport,
        periodMs: reportPeriodMs,
      });
      this.elector = new LeaderElector({
        client: this.client,
        logger,
        namespace,
        name,
        identity,
        leaseDurationMs: leaseMs,
        onStartedLeading: () => this.statusWriter.setActive(true),
        onStoppedLeading: () => this.statusWriter.setActive(false),
      });
    }
    this.loader.extraState = () => ({
      leader: this.elector?.state() ?? { identity, leading: true, lease: '', holder: identity },
      statusWrites: this.statusWriter.writes,
    });
  }

  /** Passed to the control plane as `onPublished`. */
  readonly published = (published: PublishedConfig): void => {
    this.statusWriter.published(published.version);
    void this.reporter?.write();
  };

  /** Starts the election (or, alone, the status writer) once the control plane serves. */
  start(controlPlane: ControlPlane): void {
    this.controlPlane = controlPlane;
    if (this.elector === undefined) {
      this.statusWriter.setActive(true);
      return;
    }
    this.reporter?.start();
    this.elector.start();
  }

  async stop(): Promise<void> {
    this.statusWriter.stop();
    await Promise.all([this.elector?.stop(), this.reporter?.stop()]);
  }
}

function leaseName(value: string | undefined): [string, string] {
  if (value === undefined) return [process.env['POD_NAMESPACE'] ?? 'aeraki-system', 'aeraki-leader'];
  const parts = value.split('/');
  if (parts.length !== 2 || parts[0] === '' || parts[1] === '')
    throw new AerakiError(ErrorCodes.CLI_USAGE, `--lease must be NAMESPACE/NAME, got '${value}'`);
  return [parts[0]!, parts[1]!];
}
