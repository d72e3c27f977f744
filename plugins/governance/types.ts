/** Options of the governance plugins (config section `governance`). See docs/governance.md. */

export type Period = 'day' | 'week' | 'month' | 'lifetime';

/** A USD spending limit over a period. */
export interface BudgetSpec {
  /** Limit in USD. */
  limitUsd: number;
  /** Calendar period in governance.timeZone, or 'lifetime'. Default 'month'. */
  period?: Period;
  /** Soft thresholds in percent that alert once per period. Default [50, 80, 100]. */
  alertAt?: number[];
}

/** Rate limits; every one set must pass. */
export interface LimitSpec {
  requestsPerMinute?: number;
  tokensPerMinute?: number;
  /** Requests in flight at once. */
  concurrent?: number;
}

/** A virtual key defined in the config. */
export interface KeySpec {
  /** Stable id (safe to log, appears in usage). */
  id: string;
  /** The key in plaintext (read it from the environment)... */
  key?: string;
  /** ...or its SHA-256, hex. */
  keyHash?: string;
  name?: string;
  project?: string;
  /** Allowed model names, aliases or "provider/model" ("openai/*" allows a provider). Default: all. */
  models?: string[];
  budgets?: BudgetSpec[];
  limits?: LimitSpec;
  /** ISO date-time after which the key is refused. */
  expiresAt?: string;
  /** Tags added to every usage record of this key. */
  tags?: string[];
  metadata?: Record<string, string>;
}

export interface ProjectSpec {
  budgets?: BudgetSpec[];
  limits?: LimitSpec;
  /** Allowed models for every key of the project (in addition to the key's own list). */
  models?: string[];
}

export interface WebhookSpec {
  url: string;
  /** HMAC-SHA256 secret: the body's signature is sent as `x-switchyard-signature: sha256=<hex>`. */
  secret?: string;
}

export interface AlertsConfig {
  webhooks?: WebhookSpec[];
  /** Delivery attempts per webhook (first included). Default 4. */
  attempts?: number;
  /** First retry delay; doubles each retry. Default 500 ms. */
  backoffMs?: number;
  /** Spend-spike alert: last hour's spend of a key or project vs its trailing hourly average. */
  spike?: {
    /** Alert when the last hour exceeds this multiple of the trailing average. Default 3. */
    multiple?: number;
    /** Hours of history the average is taken over (before the last hour). Default 24. */
    trailingHours?: number;
    /** Ignore spikes below this spend in the last hour (USD). Default 1. */
    minUsd?: number;
    /** How often to check. Default 60 000 ms. */
    checkIntervalMs?: number;
  } | false;
}

export interface LedgerConfig {
  /** SQLite file. Default "./switchyard-usage.db"; ":memory:" keeps nothing across restarts. */
  path?: string;
  /** Records older than this are deleted (checked at start and hourly). Default 90. */
  retentionDays?: number;
  /** Flush the write queue at least this often. Default 1000 ms. */
  flushIntervalMs?: number;
  /** Flush as soon as this many records are queued. Default 500. */
  maxBatch?: number;
}

export interface GovernanceConfig {
  /** Admin API key (else env SWITCHYARD_ADMIN_KEY); the admin API is off without one. */
  adminKey?: string;
  /** IANA time zone for calendar periods and day/hour grouping. Default "UTC". */
  timeZone?: string;
  keys?: KeySpec[];
  projects?: Record<string, ProjectSpec>;
  budgets?: {
    global?: BudgetSpec[];
    /** Keyed by model name as requested, "provider/model", or bare model id. */
    models?: Record<string, BudgetSpec[]>;
  };
  limits?: {
    /** Limits every key gets unless it sets its own. */
    perKey?: LimitSpec;
    /** Keyed like budgets.models. */
    models?: Record<string, LimitSpec>;
  };
  alerts?: AlertsConfig;
  ledger?: LedgerConfig;
  /** Prometheus /metrics. Default true; { path, requireAdminKey }. */
  metrics?: boolean | { path?: string; requireAdminKey?: boolean };
  /** Request header carrying usage tags ("a,b"). Default "x-switchyard-tags". */
  tagsHeader?: string;
  /** Safety factor on the estimated prompt tokens when reserving. Default 1.1 (+16 tokens). */
  promptMargin?: number;
}
