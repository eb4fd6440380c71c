/**
 * Aeraki's Redis kinds (redis.aeraki.io/v1alpha1), unchanged: `RedisService` routes a Redis service's
 * commands by key prefix (with mirrors, faults and the proxy's settings, downstream auth among them);
 * `RedisDestination` says how to reach a Redis host (a standalone server or a Redis Cluster, with
 * upstream auth and connection settings). A ServiceEntry port named `tcp-redis[-…]` puts the service
 * behind the Redis proxy. Credentials come inline (`plain`) or from a Kubernetes Secret of the same
 * namespace (`secret`).
 */
import { z } from 'zod';
import { durationSchema } from './duration.js';
import type { Resource } from './metadata.js';

/** How read commands pick a node of a Redis Cluster shard. */
export const REDIS_READ_POLICIES = ['MASTER', 'PREFER_MASTER', 'REPLICA', 'PREFER_REPLICA', 'ANY'] as const;
export type RedisReadPolicyName = (typeof REDIS_READ_POLICIES)[number];

/** A password (and username) from a Secret of the object's namespace. */
export interface RedisSecretReference {
  readonly name: string;
  /** Key of the password in the Secret; default `password`, else `token`. */
  readonly passwordField?: string;
  /** Key of the username in the Secret; none by default. */
  readonly usernameField?: string;
}

/** Credentials written in the document. */
export interface RedisPlainAuth {
  readonly password: string;
  readonly username?: string;
}

/** One of `secret` or `plain`. */
export interface RedisAuth {
  readonly secret?: RedisSecretReference;
  readonly plain?: RedisPlainAuth;
}

export interface RedisServiceSettings {
  /** Match key prefixes ignoring case. */
  readonly caseInsensitive?: boolean;
  /** Per-operation timeout; default 60s (Aeraki's). */
  readonly opTimeout?: string;
  /** Per-command stats per upstream cluster too. */
  readonly enableCommandStats?: boolean;
  /** Batch upstream writes up to this many bytes; 0 = no batching. */
  readonly maxBufferSizeBeforeFlush?: number;
  /** With batching, flush at the latest this long after the first command (default 3ms). */
  readonly bufferFlushTimeout?: string;
  /** Connections to servers known only from redirections (default 100). */
  readonly maxUpstreamUnknownConnections?: number;
  /** Keys with the same `{tag}` go to the same server. */
  readonly enableHashtagging?: boolean;
  /** Follow MOVED and ASK redirections. */
  readonly enableRedirection?: boolean;
  /** Where read commands go in a Redis Cluster; default MASTER. */
  readonly readPolicy?: RedisReadPolicyName | number;
  /** The password clients must AUTH with (downstream auth). */
  readonly auth?: RedisAuth;
}

/** A destination: a Redis host (a ServiceEntry host) and port. */
export interface RedisRouteDestination {
  readonly host: string;
  /** The service port; default the port of the ServiceEntry that matches, or the listener's. */
  readonly port?: number;
}

export interface RedisRoute {
  /** Absent: the catch-all route (at most one). */
  readonly match?: { readonly key?: { readonly prefix?: string; readonly removePrefix?: boolean } };
  readonly route: RedisRouteDestination;
  readonly mirror?: readonly {
    readonly route: RedisRouteDestination;
    /** Share of commands mirrored, 0-100; absent = all. */
    readonly percentage?: { readonly value?: number };
    /** Mirror only commands that write. */
    readonly excludeReadCommands?: boolean;
  }[];
}

export interface RedisFault {
  /** DELAY (default) or ERROR. */
  readonly type?: 'DELAY' | 'ERROR' | number;
  /** Share of commands, 0-100. */
  readonly percentage?: { readonly value?: number };
  /** Delay before the reply (DELAY), or before the error (ERROR). */
  readonly delay?: string;
  /** Commands it applies to; empty = all but AUTH and PING. */
  readonly commands?: readonly string[];
}

export interface RedisServiceSpec {
  /** Hosts of the service (ServiceEntry hosts); the field is singular in Aeraki's API. */
  readonly host: readonly string[];
  readonly settings?: RedisServiceSettings;
  /** Routes by key prefix; the longest prefix wins; one route without `match` takes the rest. */
  readonly redis?: readonly RedisRoute[];
  readonly faults?: readonly RedisFault[];
}

export type RedisService = Resource<'RedisService', RedisServiceSpec>;

export interface RedisDestinationSpec {
  readonly host: string;
  readonly trafficPolicy?: {
    readonly connectionPool?: {
      readonly tcp?: {
        readonly maxConnections?: number;
        readonly connectTimeout?: string;
        readonly tcpKeepalive?: {
          readonly probes?: number;
          readonly time?: string;
          readonly interval?: string;
        };
      };
      readonly redis?: {
        /** PROXY (default): independent servers; CLUSTER: a Redis Cluster. */
        readonly mode?: 'PROXY' | 'CLUSTER' | number;
        /** The credentials the proxy gives the servers (upstream auth). */
        readonly auth?: RedisAuth;
        /** CLUSTER mode: `host[:port]` seeds asked for the topology; default the service's endpoints. */
        readonly discoveryEndpoints?: readonly string[];
      };
    };
  };
}

export type RedisDestination = Resource<'RedisDestination', RedisDestinationSpec>;

const percentSchema = z.strictObject({ value: z.number().optional() });

const authSchema = z.strictObject({
  secret: z
    .strictObject({
      name: z.string(),
      passwordField: z.string().optional(),
      usernameField: z.string().optional(),
    })
    .optional(),
  plain: z.strictObject({ password: z.string(), username: z.string().optional() }).optional(),
});

const destinationSchema = z.strictObject({
  host: z.string(),
  port: z.number().int().min(0).max(65535).optional(),
});

const uint32 = z.number().int().min(0).max(4294967295);

export const redisServiceSpecSchema: z.ZodType<RedisServiceSpec> = z.strictObject({
  host: z.array(z.string()).min(1),
  settings: z
    .strictObject({
      caseInsensitive: z.boolean().optional(),
      opTimeout: durationSchema.optional(),
      enableCommandStats: z.boolean().optional(),
      maxBufferSizeBeforeFlush: uint32.optional(),
      bufferFlushTimeout: durationSchema.optional(),
      maxUpstreamUnknownConnections: uint32.optional(),
      enableHashtagging: z.boolean().optional(),
      enableRedirection: z.boolean().optional(),
      readPolicy: z.union([z.enum(REDIS_READ_POLICIES), z.number().int().min(0).max(4)]).optional(),
      auth: authSchema.optional(),
    })
    .optional(),
  redis: z
    .array(
      z.strictObject({
        match: z
          .strictObject({
            key: z
              .strictObject({ prefix: z.string().optional(), removePrefix: z.boolean().optional() })
              .optional(),
          })
          .optional(),
        route: destinationSchema,
        mirror: z
          .array(
            z.strictObject({
              route: destinationSchema,
              percentage: percentSchema.optional(),
              excludeReadCommands: z.boolean().optional(),
            }),
          )
          .optional(),
      }),
    )
    .optional(),
  faults: z
    .array(
      z.strictObject({
        type: z.union([z.enum(['DELAY', 'ERROR']), z.number().int().min(0).max(1)]).optional(),
        percentage: percentSchema.optional(),
        delay: durationSchema.optional(),
        commands: z.array(z.string()).optional(),
      }),
    )
    .optional(),
});

export const redisDestinationSpecSchema: z.ZodType<RedisDestinationSpec> = z.strictObject({
  host: z.string(),
  trafficPolicy: z
    .strictObject({
      connectionPool: z
        .strictObject({
          tcp: z
            .strictObject({
              maxConnections: z.number().int().min(0).optional(),
              connectTimeout: durationSchema.optional(),
              tcpKeepalive: z
                .strictObject({
                  probes: z.number().int().min(0).optional(),
                  time: durationSchema.optional(),
                  interval: durationSchema.optional(),
                })
                .optional(),
            })
            .optional(),
          redis: z
            .strictObject({
              mode: z.union([z.enum(['PROXY', 'CLUSTER']), z.number().int().min(0).max(1)]).optional(),
              auth: authSchema.optional(),
              discoveryEndpoints: z.array(z.string()).optional(),
            })
            .optional(),
        })
        .optional(),
    })
    .optional(),
});

/** The read policy's name whether written as a name or as its enum number. */
export function readPolicyName(value: RedisReadPolicyName | number | undefined): RedisReadPolicyName {
  if (typeof value === 'number') return REDIS_READ_POLICIES[value] ?? 'MASTER';
  return value ?? 'MASTER';
}

/** A RedisDestination's mode whether written as a name or as its enum number. */
export function redisModeName(value: 'PROXY' | 'CLUSTER' | number | undefined): 'PROXY' | 'CLUSTER' {
  return value === 'CLUSTER' || value === 1 ? 'CLUSTER' : 'PROXY';
}

/** A fault's type whether written as a name or as its enum number. */
export function faultTypeName(value: 'DELAY' | 'ERROR' | number | undefined): 'DELAY' | 'ERROR' {
  return value === 'ERROR' || value === 1 ? 'ERROR' : 'DELAY';
}
