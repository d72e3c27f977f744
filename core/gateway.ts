/**
 * createGateway: resolve the config, build hooks and registries, apply plugins, mount routes.
 * Returns the Koa app, a middleware for mounting inside another Koa app, listen() and close().
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type Router from '@koa/router';
import type Koa from 'koa';
import { Koa as KoaApplication, Router as KoaRouter } from './cjs-packages.js';
import { resolveConfig } from './config.js';
import type { ResolvedConfig, SwitchyardConfig } from './config-types.js';
import { GatewayError } from './errors.js';
import type { Gateway } from './gateway-types.js';
import { createHooks } from './hooks.js';
import { checkListenHost, LoopbackOnly } from './loopback.js';
import { DirectContext, isDirect, originPath } from './http/direct.js';
import { mountIngresses } from './http/ingresses.js';
import { startIdleCollection } from './idle-collection.js';
import { stopAllocationSitePretenuring } from './pretenuring.js';
import { Ingresses, type IngressSpec } from './ingress.js';
import { jsonBodyToText, keepJsonBodies } from './http/json-bodies.js';
import { markOwnApp } from './http/respond.js';
import { openaiErrorBody } from './http/openai-dialect.js';
import { createLogger, stopLogger } from './logger.js';
import { backgroundWork, errorSummary } from './pipeline.js';
import { cutOpenRequests } from './http/open-requests.js';
import { applyPlugin, checkDependencies, validatePlugin, type Plugin } from './plugin.js';
import { pluginRouter } from './plugin-router.js';
import { ProviderRegistry } from './provider.js';
import { Readiness } from './readiness.js';
import { mountRoute, type MountedRoute, type RouteSpec } from './routes.js';
import { Stage } from './stages.js';
import { MemoryStore, type Store } from './store.js';
import { UpstreamClient } from './upstream.js';

export interface ListenOptions {
  port?: number;
  host?: string;
}

export interface Listening {
  server: http.Server | https.Server;
  /** Base URL of the running gateway, e.g. http://127.0.0.1:4000 (plus the prefix). */
  url: string;
}

export interface SwitchyardGateway extends Gateway {
  /** A standalone Koa app serving the gateway (with a JSON 404 for unknown routes). */
  readonly app: Koa;
  /** Middleware serving the gateway's routes, for `yourApp.use(gateway.middleware())`. */
  middleware(): Koa.Middleware;
  /** Start serving (HTTPS when server.tls is set). Refuses non-loopback hosts without auth (core/loopback.ts). */
  listen(options?: ListenOptions): Promise<Listening>;
  /** Stop accepting, let in-flight requests and streams finish (bounded), then release everything. */
  close(): Promise<void>;
  /** Requests being served right now. */
  readonly inFlight: number;
  readonly draining: boolean;
}

/**
 * What the package root plugs into the core: core names no plugin, so the built-in plugins that config
 * sections switch on, and the providers found in the environment, come from here.
 */
export interface GatewayWiring {
  /** Providers when the config names none. */
  envProviders?: () => Plugin[];
  /** The built-in plugins for the resolved config, applied after the providers and before `plugins`. */
  builtins?: (config: ResolvedConfig) => Plugin[];
}

/** The core's gateway factory. Use `createGateway` from the package root, which adds the built-in wiring. */
export async function assembleGateway(
  config: SwitchyardConfig = {},
  wiring: GatewayWiring = {},
): Promise<SwitchyardGateway> {
  const resolved: ResolvedConfig = resolveConfig(config, () => wiring.envProviders?.() ?? []);
  const log = resolved.logger ?? createLogger(resolved.logging);
  const hooks = createHooks();
  const providers = new ProviderRegistry();
  const store: Store = resolved.store ?? new MemoryStore();
  const upstream = new UpstreamClient(resolved.upstream);
  const router = new KoaRouter(resolved.server.prefix ? { prefix: resolved.server.prefix } : {});

  const readiness = new Readiness();
  const loopbackOnly = new LoopbackOnly();
  const mounted: MountedRoute[] = [];
  const ingresses = new Ingresses(mounted);
  let applying: string | undefined; // the plugin being applied (plugin-router.ts warns it)
  const gateway: Gateway = Object.freeze({
    hooks,
    providers,
    store,
    log,
    upstream,
    router: pluginRouter(router, log, () => applying),
    config: resolved,
    Stage,
    readiness,
    loopbackOnly,
    routes: mounted,
    route: (spec: RouteSpec) => mountRoute(gateway, router, mounted, spec),
    ingress: (spec: IngressSpec) => ingresses.add(spec),
  });
  // Built before the store attaches, so that a config mistake is reported before any connection is made.
  const plugins: Plugin[] = [...resolved.providers, ...(wiring.builtins?.(resolved) ?? []), ...resolved.plugins];
  await store.attach?.(gateway);

  for (const plugin of plugins) validatePlugin(plugin);
  checkDependencies(plugins);
  for (const plugin of plugins) {
    applying = plugin.name;
    await applyPlugin(plugin, gateway).finally(() => {
      applying = undefined;
    });
  }

  let draining = false;
  let inFlight = 0;
  let started = 0; // requests ever started: the idle collection's sign of traffic
  let idleCollection: { stop(): void } | undefined;
  let handling = 0; // handlers still running (a handler meters its request before it returns)
  let listening: Listening | undefined;

  mounted.push(
    { methods: ['GET'], path: '/health', auth: 'public', note: 'liveness probe' },
    { methods: ['GET'], path: '/ready', auth: 'public', note: 'readiness probe (provider names, check states)' },
  );
  router.get('/health', (kctx) => {
    kctx.body = { status: 'ok' };
  });
  router.get('/ready', async (kctx) => {
    const names = providers.list().map((p) => p.name);
    // Contributors (gateway.readiness) add named checks; any `ready: false` answers 503.
    const extra = readiness.size ? await readiness.run() : undefined;
    const ready = !draining && names.length > 0 && (extra?.ready ?? true);
    kctx.status = ready ? 200 : 503;
    const status = draining ? 'draining' : names.length === 0 ? 'no_providers' : ready ? 'ready' : 'not_ready';
    kctx.body = { status, providers: names, ...(extra ? { checks: extra.checks } : {}) };
  });
  ingresses.mount(router); // the plugins' ingresses (Anthropic Messages, Responses, yours), then the core's own
  mountIngresses(gateway);

  const routes = router.routes();
  let hot: Map<string, Koa.Middleware> | undefined; // on the first request: every plugin has mounted its routes
  const allowed = router.allowedMethods({
    throw: true,
    methodNotAllowed: () => new GatewayError(405, 'Method not allowed for this URL.', { code: 'method_not_allowed' }),
    notImplemented: () => new GatewayError(501, 'Method not implemented.', { code: 'not_implemented' }),
  });

  // One listener function for every response ('close' fires once: `on` spares once()'s wrapper objects).
  const closed = () => {
    inFlight--;
  };
  const serve: Koa.Middleware = async (kctx, next) => {
    inFlight++;
    started++;
    handling++;
    kctx.res.on('close', closed);
    if (draining) kctx.set('connection', 'close');
    try {
      const direct =
        kctx.method === 'POST' ? (hot ??= hotRoutes(router, resolved.server.prefix)).get(kctx.path) : undefined;
      if (direct) return await direct(kctx, next);
      // Router middleware is typed for router contexts; at runtime it accepts any Koa context.
      await (routes as unknown as Koa.Middleware)(kctx, async () => (allowed as unknown as Koa.Middleware)(kctx, next));
    } catch (e) {
      const { status, body } = unhandled(e);
      kctx.status = status;
      kctx.body = body;
    } finally {
      // in the gateway's own app, an object body leaves as text (http/json-bodies.ts)
      if (kctx.app === app && kctx.respond !== false && !kctx.headerSent) {
        try {
          jsonBodyToText(kctx);
        } catch (e) {
          const { status, body } = unhandled(e);
          kctx.status = status;
          kctx.body = JSON.stringify(body);
        }
      }
      handling--;
    }
  };

  /** The answer to an error no handler answered: a GatewayError's own, else a logged 500. */
  const unhandled = (e: unknown): { status: number; body: unknown } => {
    const err = e instanceof GatewayError ? e : undefined;
    if (!err) log.error({ err: errorSummary(e) }, 'unhandled error');
    const body = err
      ? openaiErrorBody(err)
      : { error: { message: 'Internal error.', type: 'server_error', param: null, code: 'internal_error' } };
    return { status: err?.status ?? 500, body };
  };

  /** `serve` for a hot route whose handler is the core's own, in the gateway's own server (http/direct.ts). */
  const serveDirect = (handler: Koa.Middleware, req: http.IncomingMessage, res: http.ServerResponse) => {
    inFlight++;
    started++;
    handling++;
    res.on('close', closed);
    if (draining) res.setHeader('connection', 'close');
    // A promise chain, not an async function: nothing of this frame waits with the request (what lives while
    // requests wait is what each young-generation GC copies: bench/profile-notes.md, ninth round).
    let served: Promise<unknown>;
    try {
      served = Promise.resolve(handler(new DirectContext(app, req, res) as unknown as Koa.Context, NO_NEXT));
    } catch (e) {
      served = Promise.reject(e);
    }
    served.then(directDone, (e) => {
      directFailed(e, res);
      handling--;
    });
  };
  const directDone = () => {
    handling--;
  };
  /** An error the core's handler did not answer (it answers its own): a GatewayError's answer, else a 500. */
  const directFailed = (e: unknown, res: http.ServerResponse) => {
    try {
      const { status, body } = unhandled(e);
      if (res.headersSent) res.destroy();
      else {
        const text = JSON.stringify(body);
        res.writeHead(status, {
          'content-type': 'application/json; charset=utf-8',
          'content-length': Buffer.byteLength(text),
        });
        res.end(text);
      }
    } catch {
      res.destroy();
    }
  };
  let directRoutes: Map<string, Koa.Middleware> | undefined;
  /** The server's request handler: hot routes served by the core's own handlers skip Koa. */
  const serverHandler =
    (koa: (req: http.IncomingMessage, res: http.ServerResponse) => unknown) =>
    (req: http.IncomingMessage, res: http.ServerResponse) => {
      if (req.method === 'POST' && app.middleware.length === 2 && app.middleware[0] === serve) {
        directRoutes ??= directOnly((hot ??= hotRoutes(router, resolved.server.prefix)));
        const path = originPath(req.url);
        const handler = path === undefined ? undefined : directRoutes.get(path);
        if (handler) return void serveDirect(handler, req, res);
      }
      return koa(req, res);
    };

  const app = new KoaApplication();
  markOwnApp(app);
  keepJsonBodies(app);
  app.silent = true; // errors are answered and logged by `serve`
  app.use(serve);
  app.use((kctx) => {
    kctx.status = 404;
    kctx.body = openaiErrorBody(
      new GatewayError(404, `Unknown request URL: ${kctx.method} ${kctx.path}.`, { code: 'unknown_url' }),
    );
  });

  await hooks.ready.promise();

  const self: SwitchyardGateway = {
    ...gateway,
    app,
    middleware: () => serve,
    get inFlight() {
      return inFlight;
    },
    get draining() {
      return draining;
    },
    async listen(options: ListenOptions = {}): Promise<Listening> {
      const host = options.host ?? resolved.server.host;
      const port = options.port ?? resolved.server.port;
      await checkListenHost(gateway, host); // the address actually bound, whatever server.host says
      const tls = resolved.server.tls;
      const handler = serverHandler(app.callback());
      const server = tls
        ? https.createServer({ cert: pem(tls.cert), key: pem(tls.key) }, handler)
        : http.createServer(handler);
      server.keepAliveTimeout = 65_000;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve());
      });
      const addr = server.address() as AddressInfo;
      const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      listening = { server, url: `${tls ? 'https' : 'http'}://${shownHost}:${addr.port}${resolved.server.prefix}` };
      log.info({ url: listening.url, providers: providers.list().map((p) => p.name) }, 'switchyard listening');
      if (!resolved.server.allocationSitePretenuring) stopAllocationSitePretenuring();
      const quietMs = resolved.server.idleCollectMs;
      idleCollection?.stop();
      if (quietMs > 0)
        idleCollection = startIdleCollection({ quietMs, started: () => started, open: () => inFlight, log });
      return listening;
    },
    async close(): Promise<void> {
      if (draining) return;
      draining = true;
      idleCollection?.stop();
      const server = listening?.server;
      const closed = server ? new Promise<void>((r) => server.close(() => r())) : Promise.resolve();
      server?.closeIdleConnections();
      const deadline = Date.now() + resolved.server.shutdownTimeoutMs;
      while (inFlight > 0 && Date.now() < deadline) await sleep(25);
      if (inFlight > 0) {
        // Past the grace: cut what is still open with an error the client can read (an SSE error event
        // in its dialect, or an error body), and let those handlers meter their requests.
        const cut = cutOpenRequests(hooks);
        log.warn({ inFlight, cut }, 'shutdown timeout: cutting open requests and closing remaining connections');
        await until(() => handling === 0, CUT_GRACE_MS);
      }
      server?.closeAllConnections();
      await closed;
      // Handlers whose connection was just closed finish (and meter) on their own: wait for them, then
      // for every meter tap (budget settlement, the ledger's buffer) and cache store before the close hooks
      // flush the ledger and stop the cache, and before the store closes.
      await until(() => handling === 0, CUT_GRACE_MS);
      if (!(await backgroundWork(hooks, METER_GRACE_MS)))
        log.warn('shutdown: meter work or cache stores still pending; closing anyway');
      await hooks.close.promise().catch((err) => log.warn({ err: errorSummary(err) }, 'a close hook failed'));
      await Promise.allSettled(providers.list().map((p) => p.close?.()));
      await upstream.close().catch(() => undefined);
      await store.close().catch(() => undefined);
      log.info('switchyard stopped');
      await new Promise<void>((r) => log.flush(() => r()));
      stopLogger(log);
    },
  };
  return self;
}

/** After cutting open requests: how long their handlers get to write the error and meter. */
const CUT_GRACE_MS = 2_000;
/** How long shutdown waits for meter taps (budget settlement, ledger buffering) and cache stores to finish. */
const METER_GRACE_MS = 5_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(done: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done() && Date.now() < deadline) await sleep(10);
}

/** The model endpoints, answered without the router's per-request matching (see hotRoutes). */
const HOT_PATHS = ['/v1/chat/completions', '/v1/embeddings', '/v1/messages', '/v1/responses'];

/**
 * POST routes that exactly one router layer serves with a single handler (no plugin route or
 * router middleware shares the path): `serve` calls that handler directly. @koa/router would
 * otherwise resolve the Host header, test every route's pattern and compose a chain per request
 * (~3% of a request's CPU in bench/). Computed once all plugins have mounted their routes.
 */
function hotRoutes(router: Router, prefix: string): Map<string, Koa.Middleware> {
  const out = new Map<string, Koa.Middleware>();
  for (const path of HOT_PATHS) {
    const full = prefix + path;
    const m = router.match(full, 'POST');
    const only = m.path.length === 1 && m.pathAndMethod.length === 1 ? m.pathAndMethod[0] : undefined;
    if (only && only.stack.length === 1) out.set(full, only.stack[0] as unknown as Koa.Middleware);
  }
  return out;
}

/** The hot routes whose handler can be served without Koa (http/direct.ts). */
function directOnly(hot: Map<string, Koa.Middleware>): Map<string, Koa.Middleware> {
  return new Map([...hot].filter(([, handler]) => isDirect(handler)));
}

const NO_NEXT = async () => undefined;

function pem(value: string): string {
  return value.includes('-----BEGIN') ? value : readFileSync(value, 'utf8');
}
