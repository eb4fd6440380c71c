/**
 * The envelope every config document shares: Kubernetes `apiVersion`, `kind`, `metadata`, `spec`.
 */
import { z } from 'zod';

/** Kubernetes object metadata. Fields other than these are kept but not used. */
export interface ObjectMeta {
  /** Object name, a DNS-1123 subdomain. */
  readonly name: string;
  /** Namespace; documents read from files without one are in `default`. Ignored for cluster-scoped kinds. */
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** Metadata accepts the fields Kubernetes adds (uid, resourceVersion, …) without warnings. */
export const objectMetaSchema: z.ZodType<ObjectMeta> = z.looseObject({
  name: z.string(),
  namespace: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

/** A Kubernetes-style document of kind `K` with spec `S`. */
export interface Resource<K extends string, S> {
  readonly apiVersion: string;
  readonly kind: K;
  readonly metadata: ObjectMeta;
  readonly spec: S;
}

/** The namespace documents land in when they name none (as `kubectl apply` with the default context). */
export const DEFAULT_NAMESPACE = 'default';
