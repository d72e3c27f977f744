/**
 * The ingress extension point: a client API (a dialect such as Anthropic Messages, OpenAI Responses or
 * a Gemini-native one) that a plugin serves with `gateway.ingress({ name, routes })`.
 *
 * An ingress route is not wrapped by the core's route authentication (`gateway.route`): its handler runs
 * the request through the pipeline, whose `auth` stage authenticates it, answering a refusal in the
 * client's own dialect, and whose end emits the meter record. The building blocks for such a handler:
 * - `chatHandler(gateway, dialect)` (core/http/handlers.ts): the whole chat endpoint for a `Dialect`
 *   (core/http/dialect.ts): parse -> auth -> route -> admit -> ... -> attempts -> render -> meter;
 * - or, for an endpoint of its own: `startRequest`, `createContext` and `authenticate`
 *   (core/request-context.ts), `runChat` or `admitRequest`, then `finishRequest` (core/pipeline.ts);
 * - `AdapterView` (core/provider.ts) to send a request in an upstream's own dialect when a target can take it.
 * Every ingress route is listed in `gateway.routes` with `auth: 'key'` (the auth hook) and its ingress's name.
 * The built-in OpenAI ingress (chat, embeddings, models, completions, media, files, batches, passthrough)
 * is mounted by the core itself through this same extension point, named 'openai' (core/http/ingresses.ts).
 */
import type Router from '@koa/router';
import type Koa from 'koa';
import type { MountedRoute, RouteMethod } from './routes.js';

export interface IngressRoute {
  /** 'all': every method (listed as ALL), e.g. a passthrough. */
  method: RouteMethod | 'all' | Array<RouteMethod | 'all'>;
  /** A path under the gateway's prefix (e.g. '/v1/messages'). */
  path: string;
  /** Runs the request through the pipeline (see the file comment), which authenticates and meters it. */
  handler: Koa.Middleware;
}

export interface IngressSpec {
  /** The dialect's name, e.g. 'anthropic' (also what its handlers set as `ctx.dialect`). Unique per gateway. */
  name: string;
  routes: IngressRoute[];
}

/**
 * The gateway's ingresses. `add` checks a spec and lists its routes at once; the routes are mounted on the
 * router once every plugin is applied (`mount`), right before the core's own, as the built-in dialects always
 * were: a plugin route on the same path (`gateway.route`) is matched first. Added later, an ingress mounts at once.
 */
export class Ingresses {
  readonly #pending: IngressSpec[] = [];
  #router: Router | undefined;

  constructor(readonly mounted: MountedRoute[]) {}

  add(spec: IngressSpec): void {
    if (!spec?.name?.trim()) throw new TypeError('an ingress needs a name');
    if (!spec.routes?.length) throw new TypeError(`the ingress "${spec.name}" has no routes`);
    if (this.mounted.some((r) => r.ingress === spec.name)) {
      throw new TypeError(`the ingress "${spec.name}" is mounted twice: give the second one another name`);
    }
    for (const route of spec.routes) {
      if (typeof route.handler !== 'function') throw new TypeError(`ingress "${spec.name}": a route has no handler`);
      const methods = (Array.isArray(route.method) ? route.method : [route.method]).map((m) => m.toUpperCase());
      this.mounted.push({ methods, path: route.path, auth: 'key', ingress: spec.name });
    }
    if (this.#router) mountOn(this.#router, spec);
    else this.#pending.push(spec);
  }

  /** Mount what was added so far, and from now on mount at once. */
  mount(router: Router): void {
    this.#router = router;
    for (const spec of this.#pending.splice(0)) mountOn(router, spec);
  }
}

function mountOn(router: Router, spec: IngressSpec): void {
  for (const route of spec.routes) {
    for (const m of Array.isArray(route.method) ? route.method : [route.method]) router[m](route.path, route.handler);
  }
}
