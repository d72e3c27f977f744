/** The typed shape of switchyard.config.ts. See docs/configuration.md for every option. */
import type { Logger } from 'pino';
import type { Plugin } from './plugin.js';
import type { Store } from './store.js';
import type { UpstreamOptions } from './upstream.js';

export interface ServerConfig {
  /** Interface to listen on. Default 127.0.0.1. */
  host?: string;
  /** Port. Default 4000. */
  port?: number;
  /** Path prefix for every route (e.g. "/ai" serves /ai/v1/chat/completions). Default none. */
  prefix?: string;
  /** Largest accepted request body in bytes. Default 10 MiB. */
  bodyLimit?: number;
  /** Serve HTTPS: PEM strings or paths to PEM files. */
  tls?: { cert: string; key: string };
  /** Listen on a non-loopback address although no client auth is configured. Default false. */
  allowUnauthenticatedRemote?: boolean;
  /** How long shutdown waits for in-flight requests and streams. Default 10 000 ms. */
  shutdownTimeoutMs?: number;
}

export interface ApiKeyEntry {
  /** Id used in logs and usage (never the key). Default: "key-" + first 8 hex of its hash. */
  id?: string;
  /** The key in plaintext (read it from the environment). */
  key?: string;
  /** Or its SHA-256, hex. */
  keyHash?: string;
  project?: string;
  name?: string;
}

export interface AuthConfig {
  /** Accepted client keys. Clients send them as `Authorization: Bearer <key>` or `x-api-key`. */
  keys: Array<string | ApiKeyEntry>;
}

export interface RoutingConfig {
  /** Model aliases: a name clients use -> one target or an ordered list ("provider/model"). */
  aliases?: Record<string, string | string[]>;
  /** Provider for bare model names that no provider claims. */
  defaultProvider?: string;
}

export interface FailoverConfig {
  /** Retries of the same target on a retryable error before moving to the next. Default 1. */
  retries?: number;
  /** First backoff delay; doubles per retry, with jitter. Default 200 ms. */
  backoffMs?: number;
  /** Cap on one backoff delay, and on a honoured Retry-After. Default 2 000 ms. */
  maxBackoffMs?: number;
}

/** Options of the cache plugin (plugins/cache): exact and semantic tiers. See docs/caching.md. */
export type CacheConfig = import('../plugins/cache/index.js').CacheOptions;

export interface MeterConfig {
  /** Write one metadata-only log line per request. Default true. */
  log?: boolean;
}

export interface LoggingConfig {
  level?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

export interface SwitchyardConfig {
  server?: ServerConfig;
  /** Provider plugins. Omitted: every provider whose key (or base URL) is in the environment. */
  providers?: Plugin[];
  /** Client authentication with static keys. Omitted: keys from SWITCHYARD_API_KEYS, else none. */
  auth?: AuthConfig | false;
  routing?: RoutingConfig;
  /** Retry then next target. Default on; false turns it off. */
  failover?: FailoverConfig | false;
  /** Response cache (exact tier, optional semantic tier). Default off. */
  cache?: CacheConfig | false;
  /** Usage metering and the per-request log line. Default on. */
  meter?: MeterConfig | false;
  upstream?: UpstreamOptions;
  logging?: LoggingConfig;
  /** State store. Default: in-memory. */
  store?: Store;
  /** A pino logger to use instead of the gateway's own (library mode). */
  logger?: Logger;
  /** Your own plugins, applied after the built-in ones, in order. */
  plugins?: Plugin[];
}

export interface ResolvedConfig extends SwitchyardConfig {
  server: Required<Omit<ServerConfig, 'tls'>> & { tls?: ServerConfig['tls'] };
  providers: Plugin[];
  plugins: Plugin[];
}
