/** What a plugin's `apply(gateway)` receives. */
import type Router from '@koa/router';
import type { Logger } from 'pino';
import type { ResolvedConfig } from './config-types.js';
import type { Hooks } from './hooks.js';
import type { ProviderRegistry } from './provider.js';
import type { Readiness } from './readiness.js';
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
  /** The gateway's router: plugins may add their own routes (e.g. admin endpoints) at apply time. */
  readonly router: Router;
  readonly config: ResolvedConfig;
  readonly Stage: typeof Stage;
  /** Named checks that GET /ready runs (e.g. the Redis store, the PostgreSQL ledger). */
  readonly readiness: Readiness;
}

/** Internally the pipeline needs nothing more than what plugins get. */
export type GatewayInternals = Gateway;
