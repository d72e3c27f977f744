/** The typed shape of switchyard.config.ts. See docs/configuration.md for every option. */
import type { Logger } from 'pino';
import type { RequestContext } from './context.js';
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
  /**
   * Largest accepted upload (POST /v1/audio/transcriptions and /translations, /v1/images/edits and
   * /variations; multipart) in bytes. Default 25 MiB (OpenAI's own limit for audio).
   */
  uploadLimit?: number;
  /** Serve HTTPS: PEM strings or paths to PEM files. */
  tls?: { cert: string; key: string };
  /** Listen on a non-loopback address although no client auth is configured. Default false. */
  allowUnauthenticatedRemote?: boolean;
  /** How long shutdown waits for in-flight requests and streams. Default 10 000 ms. */
  shutdownTimeoutMs?: number;
  /**
   * After this long with no request started and none open, a listening gateway runs one full garbage
   * collection (once per quiet period), giving back the memory start-up or a burst left. 0 turns it off.
   * Default 10 000 ms. Not done by a gateway mounted in another app.
   */
  idleCollectMs?: number;
  /**
   * Keep V8's allocation-site pretenuring on. Default false: a listening gateway turns it off for its
   * process, because V8 tenured per-request objects under concurrency and kept them tenured, which
   * multiplied the bytes each request promotes (core/pretenuring.ts). Not done by a gateway mounted in
   * another app.
   */
  allocationSitePretenuring?: boolean;
  /**
   * Proxies (addresses or CIDR ranges) whose X-Forwarded-For is believed, to find the client's address
   * (the dashboard's sign-in slow-down is per address). Default none: the socket's peer, header ignored.
   */
  trustedProxies?: string[];
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
  /** Virtual models: a name clients use -> targets and a strategy (see docs/routing.md). */
  models?: Record<string, VirtualModelConfig>;
  /** Tags of targets, keyed by "provider" or "provider/model" (e.g. { 'azure-eu': ['eu', 'zdr'] }). */
  tags?: Record<string, string[]>;
  /** Tags that a key's or a project's traffic requires; routing and failover never go elsewhere. */
  policies?: { keys?: Record<string, TagPolicy>; projects?: Record<string, TagPolicy> };
  /** Accept an ordered `models` list in the request body (OpenRouter-style). Default true. */
  allowModelsList?: boolean;
  /** Accept the `x-switchyard-target: provider/model` header forcing one target. Default true. */
  allowTargetHeader?: boolean;
}

export interface TagPolicy {
  /** Every tag listed must be on a target for this traffic to go there. */
  requireTags: string[];
}

/** A target in a virtual model: "provider/model" or an object with per-target settings. */
export type TargetRef = string | TargetSpec;

export interface TargetSpec {
  /** "provider/model". */
  target: string;
  /** Share of traffic for the `weighted` strategy (relative; percentages by convention). */
  weight?: number;
  /** Request fields merged over the client's for this target. */
  params?: Record<string, unknown>;
  /** Policy tags of this target (added to routing.tags). */
  tags?: string[];
  /** Per-attempt timeout for this target (ms). */
  timeoutMs?: number;
}

export type Strategy = 'fallback' | 'weighted' | 'cheapest' | 'fastest' | 'auto' | 'rules';

/** What the router knows about a chat request before sending it (for cheapest/auto/rules). */
export interface RequestFeatures {
  /** Estimated prompt tokens (tokenizer o200k_base; images at a fixed estimate). */
  promptTokens: number;
  /** max_tokens / max_completion_tokens, if set. */
  maxTokens?: number;
  tools: boolean;
  images: boolean;
  json: boolean;
  /** The last user message looks like code (fences, common keywords). */
  code: boolean;
  stream: boolean;
}

export type Tier = 'strong' | 'cheap';
export type TierClassifier = (features: RequestFeatures, ctx: RequestContext) => Tier | undefined;

export interface RoutingRule {
  /** All given conditions must hold. */
  when: {
    /** Header name (lower-case) -> accepted value(s); "*" accepts any present value. */
    headers?: Record<string, string | string[]>;
    /** Principal ids. */
    keys?: string[];
    projects?: string[];
    /** Request fields -> required value (strict equality), e.g. { stream: true }. */
    params?: Record<string, unknown>;
  };
  /** Route as this model name (virtual model, alias or "provider/model")... */
  use?: string;
  /** ...or to these targets. */
  targets?: TargetRef[];
}

export interface VirtualModelConfig {
  /** Default 'fallback'. */
  strategy?: Strategy;
  targets?: TargetRef[];
  /** weighted: keep an end-user ('user' field, else key) or a key on the same target. */
  sticky?: 'user' | 'key';
  /** fastest: share of requests sent to a random other target to re-measure it. Default 0.1. */
  explore?: number;
  /** auto: the two tiers. */
  tiers?: { strong: TargetRef[]; cheap: TargetRef[] };
  /** auto: a classifier function, or settings of the default heuristic. */
  classifier?: TierClassifier | { longPromptTokens?: number };
  /** rules: first matching rule wins; no match uses `targets`. */
  rules?: RoutingRule[];
  /** cheapest: output tokens assumed when the request sets no max_tokens. Default 256. */
  expectedOutputTokens?: number;
  /** Tags required for any traffic of this model. */
  requireTags?: string[];
  /** Hedge: start the next target when the first has not answered within this delay (ms). */
  hedgeDelayMs?: number;
  attemptTimeoutMs?: number;
  firstChunkTimeoutMs?: number;
  deadlineMs?: number;
  /** Mirror a share of requests to a candidate target (answers discarded, metered with shadow: true). */
  shadow?: { target: TargetRef; percent: number };
}

export interface BreakerConfig {
  /** Consecutive failures that open the breaker. Default 5. */
  failureThreshold?: number;
  /** Failure rate (0..1) in the window that opens it, once minRequests were seen. Default 0.5. */
  failureRate?: number;
  /** Requests in the window before the rate counts. Default 10. */
  minRequests?: number;
  /** Window of the failure rate (ms). Default 30 000. */
  windowMs?: number;
  /** How long an open breaker refuses traffic before a half-open probe (ms). Default 30 000. */
  cooldownMs?: number;
  /** Open at once on connection refused / DNS failure (the host is down). Default true. */
  tripOnUnreachable?: boolean;
}

export interface FailoverConfig {
  /** Retries of the same target on a retryable error before moving to the next. Default 1. */
  retries?: number;
  /** First backoff delay; doubles per retry, with jitter. Default 200 ms. */
  backoffMs?: number;
  /** Cap on one backoff delay, and on a honoured Retry-After. Default 2 000 ms. */
  maxBackoffMs?: number;
  /** Per-attempt timeout (ms); for streams, until the first chunk unless firstChunkTimeoutMs is set. */
  attemptTimeoutMs?: number;
  /** Streams: fail over when no first chunk arrived within this time (ms). */
  firstChunkTimeoutMs?: number;
  /** Overall budget of a request, all attempts and backoffs included (ms). */
  deadlineMs?: number;
  /** Hedge every multi-target request after this delay (ms). Default off; usually set per virtual model. */
  hedgeDelayMs?: number;
  /** Circuit breaker per target; false turns it off. */
  breaker?: BreakerConfig | false;
  /** A context-too-long error (400) goes to a larger-context target: 'larger' picks one from the catalog. */
  onContextTooLong?: 'larger' | string | false;
  /** A content-policy refusal (400) goes to this "provider/model". Default: fail. */
  onContentPolicy?: string | false;
}

/** Provider-native endpoints the gateway relays (docs/endpoints.md#passthrough). */
export interface PassthroughConfig {
  /**
   * USD held against budgets for each passthrough request, and charged when the answer carries no
   * usage the gateway can read (else the usage is priced from the catalog). Default 0.
   */
  estimateUsd?: number;
  /** Largest request body streamed upstream (bytes). Default 512 MiB. */
  maxBodyBytes?: number;
}

/** OpenAI's Files and Batches APIs (docs/forwarded-endpoints.md#files-and-batches). */
export interface BatchesConfig {
  /** Provider for new files and listings (a client may pick another with x-switchyard-provider). Default 'openai'. */
  provider?: string;
  /** Provider of Anthropic message batches (/v1/messages/batches). Default 'anthropic'. */
  anthropicProvider?: string;
  /** USD held against budgets per request line of a batch, at creation. Default 0. */
  requestEstimateUsd?: number;
  /** Largest file upload streamed upstream (bytes). Default 512 MiB. */
  maxUploadBytes?: number;
}

/**
 * The client APIs served by ingress plugins, by name: `false` turns one off (default: all on). Each ingress
 * plugin adds its name here by declaration merging (plugins/anthropic-ingress: `anthropic`, plugins/responses-ingress:
 * `responses`). The core's own OpenAI endpoints are always served.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging in the ingress plugins
export interface IngressesConfig {}

export interface MeterConfig {
  /** Write one metadata-only log line per request. Default true. */
  log?: boolean;
}

export interface LoggingConfig {
  level?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /**
   * Write log lines in batches at most this many ms apart (and whenever 4 KiB are pending); they are
   * always flushed at shutdown and exit. 0 writes every line at once. Default 200.
   */
  bufferMs?: number;
}

/**
 * The config file's shape. Plugins that own a top-level section (cache, catalog, governance) add it to this
 * interface by declaration merging in their own folder, so core names no plugin's types.
 */
export interface SwitchyardConfig {
  server?: ServerConfig;
  /** Provider plugins. Omitted: every provider whose key (or base URL) is in the environment. */
  providers?: Plugin[];
  /** Client authentication with static keys. Omitted: keys from SWITCHYARD_API_KEYS, else none. */
  auth?: AuthConfig | false;
  routing?: RoutingConfig;
  /** Retry then next target. Default on; false turns it off. */
  failover?: FailoverConfig | false;
  /** Usage metering and the per-request log line. Default on. */
  meter?: MeterConfig | false;
  /** /passthrough/{provider}/{path}: relay to a provider's own endpoints. Default off. */
  passthrough?: PassthroughConfig | false;
  /** /v1/files and /v1/batches (OpenAI format), owned per key, budgeted and metered. Default off. */
  batches?: BatchesConfig | false;
  /** Built-in client APIs besides OpenAI's, by name: e.g. `{ anthropic: false }` stops serving /v1/messages. */
  ingresses?: IngressesConfig;
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
