/** What a plugin's `apply(gateway)` receives. */
import type Router from '@koa/router';
import type { Logger } from 'pino';
import type { ResolvedConfig } from './config-types.js';
import type { Hooks } from './hooks.js';
import type { IngressSpec } from './ingress.js';
import type { LoopbackOnly } from './loopback.js';
import type { ProviderRegistry } from './provider.js';
import type { Readiness } from './readiness.js';
import type { MountedRoute, RouteSpec } from './routes.js';
import type { Stage } from './stages.js';
import type { Store } from './store.js';
import type { UpstreamClient } from './upstream.js';

export interface Gateway {
  readonly hooks: Hooks;
  readonly providers: ProviderRegistry;
  /** Shared state (in-memory by default). */
  readonly store: Store;
  /** The gateway's root logger. Never log message content or keys. */
  readonly log: Logger;
  /** Pooled upstream HTTP client (undici); provider adapters send through it. */
  readonly upstream: UpstreamClient;
  /**
   * The gateway's router, for reading (e.g. matching a route).
   * @deprecated for mounting routes: use `route()` (authenticated, listed in `routes`) or `ingress()` (a client
   * API). Mounting on it still works; a plugin that does it while it is applied is warned once (core/plugin-router.ts).
   */
  readonly router: Router;
  /**
   * Mount a plugin route (at apply time) behind the core's authentication: `auth: 'key'` (client keys),
   * `'admin'` (the admin key), `'custom'` (the plugin's own check) or `'public'` with a reason. See core/routes.ts.
   */
  route(spec: RouteSpec): void;
  /**
   * Serve a client API (an ingress dialect, e.g. Anthropic Messages) at apply time: its routes' handlers run
   * the pipeline (auth -> route -> admit -> ... -> meter). See core/ingress.ts and docs/plugins.md#ingresses.
   */
  ingress(spec: IngressSpec): void;
  /** Every route mounted with `route()` or `ingress()`, with its auth rule (what docs and route-audit read). */
  readonly routes: readonly MountedRoute[];
  readonly config: ResolvedConfig;
  readonly Stage: typeof Stage;
  /** Named checks that GET /ready runs (e.g. the Redis store, the PostgreSQL ledger). */
  readonly readiness: Readiness;
  /** Parts that must never serve beyond loopback (listen() refuses a non-loopback address while any is declared). */
  readonly loopbackOnly: LoopbackOnly;
}

/** Internally the pipeline needs nothing more than what plugins get. */
export type GatewayInternals = Gateway;
