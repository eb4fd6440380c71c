/**
 * Envoy's prefix routes: the route whose prefix is the longest that starts the key wins; the
 * catch-all route takes keys no prefix matches. Prefixes compare as bytes, ignoring ASCII case when
 * the routes are case-insensitive. Routes are tried longest prefix first, so a lookup costs at most
 * the sum of the prefix lengths, whatever the key's length.
 */
import type { RedisRouteResource } from '../../xds/redis-resources.js';

/** A route ready to match. */
export interface CompiledRoute {
  readonly resource: RedisRouteResource;
  /** The prefix as bytes (lower-cased when case-insensitive). */
  readonly prefix: Buffer;
  /** Position of the route in the listener (catch-all last), to group keys by route. */
  readonly index: number;
}

export class PrefixRouter {
  /** Longest prefix first. */
  readonly routes: readonly CompiledRoute[];
  readonly catchAll: CompiledRoute | undefined;

  constructor(
    routes: readonly RedisRouteResource[],
    catchAll: RedisRouteResource | undefined,
    private readonly caseInsensitive: boolean,
  ) {
    const compile = (resource: RedisRouteResource, index: number): CompiledRoute => ({
      resource,
      prefix: Buffer.from(caseInsensitive ? resource.prefix.toLowerCase() : resource.prefix, 'utf8'),
      index,
    });
    this.routes = routes.map(compile).sort((a, b) => b.prefix.length - a.prefix.length);
    this.catchAll = catchAll === undefined ? undefined : compile(catchAll, routes.length);
  }

  /** The route for the key at `[start, end)` of `buf`, or `undefined` (no route: "no upstream host"). */
  match(buf: Uint8Array, start: number, end: number): CompiledRoute | undefined {
    const length = end - start;
    const routes = this.routes;
    for (let r = 0; r < routes.length; r++) {
      const route = routes[r]!;
      const prefix = route.prefix;
      if (prefix.length > length) continue;
      let i = 0;
      if (this.caseInsensitive) {
        for (; i < prefix.length; i++) {
          let c = buf[start + i]!;
          if (c >= 65 && c <= 90) c += 32;
          if (c !== prefix[i]) break;
        }
      } else {
        for (; i < prefix.length; i++) if (buf[start + i] !== prefix[i]) break;
      }
      if (i === prefix.length) return route;
    }
    return this.catchAll;
  }
}
