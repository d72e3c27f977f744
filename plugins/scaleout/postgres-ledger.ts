/**
 * The PostgreSQL usage ledger (the `pg` driver): the governance Ledger interface over one schema
 * shared by every gateway instance. Writes are batched (multi-row INSERT, budget charges summed per
 * counter, one transaction per batch). Indexes: BRIN on time (tiny, ideal for append-only time
 * order; new ranges summarised by prune(), i.e. hourly), and (key_id, time), (project, time),
 * (model, time), (requested_model, time) B-trees for the filtered /admin/usage queries, GIN on tags.
 *
 * Outage: append() never fails. Records wait in a bounded in-memory buffer and are written, in
 * order, when PostgreSQL answers again (retried with backoff); nothing within `maxBuffered` is
 * lost. Records beyond it are dropped, counted (`dropped`), logged, and shown in /ready and
 * /metrics. Reads (usage API) fail while the database is unreachable.
 */
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Counter, Registry } from 'prom-client';
import { loadPg, loadPromClient } from '../../core/optional-deps.js';
import { GatewayError } from '../../core/errors.js';
import { localLabel } from '../governance/periods.js';
import type { GroupBy, Ledger, LedgerEntry, LedgerRecord, StoredKey, UsageFilter, UsageGroup, UsageResult, UsageTotals } from '../governance/ledger/types.js';

export interface PostgresLedgerOptions {
  /** postgres://user:pass@host:port/db. Default: the PG* environment variables. */
  url?: string;
  /** Schema of the tables (created if missing). Default "switchyard". */
  schema?: string;
  /** Pool size per instance. Default 5. */
  poolSize?: number;
  /** Records kept in memory while PostgreSQL is unreachable; beyond, they are dropped and counted. Default 100 000. */
  maxBuffered?: number;
  /** Rows per INSERT statement. Default 1000. */
  insertBatch?: number;
  /** Connect and statement timeouts (ms). Default 2000 / 10 000. */
  connectTimeoutMs?: number;
  statementTimeoutMs?: number;
  /** Retry delay while down: first, doubled per failure, capped. Default 200 / 5000 ms. */
  retryMs?: number;
  maxRetryMs?: number;
  /** Rows deleted per statement by prune() (keeps retention transactions short). Default 50 000. */
  pruneBatch?: number;
  /** Answer 503 on /ready while PostgreSQL is down. Default false (records are buffered). */
  notReadyWhenDown?: boolean;
  /** Logger for outage transitions (set by the sharedGovernance plugin when omitted). */
  log?: Logger;
}

const COLUMNS = ['time', 'request_id', 'key_id', 'project', 'provider', 'model', 'requested_model', 'operation', 'stream', 'status',
  'error_code', 'cache', 'input_tokens', 'cached_tokens', 'cache_write_tokens', 'output_tokens', 'reasoning_tokens', 'total_tokens',
  'cost_pusd', 'cost_saved_pusd', 'latency_ms', 'upstream_ms', 'ttft_ms', 'attempts', 'aborted', 'shadow', 'tags'] as const;

const ident = (s: string) => {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(s)) throw new Error(`postgresLedger(): option "schema" must be a lower-case SQL identifier (got "${s}").`);
  return `"${s}"`;
};

function schemaSql(s: string): string {
  // One implicit transaction; the advisory lock serialises instances that start at the same time.
  return `
SELECT pg_advisory_xact_lock(7362516);
CREATE SCHEMA IF NOT EXISTS ${s};
CREATE TABLE IF NOT EXISTS ${s}.usage (
  time bigint NOT NULL, request_id text NOT NULL, key_id text, project text, provider text, model text,
  requested_model text, operation text, stream boolean, status integer, error_code text, cache text,
  input_tokens bigint, cached_tokens bigint, cache_write_tokens bigint, output_tokens bigint,
  reasoning_tokens bigint, total_tokens bigint, cost_pusd bigint, cost_saved_pusd bigint,
  latency_ms double precision, upstream_ms double precision, ttft_ms double precision, attempts integer,
  aborted boolean, shadow boolean, tags text[] NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS usage_time_brin ON ${s}.usage USING brin (time) WITH (pages_per_range = 32, autosummarize = on);
CREATE INDEX IF NOT EXISTS usage_key_time ON ${s}.usage (key_id, time);
CREATE INDEX IF NOT EXISTS usage_project_time ON ${s}.usage (project, time);
CREATE INDEX IF NOT EXISTS usage_model_time ON ${s}.usage (model, time);
CREATE INDEX IF NOT EXISTS usage_requested_model_time ON ${s}.usage (requested_model, time);
CREATE INDEX IF NOT EXISTS usage_tags ON ${s}.usage USING gin (tags);
CREATE TABLE IF NOT EXISTS ${s}.budget_spend (key text PRIMARY KEY, spent_pusd bigint NOT NULL, expires_at bigint);
CREATE TABLE IF NOT EXISTS ${s}.virtual_keys (
  id text PRIMARY KEY, hash text NOT NULL UNIQUE, created_at bigint NOT NULL, revoked_at bigint, attrs jsonb NOT NULL
);`;
}

const DIM_SQL: Record<GroupBy, string> = {
  model: 'coalesce(u.model, u.requested_model)', provider: 'u.provider', key: 'u.key_id', project: 'u.project',
  status: 'u.status', tag: 't.value', day: 'u.time / 900000', hour: 'u.time / 900000',
};

const AGG = `count(*) AS requests, count(*) FILTER (WHERE u.status >= 400) AS errors,
  count(*) FILTER (WHERE u.cache IN ('hit','semantic-hit')) AS cache_hits, count(*) FILTER (WHERE u.attempts > 1) AS failovers,
  sum(u.input_tokens) AS input_tokens, sum(u.cached_tokens) AS cached_tokens, sum(u.output_tokens) AS output_tokens,
  sum(u.reasoning_tokens) AS reasoning_tokens, sum(u.total_tokens) AS total_tokens, sum(u.cost_pusd) AS cost_pusd,
  sum(u.cost_saved_pusd) AS cost_saved_pusd, sum(u.latency_ms) AS latency_ms`;

type Row = Record<string, unknown>;

export class PostgresLedger implements Ledger {
  readonly pool: pg.Pool;
  readonly metrics: Registry;
  readonly #s: string;
  readonly #o: PostgresLedgerOptions;
  #log: Logger | undefined;
  #ready: Promise<void> | undefined;
  #buffer: LedgerEntry[] = [];
  #writing: Promise<void> = Promise.resolve();
  #up = true;
  #failures = 0;
  #retryTimer: NodeJS.Timeout | undefined;
  #downSince: number | null = null;
  #lastError: string | undefined;
  #dropped = 0;
  #written = 0;
  #closed = false;
  readonly #droppedMetric: Counter;

  constructor(options: PostgresLedgerOptions = {}) {
    this.#o = options;
    this.#s = ident(options.schema ?? 'switchyard');
    this.#log = options.log;
    const { Counter, Gauge, Registry } = loadPromClient();
    this.metrics = new Registry();
    this.pool = new (loadPg().Pool)({
      connectionString: options.url,
      max: options.poolSize ?? 5,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 2000,
      statement_timeout: options.statementTimeoutMs ?? 10_000,
      idleTimeoutMillis: 30_000,
    });
    this.pool.on('error', (err) => { this.#lastError = err.message; }); // idle client lost: the next query reconnects
    const registers = [this.metrics];
    const self = this;
    new Gauge({ name: 'switchyard_ledger_up', help: 'Usage ledger (PostgreSQL) reachable: 1 yes, 0 no.', registers, collect() { this.set(self.#up ? 1 : 0); } });
    new Gauge({ name: 'switchyard_ledger_buffered_records', help: 'Usage records waiting in memory for PostgreSQL.', registers, collect() { this.set(self.#buffer.length); } });
    this.#droppedMetric = new Counter({ name: 'switchyard_ledger_dropped_records_total', help: 'Usage records lost because the buffer was full while PostgreSQL was unreachable.', registers });
  }

  set log(log: Logger) {
    this.#log ??= log;
  }

  /** Create the schema (once; also awaited by every call). */
  init(): Promise<void> {
    this.#ready ??= this.pool.query(schemaSql(this.#s)).then(() => undefined, (e) => { this.#ready = undefined; throw e; });
    return this.#ready;
  }

  get status() {
    return {
      up: this.#up, buffered: this.#buffer.length, dropped: this.#dropped, written: this.#written,
      maxBuffered: this.#o.maxBuffered ?? 100_000,
      ...(this.#up ? {} : { downSinceMs: this.#downSince ? Date.now() - this.#downSince : null, lastError: this.#lastError }),
    };
  }

  readiness() {
    return { ready: this.#up || !this.#o.notReadyWhenDown, state: this.#up ? 'up' : 'down', ...this.status };
  }

  // --- writes ---
  async append(entries: LedgerEntry[]): Promise<void> {
    if (!entries.length) return;
    for (const e of entries) this.#buffer.push(e);
    if (this.#up) await this.#drain();
    this.#bound();
  }

  /** While PostgreSQL is down, keep at most maxBuffered records (the oldest); count the rest as lost. */
  #bound(): void {
    const max = this.#o.maxBuffered ?? 100_000;
    if (this.#up || this.#buffer.length <= max) return;
    const lost = this.#buffer.length - max;
    this.#buffer.length = max;
    this.#dropped += lost;
    this.#droppedMetric.inc(lost);
    this.#log?.error({ lost, dropped: this.#dropped, maxBuffered: max }, 'postgres ledger: buffer full while PostgreSQL is unreachable; usage records dropped');
  }

  /** Write the buffer in order; on failure keep it and retry later. Never rejects. */
  #drain(): Promise<void> {
    this.#writing = this.#writing.then(async () => {
      while (this.#buffer.length && !this.#closed) {
        const batch = this.#buffer.slice(0, this.#o.insertBatch ?? 1000);
        try {
          await this.#write(batch);
        } catch (e) {
          this.#down(e as Error);
          return;
        }
        this.#buffer.splice(0, batch.length);
        this.#written += batch.length;
        this.#markUp();
      }
    });
    return this.#writing;
  }

  #down(err: Error): void {
    this.#lastError = err.message;
    this.#failures++;
    if (this.#up) {
      this.#up = false;
      this.#downSince = Date.now();
      this.#log?.warn({ err: { message: err.message }, buffered: this.#buffer.length }, 'postgres ledger: write failed; buffering usage records in memory until PostgreSQL answers');
    }
    this.#bound();
    if (this.#closed || this.#retryTimer) return;
    const delay = Math.min(this.#o.maxRetryMs ?? 5000, (this.#o.retryMs ?? 200) * 2 ** Math.min(this.#failures - 1, 10));
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      void this.#drain();
    }, delay);
    this.#retryTimer.unref();
  }

  #markUp(): void {
    this.#failures = 0;
    if (this.#up) return;
    this.#up = true;
    this.#log?.info({ downMs: this.#downSince ? Date.now() - this.#downSince : 0, written: this.#written, dropped: this.#dropped }, 'postgres ledger: PostgreSQL reachable again; buffered records written');
    this.#downSince = null;
  }

  async #write(batch: LedgerEntry[]): Promise<void> {
    await this.init();
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      const params: unknown[] = [];
      const rows: string[] = [];
      for (const { record: r } of batch) {
        const base = params.length;
        params.push(r.time, r.requestId, r.keyId, r.project, r.provider, r.model, r.requestedModel, r.operation, r.stream, r.status,
          r.errorCode, r.cache, r.inputTokens, r.cachedTokens, r.cacheWriteTokens, r.outputTokens, r.reasoningTokens, r.totalTokens,
          r.costPusd, r.costSavedPusd, r.latencyMs, r.upstreamMs, r.ttftMs, r.attempts, r.aborted, r.shadow, r.tags);
        rows.push(`(${COLUMNS.map((_, i) => `$${base + i + 1}`).join(',')})`);
      }
      await client.query(`INSERT INTO ${this.#s}.usage (${COLUMNS.join(',')}) VALUES ${rows.join(',')}`, params);
      // One row per counter per statement (ON CONFLICT cannot touch a row twice).
      const charges = new Map<string, { pusd: number; expiresAt: number | null }>();
      for (const { charges: cs } of batch) for (const c of cs) {
        if (!c.pusd) continue;
        const prev = charges.get(c.key);
        charges.set(c.key, { pusd: (prev?.pusd ?? 0) + c.pusd, expiresAt: c.expiresAt });
      }
      if (charges.size) {
        const p: unknown[] = [];
        const v = [...charges].map(([k, c]) => { p.push(k, c.pusd, c.expiresAt); return `($${p.length - 2},$${p.length - 1},$${p.length})`; });
        await client.query(`INSERT INTO ${this.#s}.budget_spend (key, spent_pusd, expires_at) VALUES ${v.join(',')}
          ON CONFLICT (key) DO UPDATE SET spent_pusd = budget_spend.spent_pusd + excluded.spent_pusd`, p);
      }
      await client.query('COMMIT');
    } catch (e) {
      broken = true;
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      client.release(broken);
    }
  }

  /** Wait for queued writes (tests, shutdown). Resolves even while PostgreSQL is down. */
  async flush(): Promise<void> {
    if (this.#up && this.#buffer.length) await this.#drain();
    await this.#writing;
  }

  // --- reads ---
  async #q(sql: string, params: unknown[] = []): Promise<Row[]> {
    try {
      await this.init();
      return (await this.pool.query(sql, params)).rows as Row[];
    } catch (e) {
      throw new GatewayError(503, `The usage ledger (PostgreSQL) is unavailable: ${(e as Error).message}`, { type: 'server_error', code: 'ledger_unavailable', cause: e });
    }
  }

  #where(f: UsageFilter): { sql: string; params: unknown[] } {
    const parts: string[] = [];
    const params: unknown[] = [];
    const p = (v: unknown) => { params.push(v); return `$${params.length}`; };
    if (f.from !== undefined) parts.push(`u.time >= ${p(f.from)}`);
    if (f.to !== undefined) parts.push(`u.time < ${p(f.to)}`);
    if (f.key !== undefined) parts.push(`u.key_id = ${p(f.key)}`);
    if (f.project !== undefined) parts.push(`u.project = ${p(f.project)}`);
    if (f.provider !== undefined) parts.push(`u.provider = ${p(f.provider)}`);
    if (f.status !== undefined) parts.push(`u.status = ${p(f.status)}`);
    if (f.model !== undefined) {
      // model, requested model, or "provider/model" (provider names have no "/"): every branch can use an index.
      const m = p(f.model);
      const slash = f.model.indexOf('/');
      const pm = slash > 0 ? ` OR (u.provider = ${p(f.model.slice(0, slash))} AND u.model = ${p(f.model.slice(slash + 1))})` : '';
      parts.push(`(u.model = ${m} OR u.requested_model = ${m}${pm})`);
    }
    if (f.tag !== undefined) parts.push(`u.tags @> ARRAY[${p(f.tag)}]::text[]`);
    return { sql: parts.length ? `WHERE ${parts.join(' AND ')}` : '', params };
  }

  async query(filter: UsageFilter, groupBy: GroupBy[], timeZone: string): Promise<UsageResult> {
    await this.flush();
    const w = this.#where(filter);
    const totals = toTotals((await this.#q(`SELECT ${AGG} FROM ${this.#s}.usage u ${w.sql}`, w.params))[0]);
    if (!groupBy.length) return { totals, groups: [] };
    const dims = groupBy.map((g, i) => `${DIM_SQL[g]} AS g${i}`).join(', ');
    const join = groupBy.includes('tag') ? 'LEFT JOIN LATERAL unnest(u.tags) AS t(value) ON true' : '';
    const by = groupBy.map((_, i) => `g${i}`).join(', ');
    const rows = await this.#q(`SELECT ${dims}, ${AGG} FROM ${this.#s}.usage u ${join} ${w.sql} GROUP BY ${by}`, w.params);
    const merged = new Map<string, { group: Record<string, string | number | null>; row: Row }>();
    for (const row of rows) {
      const group: Record<string, string | number | null> = {};
      groupBy.forEach((g, i) => {
        const v = row[`g${i}`] as string | number | null;
        group[g] = g === 'day' || g === 'hour' ? localLabel(Number(v) * 900_000, g, timeZone) : g === 'status' && v !== null ? Number(v) : v;
      });
      const id = JSON.stringify(group);
      const m = merged.get(id);
      if (!m) merged.set(id, { group, row: { ...row } });
      else for (const k of Object.keys(row)) if (!k.startsWith('g')) m.row[k] = Number(m.row[k] ?? 0) + Number(row[k] ?? 0);
    }
    const groups: UsageGroup[] = [...merged.values()].map(({ group, row }) => ({ group, ...toTotals(row) }));
    groups.sort((a, b) => b.costUsd - a.costUsd || b.requests - a.requests);
    return { totals, groups };
  }

  async records(filter: UsageFilter, limit: number): Promise<LedgerRecord[]> {
    await this.flush();
    const w = this.#where(filter);
    const rows = await this.#q(`SELECT * FROM ${this.#s}.usage u ${w.sql} ORDER BY u.time DESC LIMIT $${w.params.length + 1}`, [...w.params, limit]);
    return rows.map(fromRow);
  }

  async budgetSpend(keys: string[]): Promise<Map<string, number>> {
    if (!keys.length) return new Map();
    const rows = await this.#q(`SELECT key, spent_pusd FROM ${this.#s}.budget_spend WHERE key = ANY($1::text[])`, [keys]);
    return new Map(rows.map((r) => [String(r.key), Number(r.spent_pusd)]));
  }

  async spendBy(scope: 'key' | 'project', from: number, to: number): Promise<Map<string, number>> {
    const col = scope === 'key' ? 'key_id' : 'project';
    const rows = await this.#q(`SELECT ${col} AS id, sum(cost_pusd) AS pusd FROM ${this.#s}.usage
      WHERE time >= $1 AND time < $2 AND ${col} IS NOT NULL GROUP BY ${col}`, [from, to]);
    return new Map(rows.map((r) => [String(r.id), Number(r.pusd)]));
  }

  /** Retention: delete records before `before` in batches (short transactions, BRIN-friendly). */
  async prune(before: number): Promise<number> {
    let total = 0;
    const batch = this.#o.pruneBatch ?? 50_000;
    for (;;) {
      const rows = await this.#q(`WITH old AS (SELECT ctid FROM ${this.#s}.usage WHERE time < $1 LIMIT $2)
        DELETE FROM ${this.#s}.usage u USING old WHERE u.ctid = old.ctid RETURNING 1`, [before, batch]);
      total += rows.length;
      if (rows.length < batch) break;
    }
    await this.#q(`DELETE FROM ${this.#s}.budget_spend WHERE expires_at IS NOT NULL AND expires_at < $1`, [Date.now()]);
    // Block ranges written since the last summary match every BRIN scan until summarised: do it with
    // the hourly retention run (autosummarize also does it, on autovacuum's schedule).
    await this.#q(`SELECT brin_summarize_new_values('${this.#s}.usage_time_brin'::regclass)`);
    return total;
  }

  async saveKey(k: StoredKey): Promise<void> {
    await this.#q(`INSERT INTO ${this.#s}.virtual_keys (id, hash, created_at, revoked_at, attrs) VALUES ($1, $2, $3, $4, $5)
      ON CONFLICT (id) DO UPDATE SET revoked_at = excluded.revoked_at, attrs = excluded.attrs`,
    [k.id, k.hash, k.createdAt, k.revokedAt, JSON.stringify(k.attrs)]);
  }

  async loadKeys(): Promise<StoredKey[]> {
    const rows = await this.#q(`SELECT * FROM ${this.#s}.virtual_keys`);
    return rows.map((r) => ({ id: String(r.id), hash: String(r.hash), createdAt: Number(r.created_at), revokedAt: r.revoked_at === null ? null : Number(r.revoked_at), attrs: r.attrs as Record<string, unknown> }));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    // One last attempt for what is buffered, bounded by the statement timeout.
    if (this.#buffer.length) await this.#drain();
    this.#closed = true;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    if (this.#buffer.length) {
      this.#log?.error({ lost: this.#buffer.length }, 'postgres ledger: closing with usage records PostgreSQL never accepted; they are lost');
      this.#dropped += this.#buffer.length;
    }
    await this.pool.end().catch(() => undefined);
  }
}

/** A PostgreSQL usage ledger for `sharedGovernance(...)` or `governance(options, { ledger })`. */
export function postgresLedger(options: PostgresLedgerOptions = {}): PostgresLedger {
  return new PostgresLedger(options);
}

const n = (v: unknown) => Number(v ?? 0);

function toTotals(r: Row): UsageTotals {
  const requests = n(r.requests);
  return {
    requests, errors: n(r.errors), cacheHits: n(r.cache_hits), failovers: n(r.failovers),
    inputTokens: n(r.input_tokens), cachedTokens: n(r.cached_tokens), outputTokens: n(r.output_tokens),
    reasoningTokens: n(r.reasoning_tokens), totalTokens: n(r.total_tokens),
    costUsd: n(r.cost_pusd) / 1e12, costSavedUsd: n(r.cost_saved_pusd) / 1e12,
    latencyMsAvg: requests ? Math.round((n(r.latency_ms) / requests) * 1000) / 1000 : 0,
  };
}

function fromRow(r: Row): LedgerRecord {
  return {
    time: n(r.time), requestId: String(r.request_id), keyId: r.key_id as string | null, project: r.project as string | null,
    provider: r.provider as string | null, model: r.model as string | null, requestedModel: String(r.requested_model ?? ''),
    operation: String(r.operation), stream: r.stream === true, status: n(r.status), errorCode: r.error_code as string | null,
    cache: r.cache as string | null, inputTokens: n(r.input_tokens), cachedTokens: n(r.cached_tokens),
    cacheWriteTokens: n(r.cache_write_tokens), outputTokens: n(r.output_tokens), reasoningTokens: n(r.reasoning_tokens),
    totalTokens: n(r.total_tokens), costPusd: n(r.cost_pusd), costSavedPusd: n(r.cost_saved_pusd), latencyMs: n(r.latency_ms),
    upstreamMs: n(r.upstream_ms), ttftMs: r.ttft_ms === null ? null : n(r.ttft_ms), attempts: n(r.attempts),
    aborted: r.aborted === true, shadow: r.shadow === true, tags: (r.tags as string[] | null) ?? [],
  };
}
