/**
 * Plugin routes: `gateway.route({ method, path, auth, handler })` mounts a route on the gateway's router
 * behind one of four rules, so a plugin's URL is authenticated unless the plugin says otherwise, in code:
 * - 'key': the core's client authentication (the auth hook, as for the model endpoints). Without any
 *   auth plugin installed every caller passes, as on the model endpoints (listen() keeps such a
 *   gateway on loopback). The handler gets the caller as `ctx.principal`.
 * - 'admin': the admin key (`adminKey`; none configured answers 403 admin_disabled).
 * - 'custom': the plugin's own credential check (`guard`), e.g. a metrics token or a dashboard
 *   session. It throws a GatewayError to refuse, or answers itself and returns false.
 * - 'public': no authentication; `reason` says why in the code and in `gateway.routes`.
 * A refusal is an OpenAI-shaped error body. Every mounted route is listed in `gateway.routes`.
 */
import type Router from '@koa/router';
import type Koa from 'koa';
import { adminGuard } from './admin-auth.js';
import type { ModelsContext } from './context.js';
import type { Gateway } from './gateway-types.js';
import { openaiErrorBody } from './http/openai-dialect.js';
import { asGatewayError } from './pipeline.js';
import { authenticate, createContext, requestId } from './request-context.js';

export type RouteMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** `ctx` is an auth-only context (operation 'models'): its principal is set on 'key' routes. */
export type RouteHandler = (kctx: Koa.Context, ctx: ModelsContext, next: Koa.Next) => unknown;

interface RouteBase {
  method: RouteMethod | RouteMethod[];
  /** A path under the gateway's prefix, or a RegExp that includes the prefix (the router does not prefix those). */
  path: string | RegExp;
  handler: RouteHandler;
}

export type RouteAuth =
  | { auth: 'key' }
  | { auth: 'admin'; adminKey: string | undefined }
  | { auth: 'custom'; guard: (kctx: Koa.Context) => boolean | void | Promise<boolean | void>; what: string }
  | { auth: 'public'; reason: string };

export type RouteSpec = RouteBase & RouteAuth;

/** A route as listed in `gateway.routes`. */
export interface MountedRoute {
  methods: string[];
  path: string | RegExp;
  auth: RouteAuth['auth'];
  /** Why a public route is public; what a custom guard checks. */
  note?: string;
  /** The ingress that mounted it (`gateway.ingress`, core/ingress.ts): its handler runs the pipeline's auth. */
  ingress?: string;
}

type Check = (kctx: Koa.Context, ctx: ModelsContext) => Promise<boolean>;

function checkFor(gateway: Gateway, spec: RouteAuth): Check {
  switch (spec.auth) {
    case 'key':
      return async (_kctx, ctx) => {
        await authenticate(gateway, ctx);
        return true;
      };
    case 'admin': {
      const check = adminGuard(spec.adminKey);
      return async (kctx) => {
        check(kctx.headers);
        return true;
      };
    }
    case 'custom':
      return async (kctx) => (await spec.guard(kctx)) !== false;
    case 'public':
      if (!spec.reason?.trim()) throw new TypeError('a public route needs a reason');
      return async () => true;
    default:
      throw new TypeError(`unknown route auth "${(spec as { auth?: unknown }).auth}"`);
  }
}

/** Mount `spec` on the gateway's `router` (see the file comment); records it in `mounted`. */
export function mountRoute(gateway: Gateway, router: Router, mounted: MountedRoute[], spec: RouteSpec): void {
  const check = checkFor(gateway, spec);
  const kind = spec.auth === 'admin' ? 'admin' : 'route';
  const middleware = async (kctx: Koa.Context, next: Koa.Next) => {
    const ctx = createContext(gateway, kind, { id: requestId(kctx.get('x-request-id')), headers: kctx.headers });
    try {
      if (!(await check(kctx, ctx))) return;
      await spec.handler(kctx, ctx, next);
    } catch (e) {
      const err = asGatewayError(e, ctx);
      kctx.set(err.headers ?? {});
      kctx.status = err.status;
      kctx.body = openaiErrorBody(err);
    }
  };
  const methods = Array.isArray(spec.method) ? spec.method : [spec.method];
  // The router's types want string paths; a RegExp route is matched as given at runtime.
  for (const m of methods) router[m](spec.path as string, middleware as unknown as Koa.Middleware);
  const note = spec.auth === 'public' ? spec.reason : spec.auth === 'custom' ? spec.what : undefined;
  const listed = methods.map((m) => m.toUpperCase());
  mounted.push({ methods: listed, path: spec.path, auth: spec.auth, ...(note ? { note } : {}) });
}
