/**
 * `gateway.router` as plugins see it. Plugins mount routes with `gateway.route({...})` (authenticated,
 * listed in `gateway.routes`) or `gateway.ingress({...})` (a client API whose handlers run the pipeline);
 * mounting on the router directly goes around both, so it is deprecated: it still works, and a plugin
 * that does it while it is applied gets one warning naming it. Reading the router (`match`, `stack`) and
 * library code that mounts routes on a running gateway are not affected.
 */
import type Router from '@koa/router';
import type { Logger } from 'pino';

const MOUNTING = new Set(['get', 'post', 'put', 'patch', 'delete', 'del', 'head', 'options', 'all', 'use', 'register']);

/** A view of `router` that warns when the plugin `applying()` names mounts a route through it. */
export function pluginRouter(router: Router, log: Logger, applying: () => string | undefined): Router {
  const warned = new Set<string>();
  const view: Router = new Proxy(router, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      if (typeof prop !== 'string' || !MOUNTING.has(prop)) return value.bind(target);
      return (...args: unknown[]) => {
        const plugin = applying();
        if (plugin && !warned.has(plugin)) {
          warned.add(plugin);
          log.warn(
            { plugin, method: prop, path: typeof args[0] === 'string' ? args[0] : undefined },
            'gateway.router is deprecated for mounting routes: use gateway.route({ method, path, auth, handler }) ' +
              '(or gateway.ingress for a client API), which authenticates the route and lists it in gateway.routes',
          );
        }
        value.apply(target, args);
        return view; // the router's methods chain
      };
    },
  });
  return view;
}
