/**
 * `aeraki control-plane --kubernetes`: the config source on the Kubernetes API, and what only the
 * leader does (status writes; with --istio the Istio objects and ServiceEntry addresses), with its
 * election.
 */
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { parseDurationMs } from '../api/duration-text.js';
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
import { IstioObjectWriter, type DesiredObjects } from '../control-plane/writers/istio-objects.js';
import { VipAllocator } from '../control-plane/writers/service-entry-vips.js';
import type { LoadedConfig } from '../control-plane/model/config-set.js';
import { translateIstio, type IstioOptions } from '../control-plane/translate/istio/index.js';
import {
  bootstrapConfigMaps,
  type BootstrapOptions,
} from '../control-plane/translate/istio/bootstrap-config.js';
import { DEFAULT_XDS_PORT } from '../control-plane/server/index.js';
import { AerakiError, ErrorCodes } from '../errors.js';
import {
  patchCaBundle,
  serviceDnsNames,
  webhookCertificate,
  type WebhookCertificate,
} from '../control-plane/server/webhook-certificate.js';
import { WebhookServer } from '../control-plane/server/webhook-server.js';
import { AERAKI_KINDS } from '../control-plane/sources/kubernetes/kinds.js';
import { objectUri } from '../control-plane/sources/kubernetes/kubernetes-source.js';
import { RetryBackoff } from '../net/retry-backoff.js';
import { parseHostPort } from './args.js';

export interface KubernetesValues {
  readonly kubeconfig?: string | undefined;
  readonly context?: string | undefined;
  readonly 'cluster-domain': string;
  readonly 'leader-elect': boolean;
  readonly lease?: string | undefined;
  readonly 'lease-duration': string;
  readonly identity?: string | undefined;
  readonly 'webhook-listen'?: string | undefined;
  readonly 'webhook-service': string;
  readonly 'webhook-secret'?: string | undefined;
  readonly 'webhook-configuration'?: string | undefined;
  readonly istio?: boolean;
  readonly 'root-namespace'?: string;
  readonly 'namespace-scope'?: boolean;
  readonly 'xds-cluster'?: string;
  readonly 'xds-address'?: string | undefined;
  readonly 'bootstrap-tls'?: boolean;
}

/** What Istio mode writes: the objects for the latest config and namespaces, and addresses. */
export interface IstioWriters {
  readonly objects: IstioObjectWriter;
  readonly vips: VipAllocator;
}

const LEASE_PREFIX = 'aeraki-replica';

/** The Kubernetes side of a control plane: source, election, status. */
export class KubernetesRuntime {
  readonly loader: KubernetesConfigLoader;
  readonly client: KubeClient;
  readonly description: string;
  readonly statusWriter: StatusWriter;
  /** Present in Istio mode (--istio). */
  readonly istio: IstioWriters | undefined;
  private latest: LoadedConfig | undefined;
  private readonly elector: LeaderElector | undefined;
  private readonly reporter: ReplicaReporter | undefined;
  private controlPlane: ControlPlane | undefined;
  private readonly leaseNamespace: string;
  private webhook: WebhookServer | undefined;
  private readonly certificates = new Map<string, Promise<WebhookCertificate>>();
  private caPem: string | undefined;
  private caTimer: NodeJS.Timeout | undefined;
  private leading = false;

  constructor(
    private readonly values: KubernetesValues,
    private readonly logger: Logger,
  ) {
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
    const [namespace, name] = leaseName(values.lease, '--lease');
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
    this.istio = values.istio === true ? this.istioWriters(values, source) : undefined;
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
        onStartedLeading: () => this.lead(true),
        onStoppedLeading: () => this.lead(false),
      });
    }
    this.loader.extraState = () => ({
      leader: this.elector?.state() ?? { identity, leading: true, lease: '', holder: identity },
      statusWrites: this.statusWriter.writes,
      ...(this.istio === undefined
        ? {}
        : {
            istio: {
              writes: this.istio.objects.writes,
              lastReconcile: this.istio.objects.last,
              addressesWritten: this.istio.vips.writes,
            },
          }),
      ...(this.webhook === undefined ? {} : { webhook: this.webhook.reviews }),
    });
  }

  /** Passed to the control plane as `onPublished`. */
  readonly published = (published: PublishedConfig): void => {
    this.statusWriter.published(published.version);
    this.latest = published.loaded;
    this.istio?.objects.changed();
    this.istio?.vips.changed();
    void this.reporter?.write();
  };

  private istioWriters(values: KubernetesValues, source: KubernetesSource): IstioWriters {
    const istio: Partial<IstioOptions> = {
      rootNamespace: values['root-namespace'] ?? 'istio-system',
      namespaceScope: values['namespace-scope'] ?? false,
      xdsCluster: values['xds-cluster'] ?? 'aeraki-xds',
    };
    const xds = parseHostPort(
      values['xds-address'] ??
        `aeraki.${process.env['POD_NAMESPACE'] ?? 'aeraki-system'}:${DEFAULT_XDS_PORT}`,
      '--xds-address',
    );
    const bootstrap: BootstrapOptions = {
      xdsCluster: istio.xdsCluster ?? 'aeraki-xds',
      xdsAddress: xds.host,
      xdsPort: xds.port,
      tls: values['bootstrap-tls'] ?? false,
    };
    const desired = (): DesiredObjects | undefined => {
      const loaded = this.latest;
      if (loaded === undefined) return undefined;
      const translation = translateIstio(loaded.config, istio, loaded.index);
      return {
        EnvoyFilter: translation.envoyFilters,
        VirtualService: translation.virtualServices,
        ConfigMap: bootstrapConfigMaps(source.objects('Namespace'), bootstrap),
      };
    };
    return {
      objects: new IstioObjectWriter({ client: this.client, logger: this.logger, desired }),
      vips: new VipAllocator({
        client: this.client,
        logger: this.logger,
        entries: () => source.objects('ServiceEntry'),
      }),
    };
  }

  /**
   * Starts the webhook, then the election (or, alone, what the leader does) once the control plane
   * serves. Resolves with the webhook's port (0 without one).
   */
  async start(controlPlane: ControlPlane): Promise<number> {
    this.controlPlane = controlPlane;
    const port = await this.startWebhook(controlPlane);
    if (this.elector === undefined) this.lead(true);
    else {
      this.reporter?.start();
      this.elector.start();
    }
    return port;
  }

  /**
   * The serving certificate kept in the Secret `NS/NAME` (made when missing or expiring) for the
   * names of --webhook-service, the Service in front of the webhook and xDS alike; without a Secret,
   * made in memory. Asked twice for one Secret (webhook and TLS xDS port), it is read once.
   */
  certificate(secretName: string | undefined, option: string): Promise<WebhookCertificate> {
    const key = secretName ?? '';
    let certificate = this.certificates.get(key);
    if (certificate === undefined) {
      const secret = secretName === undefined ? undefined : leaseName(secretName, option);
      certificate = webhookCertificate({
        client: this.client,
        logger: this.logger,
        ...(secret === undefined ? {} : { secret: { namespace: secret[0], name: secret[1] } }),
        dnsNames: serviceDnsNames(this.values['webhook-service']),
      });
      this.certificates.set(key, certificate);
    }
    return certificate;
  }

  private async startWebhook(controlPlane: ControlPlane): Promise<number> {
    const listen = this.values['webhook-listen'];
    if (listen === undefined) return 0;
    const address = parseHostPort(listen, '--webhook-listen');
    const certificate = await this.certificate(this.values['webhook-secret'], '--webhook-secret');
    this.caPem = certificate.caPem;
    this.webhook = new WebhookServer(
      {
        logger: this.logger,
        kinds: new Set(AERAKI_KINDS.map(k => k.kind)),
        current: () => this.loader.latest?.served,
        uriOf: (kind, namespace, name) =>
          objectUri(kind, { metadata: { ...(namespace === undefined ? {} : { namespace }), name } }),
        proxyChecks: config => controlPlane.withProxyChecks(config),
      },
      certificate,
    );
    const port = await this.webhook.listen(address.host, address.port);
    this.logger.info({ webhook: `${address.host}:${port}` }, 'admission webhook serving');
    return port;
  }

  /** What the leader does: status, and the webhook's caBundle. */
  private lead(leading: boolean): void {
    this.leading = leading;
    this.statusWriter.setActive(leading);
    this.istio?.objects.setActive(leading);
    this.istio?.vips.setActive(leading);
    clearTimeout(this.caTimer);
    if (leading) this.writeCaBundle(new RetryBackoff({ initialMs: 500, maxMs: 10_000 }));
  }

  private writeCaBundle(backoff: RetryBackoff): void {
    const configuration = this.values['webhook-configuration'];
    const caPem = this.caPem;
    if (configuration === undefined || caPem === undefined || !this.leading) return;
    patchCaBundle(this.client, configuration, caPem).then(
      changed => {
        if (changed) this.logger.info({ configuration }, 'webhook caBundle written');
      },
      (err: unknown) => {
        this.logger.warn(
          { err: (err as Error).message, configuration },
          'could not write the webhook caBundle; retrying',
        );
        this.caTimer = setTimeout(() => this.writeCaBundle(backoff), backoff.next());
      },
    );
  }

  async stop(): Promise<void> {
    clearTimeout(this.caTimer);
    this.statusWriter.stop();
    this.istio?.objects.stop();
    this.istio?.vips.setActive(false);
    await Promise.all([this.elector?.stop(), this.reporter?.stop(), this.webhook?.close()]);
  }
}

/** `NS/NAME` (default: the Lease in this pod's namespace). */
function leaseName(value: string | undefined, option: string): [string, string] {
  if (value === undefined) return [process.env['POD_NAMESPACE'] ?? 'aeraki-system', 'aeraki-leader'];
  const parts = value.split('/');
  if (parts.length !== 2 || parts[0] === '' || parts[1] === '')
    throw new AerakiError(ErrorCodes.CLI_USAGE, `${option} must be NAMESPACE/NAME, got '${value}'`);
  return [parts[0]!, parts[1]!];
}
