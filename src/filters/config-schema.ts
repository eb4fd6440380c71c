/**
 * How a filter declares the config it takes: any validator that implements Standard Schema v1 (the
 * interface zod, valibot and arktype share; `aeraki/filter` re-exports zod's `z`). aeraki asks it to
 * check a listener's config for the filter when the config arrives, before any request runs: in the
 * control plane (`aeraki validate`, `up`, `control-plane` with `--plugin`) and in the proxy.
 */

/** One problem the schema found: what is wrong, and where in the config. */
export interface ConfigSchemaIssue {
  readonly message: string;
  /** Keys and indexes from the config's root, each a key or `{ key }`. */
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }>;
}

/** What a schema's `validate` returns: the config as the filter gets it (defaults applied), or issues. */
export type ConfigSchemaResult<C> =
  { readonly value: C; readonly issues?: undefined } | { readonly issues: readonly ConfigSchemaIssue[] };

/**
 * A Standard Schema v1 validator whose output is `C`. Validation must be synchronous: a schema
 * whose `validate` returns a promise is refused when the config is checked.
 */
export interface ConfigSchema<C = unknown> {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: string;
    validate(value: unknown): ConfigSchemaResult<C> | Promise<ConfigSchemaResult<C>>;
  };
}

/** A problem of a config, at a path of keys and indexes below the config's root. */
export interface ConfigProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/** The outcome of checking a config: the value the filter gets, or the problems. */
export type CheckedConfig =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly problems: readonly ConfigProblem[] };

/** Whether `value` looks like a Standard Schema v1 validator. */
export function isConfigSchema(value: unknown): value is ConfigSchema {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return false;
  const standard = (value as { '~standard'?: unknown })['~standard'];
  return (
    typeof standard === 'object' &&
    standard !== null &&
    (standard as { version?: unknown }).version === 1 &&
    typeof (standard as { validate?: unknown }).validate === 'function'
  );
}

/**
 * Checks `config` with `schema`. Without a schema any JSON object passes as it is. A schema that
 * throws, or answers with a promise, is reported as a problem at the root (it is the filter's bug,
 * but it must not take the caller down).
 */
export function checkConfig(schema: ConfigSchema | undefined, config: unknown): CheckedConfig {
  if (schema === undefined) return { ok: true, value: config };
  let result: ConfigSchemaResult<unknown> | Promise<ConfigSchemaResult<unknown>>;
  try {
    result = schema['~standard'].validate(config);
  } catch (err) {
    return {
      ok: false,
      problems: [{ path: [], message: `the filter's config schema threw: ${messageOf(err)}` }],
    };
  }
  if (result instanceof Promise) {
    result.catch(() => {});
    return {
      ok: false,
      problems: [
        { path: [], message: "the filter's config schema is asynchronous; it must validate synchronously" },
      ],
    };
  }
  if (result.issues === undefined) return { ok: true, value: result.value };
  return {
    ok: false,
    problems: result.issues.map(issue => ({
      path: (issue.path ?? []).map(segment => {
        const key = typeof segment === 'object' && segment !== null ? segment.key : segment;
        return typeof key === 'number' ? key : String(key);
      }),
      message: issue.message,
    })),
  };
}

/** `a.b[0].c` for a problem's path; empty for the root. */
export function formatConfigPath(path: readonly (string | number)[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
