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
  /** Budgets and limits of each end user of this key (over governance.endUsers'). */
  endUsers?: EndUserSpecs;
}

/** Budgets and rate limits that each end user gets, within each key. */
export interface EndUserSpecs {
  budgets?: BudgetSpec[];
  limits?: LimitSpec;
}

/** End users within a key (see docs/governance.md#end-users). */
export interface EndUsersConfig extends EndUserSpecs {
  /** Take the end-user id from this request header first (e.g. "x-switchyard-user"). */
  header?: string;
  /** Take it from the body: OpenAI `user`, Anthropic `metadata.user_id`. Default true. */
  body?: boolean;
  /**
   * Replace every id by `u_` + the first 32 hex digits of HMAC-SHA256(hashSecret, id) before anything
   * uses it (ids may then be any text, e-mail addresses included; the raw id is never logged or stored).
   * Without it, ids must be opaque: A-Z a-z 0-9 . _ : - (no '@'), at most 128 characters.
   */
  hashSecret?: string;
  /** Refuse requests without an end-user id (400). Default false. */
  required?: boolean;
  /**
   * End users whose budget and limit state is kept in memory at once (least recently seen leave first). Default
   * 10 000.
   */
  maxTracked?: number;
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
  spike?:
    | {
        /** Alert when the last hour exceeds this multiple of the trailing average. Default 3. */
        multiple?: number;
        /** Hours of history the average is taken over (before the last hour). Default 24. */
        trailingHours?: number;
        /** Ignore spikes below this spend in the last hour (USD). Default 1. */
        minUsd?: number;
        /** How often to check. Default 60 000 ms. */
        checkIntervalMs?: number;
      }
    | false;
}

export interface LedgerConfig {
  /** SQLite file. Default "./switchyard-usage.db"; ":memory:" keeps nothing across restarts. */
  path?: string;
  /** Records older than this are deleted (checked at start and hourly). Default 90. */
  retentionDays?: number;
  /** Flush the write queue at least this often. Default 1000 ms. */
  flushIntervalMs?: number;
  /** Flush as soon as this many records are queued. Default 64. */
  maxBatch?: number;
  /**
   * Write the batches on a worker thread with its own connection to the file (not for ":memory:"), so
   * SQLite's work runs beside the requests. Started with the first batch. Default true.
   */
  thread?: boolean;
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
  /**
   * Prometheus /metrics. Default on, readable with the admin key or the metrics token; false turns it
   * off. { path, token, public: true (no credential needed), requireAdminKey: false (same as public) }.
   */
  metrics?: boolean | { path?: string; token?: string; public?: boolean; requireAdminKey?: boolean };
  /** End users within a key: attribution, budgets and rate limits per end user. Off unless set. */
  endUsers?: EndUsersConfig;
  /** Request header carrying usage tags ("a,b"). Default "x-switchyard-tags". */
  tagsHeader?: string;
  /** Safety factor on the estimated prompt tokens when reserving. Default 1.1 (+16 tokens). */
  promptMargin?: number;
}

/**
 * The quickstart's well-known development admin key. Anyone can read it in the docs, so a gateway
 * using it (governance or dashboard) never listens beyond loopback (core/loopback.ts).
 */
export const LOCAL_ADMIN_KEY = 'local-admin-key-change-me';
