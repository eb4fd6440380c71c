/**
 * Kubernetes `Secret` (v1), the source of Redis credentials named by `auth.secret`: values in `data`
 * are base64, values in `stringData` are plain text and win over `data` for the same key (as the API
 * server merges them). In a config directory a Secret is a document like any other; in Kubernetes
 * mode the same model is fed by the API server.
 */
import { z } from 'zod';
import type { Resource } from './metadata.js';

/** A Secret's content. Unlike other kinds a Secret has no `spec`: these fields sit at the top level. */
export interface SecretSpec {
  /** Key → base64-encoded value. */
  readonly data?: Readonly<Record<string, string>>;
  /** Key → plain value. */
  readonly stringData?: Readonly<Record<string, string>>;
  readonly type?: string;
  readonly immutable?: boolean;
}

export type Secret = Resource<'Secret', SecretSpec>;

const base64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The top-level fields of a Secret document besides apiVersion, kind and metadata. */
export const secretFieldsSchema = z.strictObject({
  data: z
    .record(
      z.string(),
      z.string().refine(v => base64.test(v) && v.length % 4 === 0, {
        message: 'must be base64 (use stringData for plain text)',
        params: { rule: 'secret-base64' },
      }),
    )
    .optional(),
  stringData: z.record(z.string(), z.string()).optional(),
  type: z.string().optional(),
  immutable: z.boolean().optional(),
});

/** The value of `key` in a Secret, decoded; `undefined` when the Secret has no such key. */
export function secretValue(secret: SecretSpec, key: string): string | undefined {
  const plain = secret.stringData?.[key];
  if (plain !== undefined) return plain;
  const encoded = secret.data?.[key];
  return encoded === undefined ? undefined : Buffer.from(encoded, 'base64').toString('utf8');
}
