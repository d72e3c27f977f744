/**
 * The PostgreSQL usage ledger (the `pg` driver): the governance Ledger interface over one schema
 * shared by every gateway instance. Writes are batched (multi-row INSERT, budget charges summed per
 * counter, one transaction per batch). Indexes: BRIN on time (tiny, ideal for append-only time
 * order; new ranges summarised by prune(), i.e. hourly), and (key_id, time), (project, time),
 * (model, time), (requested_model, time) B-trees for the filtered /admin/usage queries, GIN on tags.
 *
 * Outage: append() never fails. Records wait in a bounded in-memory buffer and are written, in
 * order, when PostgreSQL answers again (retried with backoff); nothing within `maxBuffered` is
 * lost. Each batch is written exactly once: it keeps its id and its records across retries, and its
 * transaction first records the id in `ledger_batches`, so a retry after a COMMIT whose answer was
 * lost finds the id and writes nothing again (no duplicate rows, no budget spend counted twice).
 * Records beyond `maxBuffered` are dropped, counted (`dropped`), logged, and shown in /ready and
 * /metrics. Reads (usage API) fail while the database is unreachable.
 *
 * Bad data is not an outage. Records are stored through `storable()` (no NUL or control characters,
 * bounded text, integers in range); if PostgreSQL still refuses a batch for its data (SQLSTATE class
 * 22 data exception, 23 integrity constraint, 54 program limit), the batch is written again row by
 * row and each row it refuses is quarantined: dropped, counted (`quarantined`, /metrics), logged
 * without content, its budget charges still persisted. Only connection-level failures (and every
 * other error) keep the batch buffered for a retry.
 *
 * Filters, aggregates and row mapping are shared with the SQLite ledger (governance's ledger/query.ts).
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Counter, Registry } from 'prom-client';
import { loadPg, loadPromClient } from '../../core/optional-deps.js';
import { GatewayError } from '../../core/errors.js';
import type {
  GroupBy,
  Ledger,
  LedgerDialect,
  LedgerEntry,
  LedgerRecord,
  LedgerRow,
  StoredKey,
  UsageFilter,
  UsageResult,
} from '../governance/index.js';
import {
  fromRow,
  groupsSql,
  recordValues,
  storable,
  totalsSql,
  USAGE_COLUMNS,
  usageResult,
  whereSql,
} from '../governance/index.js';
import { PluginOptionsError } from '../../core/plugin.js';
import { checkPostgresLedgerOptions } from './options.js';

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

/** A PostgreSQL error about the data of a row (not the connection or the server): SQLSTATE classes 22, 23, 54. */
export function isDataError(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  return typeof code === 'string' && /^(22|23|54)[0-9A-Z]{3}$/.test(code);
}

const ident = (s: string) => {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(s))
    throw new PluginOptionsError('postgres-ledger', 'schema', `must be a lower-case SQL identifier (got "${s}")`);
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
  aborted boolean, shadow boolean, tags text[] NOT NULL DEFAULT '{}', usage_estimated boolean NOT NULL DEFAULT false,
  guardrails jsonb, end_user text, units jsonb
);
ALTER TABLE ${s}.usage ADD COLUMN IF NOT EXISTS usage_estimated boolean NOT NULL DEFAULT false;
ALTER TABLE ${s}.usage ADD COLUMN IF NOT EXISTS guardrails jsonb;
ALTER TABLE ${s}.usage ADD COLUMN IF NOT EXISTS end_user text;
ALTER TABLE ${s}.usage ADD COLUMN IF NOT EXISTS units jsonb;
CREATE INDEX IF NOT EXISTS usage_time_brin ON ${s}.usage USING brin (time)
  WITH (pages_per_range = 32, autosummarize = on);
CREATE INDEX IF NOT EXISTS usage_key_time ON ${s}.usage (key_id, time);
CREATE INDEX IF NOT EXISTS usage_project_time ON ${s}.usage (project, time);
CREATE INDEX IF NOT EXISTS usage_model_time ON ${s}.usage (model, time);
CREATE INDEX IF NOT EXISTS usage_requested_model_time ON ${s}.usage (requested_model, time);
CREATE INDEX IF NOT EXISTS usage_tags ON ${s}.usage USING gin (tags);
CREATE INDEX IF NOT EXISTS usage_user_time ON ${s}.usage (end_user, time);
CREATE TABLE IF NOT EXISTS ${s}.budget_spend (key text PRIMARY KEY, spent_pusd bigint NOT NULL, expires_at bigint);
CREATE TABLE IF NOT EXISTS ${s}.ledger_batches (id text PRIMARY KEY, written_at bigint NOT NULL);
CREATE TABLE IF NOT EXISTS ${s}.virtual_keys (
  id text PRIMARY KEY, hash text NOT NULL UNIQUE, created_at bigint NOT NULL, revoked_at bigint, attrs jsonb NOT NULL
);`;
}

/** PostgreSQL's dialect of the shared ledger queries. */
const PG: LedgerDialect = {
  param: (n) => `$${n}`,
  bool: (v) => v,
  tags: (tags) => tags,
  // model, requested model, or "provider/model" (provider names have no "/"): every branch can use an index.
  model: (model, bind) => {
    const m = bind(model);
    const slash = model.indexOf('/');
    const pm =
      slash > 0
        ? ` OR (u.provider = ${bind(model.slice(0, slash))} AND u.model = ${bind(model.slice(slash + 1))})`
        : '';
    return `(u.model = ${m} OR u.requested_model = ${m}${pm})`;
  },
  hasTag: (p) => `u.tags @> ARRAY[${p}]::text[]`,
  tagJoin: 'LEFT JOIN LATERAL unnest(u.tags) AS t(value) ON true',
  countIf: (cond) => `count(*) FILTER (WHERE ${cond})`,
  sum: 'sum',
  sumReal: 'sum',
  unit: (name) => `(u.units->>'${name}')::double precision`,
};

export class PostgresLedger implements Ledger {
  readonly pool: pg.Pool;
  readonly metrics: Registry;
  readonly #s: string;
  readonly #o: PostgresLedgerOptions;
  #log: Logger | undefined;
  #ready: Promise<void> | undefined;
  #buffer: LedgerEntry[] = [];
  /** The batch being written (or retried): its id and records stay the same until it is written. */
  #batch: { id: string; entries: LedgerEntry[]; done?: number } | undefined;
  #writing: Promise<void> = Promise.resolve();
  #up = true;
  #failures = 0;
  #retryTimer: NodeJS.Timeout | undefined;
  #downSince: number | null = null;
  #lastError: string | undefined;
  #dropped = 0;
  #quarantined = 0;
  #written = 0;
  #closed = false;
  readonly #droppedMetric: Counter;
  readonly #quarantinedMetric: Counter;

  constructor(options: PostgresLedgerOptions = {}) {
    checkPostgresLedgerOptions(options);
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
    this.pool.on('error', (err) => {
      this.#lastError = err.message;
    }); // idle client lost: the next query reconnects
    const registers = [this.metrics];
    const self = this;
    new Gauge({
      name: 'switchyard_ledger_up',
      help: 'Usage ledger (PostgreSQL) reachable: 1 yes, 0 no.',
      registers,
      collect() {
        this.set(self.#up ? 1 : 0);
      },
    });
    new Gauge({
      name: 'switchyard_ledger_buffered_records',
      help: 'Usage records waiting in memory for PostgreSQL.',
      registers,
      collect() {
        this.set(self.#pending);
      },
    });
    this.#droppedMetric = new Counter({
      name: 'switchyard_ledger_dropped_records_total',
      help: 'Usage records lost because the buffer was full while PostgreSQL was unreachable.',
      registers,
    });
    this.#quarantinedMetric = new Counter({
      name: 'switchyard_ledger_quarantined_records_total',
      help: 'Usage records PostgreSQL refused for their data (dropped; their budget charges kept).',
      registers,
    });
  }

  set log(log: Logger) {
    this.#log ??= log;
  }

  /** Create the schema (once; also awaited by every call). */
  init(): Promise<void> {
    this.#ready ??= this.pool.query(schemaSql(this.#s)).then(
      () => undefined,
      (e) => {
        this.#ready = undefined;
        throw e;
      },
    );
    return this.#ready;
  }

  /** Records not written yet: the batch in flight and the buffer. */
  get #pending(): number {
    return this.#buffer.length + (this.#batch?.entries.length ?? 0);
  }

  get status() {
    return {
      up: this.#up,
      buffered: this.#pending,
      dropped: this.#dropped,
      quarantined: this.#quarantined,
      written: this.#written,
      maxBuffered: this.#o.maxBuffered ?? 100_000,
      ...(this.#up
        ? {}
        : { downSinceMs: this.#downSince ? Date.now() - this.#downSince : null, lastError: this.#lastError }),
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

  /**
   * While PostgreSQL is down, keep at most maxBuffered records (the oldest); count the rest as lost.
   * `batchIdle`: the batch has just failed and no write of it is in flight (from #down), so its newest
   * records can go too: a batch taken while PostgreSQL still looked up may be larger than the bound. (Had
   * that batch's COMMIT gone through with its answer lost, the retry finds it written: the cut records are
   * then stored and counted as dropped too. `dropped` may over-count then, never under-count.)
   */
  #bound(batchIdle = false): void {
    const max = this.#o.maxBuffered ?? 100_000;
    if (this.#up || this.#pending <= max) return;
    let lost = Math.min(this.#buffer.length, this.#pending - max);
    this.#buffer.length -= lost;
    const batch = this.#batch;
    if (batchIdle && batch && this.#pending > max) {
      const cut = Math.min(batch.entries.length, this.#pending - max);
      batch.entries.length -= cut;
      lost += cut;
      if (!batch.entries.length) this.#batch = undefined;
    }
    this.#dropped += lost;
    this.#droppedMetric.inc(lost);
    this.#log?.error(
      { lost, dropped: this.#dropped, maxBuffered: max },
      'postgres ledger: buffer full while PostgreSQL is unreachable; usage records dropped',
    );
  }

  /** Write the buffer in order; on failure keep it and retry later. Never rejects. */
  #drain(): Promise<void> {
    this.#writing = this.#writing.then(async () => {
      while ((this.#batch || this.#buffer.length) && !this.#closed) {
        const batch = (this.#batch ??= {
          id: randomUUID(),
          entries: this.#buffer.splice(0, this.#o.insertBatch ?? 1000),
        });
        try {
          await this.#write(batch.id, batch.entries);
        } catch (e) {
          if (!isDataError(e)) {
            this.#down(e as Error);
            return;
          }
          if (!(await this.#writeRowByRow(batch))) return;
          continue;
        }
        this.#batch = undefined;
        this.#written += batch.entries.length;
        this.#markUp();
      }
    });
    return this.#writing;
  }

  /**
   * A batch refused for its data: each row in its own transaction (its own id, so a retry writes it once);
   * rows still refused are quarantined. Done rows leave the batch. False when an outage stopped it.
   */
  async #writeRowByRow(batch: { id: string; entries: LedgerEntry[]; done?: number }): Promise<boolean> {
    while (batch.entries.length) {
      const entry = batch.entries[0];
      const rowId = `${batch.id}:${batch.done ?? 0}`;
      try {
        await this.#write(rowId, [entry]);
        this.#written++;
      } catch (e) {
        if (!isDataError(e)) {
          this.#down(e as Error);
          return false;
        }
        await this.#quarantine(rowId, entry, e);
      }
      batch.entries.shift();
      batch.done = (batch.done ?? 0) + 1;
    }
    this.#batch = undefined;
    this.#markUp();
    return true;
  }

  async #quarantine(rowId: string, entry: LedgerEntry, e: unknown): Promise<void> {
    this.#quarantined++;
    this.#quarantinedMetric.inc();
    let chargesKept = true;
    try {
      // the spend is the gateway's own figure: keep the budgets whole
      await this.#write(`${rowId}:charges`, [entry], false);
    } catch {
      chargesKept = false;
    }
    this.#log?.error(
      {
        code: (e as { code?: string }).code,
        requestId: entry.record.requestId,
        quarantined: this.#quarantined,
        chargesKept,
      },
      'postgres ledger: PostgreSQL refused a usage record for its data; it was dropped',
    );
  }

  #down(err: Error): void {
    this.#lastError = err.message;
    this.#failures++;
    if (this.#up) {
      this.#up = false;
      this.#downSince = Date.now();
      this.#log?.warn(
        { err: { message: err.message }, buffered: this.#pending },
        'postgres ledger: write failed; buffering usage records in memory until PostgreSQL answers',
      );
    }
    this.#bound(true);
    if (this.#closed || this.#retryTimer) return;
    const delay = Math.min(
      this.#o.maxRetryMs ?? 5000,
      (this.#o.retryMs ?? 200) * 2 ** Math.min(this.#failures - 1, 10),
    );
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
    this.#log?.info(
      { downMs: this.#downSince ? Date.now() - this.#downSince : 0, written: this.#written, dropped: this.#dropped },
      'postgres ledger: PostgreSQL reachable again; buffered records written',
    );
    this.#downSince = null;
  }

  /**
   * One transaction, written at most once per `batchId`: the records (unless `records` is false: charges
   * only) and their budget charges.
   */
  async #write(batchId: string, batch: LedgerEntry[], records = true): Promise<void> {
    await this.init();
    const client = await this.pool.connect();
    // pg emits 'error' on a checked-out client whose connection is lost (the pool only listens while it
    // is idle): without a listener that is an uncaught exception, and the gateway process dies. The
    // query in flight rejects too, which is what makes this batch fail and the ledger buffer and retry.
    let lost: Error | undefined;
    const onLost = (err: Error) => {
      lost = err;
    };
    client.on('error', onLost);
    let broken = false;
    try {
      await client.query('BEGIN');
      const fresh = await client.query(
        `INSERT INTO ${this.#s}.ledger_batches (id, written_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`,
        [batchId, Date.now()],
      );
      if (fresh.rowCount === 0) {
        // A retry of a batch whose COMMIT went through although its answer was lost: already written.
        await client.query('ROLLBACK');
        return;
      }
      const params: unknown[] = [];
      const rows: string[] = [];
      for (const { record } of records ? batch : []) {
        const base = params.length;
        params.push(...recordValues(storable(record), PG));
        rows.push(`(${USAGE_COLUMNS.map((_, i) => `$${base + i + 1}`).join(',')})`);
      }
      const columns = USAGE_COLUMNS.join(',');
      if (rows.length) await client.query(`INSERT INTO ${this.#s}.usage (${columns}) VALUES ${rows.join(',')}`, params);
      // One row per counter per statement (ON CONFLICT cannot touch a row twice).
      const charges = new Map<string, { pusd: number; expiresAt: number | null }>();
      for (const { charges: cs } of batch)
        for (const c of cs) {
          if (!c.pusd) continue;
          const prev = charges.get(c.key);
          charges.set(c.key, { pusd: (prev?.pusd ?? 0) + c.pusd, expiresAt: c.expiresAt });
        }
      if (charges.size) {
        const p: unknown[] = [];
        const v = [...charges].map(([k, c]) => {
          p.push(k, c.pusd, c.expiresAt);
          return `($${p.length - 2},$${p.length - 1},$${p.length})`;
        });
        await client.query(
          `INSERT INTO ${this.#s}.budget_spend (key, spent_pusd, expires_at) VALUES ${v.join(',')}
          ON CONFLICT (key) DO UPDATE SET spent_pusd = budget_spend.spent_pusd + excluded.spent_pusd`,
          p,
        );
      }
      await client.query('COMMIT');
      if (lost) throw lost;
    } catch (e) {
      broken = true;
      if (!lost) await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      client.release(broken || lost !== undefined);
      client.off('error', onLost);
    }
  }

  /** Wait for queued writes (tests, shutdown). Resolves even while PostgreSQL is down. */
  async flush(): Promise<void> {
    if (this.#up && this.#pending) await this.#drain();
    await this.#writing;
  }

  // --- reads ---
  async #q(sql: string, params: unknown[] = []): Promise<LedgerRow[]> {
    try {
      await this.init();
      return (await this.pool.query(sql, params)).rows as LedgerRow[];
    } catch (e) {
      throw new GatewayError(503, `The usage ledger (PostgreSQL) is unavailable: ${(e as Error).message}`, {
        type: 'server_error',
        code: 'ledger_unavailable',
        cause: e,
      });
    }
  }

  async query(filter: UsageFilter, groupBy: GroupBy[], timeZone: string): Promise<UsageResult> {
    await this.flush();
    const w = whereSql(filter, PG);
    const table = `${this.#s}.usage`;
    const totals = (await this.#q(totalsSql(table, w.sql, PG), w.params))[0];
    const rows = groupBy.length ? await this.#q(groupsSql(table, w.sql, groupBy, PG), w.params) : [];
    return usageResult(totals, rows, groupBy, timeZone);
  }

  async records(filter: UsageFilter, limit: number): Promise<LedgerRecord[]> {
    await this.flush();
    const w = whereSql(filter, PG);
    const rows = await this.#q(
      `SELECT * FROM ${this.#s}.usage u ${w.sql} ORDER BY u.time DESC LIMIT ${PG.param(w.params.length + 1)}`,
      [...w.params, limit],
    );
    return rows.map(fromRow);
  }

  async budgetSpend(keys: string[]): Promise<Map<string, number>> {
    if (!keys.length) return new Map();
    const rows = await this.#q(`SELECT key, spent_pusd FROM ${this.#s}.budget_spend WHERE key = ANY($1::text[])`, [
      keys,
    ]);
    return new Map(rows.map((r) => [String(r.key), Number(r.spent_pusd)]));
  }

  async spendBy(scope: 'key' | 'project', from: number, to: number): Promise<Map<string, number>> {
    const col = scope === 'key' ? 'key_id' : 'project';
    const rows = await this.#q(
      `SELECT ${col} AS id, sum(cost_pusd) AS pusd FROM ${this.#s}.usage
      WHERE time >= $1 AND time < $2 AND ${col} IS NOT NULL GROUP BY ${col}`,
      [from, to],
    );
    return new Map(rows.map((r) => [String(r.id), Number(r.pusd)]));
  }

  /** Retention: delete records before `before` in batches (short transactions, BRIN-friendly). */
  async prune(before: number): Promise<number> {
    let total = 0;
    const batch = this.#o.pruneBatch ?? 50_000;
    for (;;) {
      const rows = await this.#q(
        `WITH old AS (SELECT ctid FROM ${this.#s}.usage WHERE time < $1 LIMIT $2)
        DELETE FROM ${this.#s}.usage u USING old WHERE u.ctid = old.ctid RETURNING 1`,
        [before, batch],
      );
      total += rows.length;
      if (rows.length < batch) break;
    }
    await this.#q(`DELETE FROM ${this.#s}.budget_spend WHERE expires_at IS NOT NULL AND expires_at < $1`, [Date.now()]);
    // A batch id only matters while its batch could still be retried (minutes): keep a day.
    await this.#q(`DELETE FROM ${this.#s}.ledger_batches WHERE written_at < $1`, [Date.now() - 86_400_000]);
    // Block ranges written since the last summary match every BRIN scan until summarised: do it with
    // the hourly retention run (autosummarize also does it, on autovacuum's schedule).
    await this.#q(`SELECT brin_summarize_new_values('${this.#s}.usage_time_brin'::regclass)`);
    return total;
  }

  async saveKey(k: StoredKey): Promise<void> {
    await this.#q(
      `INSERT INTO ${this.#s}.virtual_keys (id, hash, created_at, revoked_at, attrs) VALUES ($1, $2, $3, $4, $5)
      ON CONFLICT (id) DO UPDATE SET revoked_at = excluded.revoked_at, attrs = excluded.attrs`,
      [k.id, k.hash, k.createdAt, k.revokedAt, JSON.stringify(k.attrs)],
    );
  }

  async loadKeys(): Promise<StoredKey[]> {
    const rows = await this.#q(`SELECT * FROM ${this.#s}.virtual_keys`);
    return rows.map((r) => ({
      id: String(r.id),
      hash: String(r.hash),
      createdAt: Number(r.created_at),
      revokedAt: r.revoked_at === null ? null : Number(r.revoked_at),
      attrs: r.attrs as Record<string, unknown>,
    }));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    // One last attempt for what is buffered, bounded by the statement timeout.
    if (this.#pending) await this.#drain();
    this.#closed = true;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    if (this.#pending) {
      this.#log?.error(
        { lost: this.#pending },
        'postgres ledger: closing with usage records PostgreSQL never accepted; they are lost',
      );
      this.#dropped += this.#pending;
    }
    await this.pool.end().catch(() => undefined);
  }
}

/** A PostgreSQL usage ledger for `sharedGovernance(...)` or `governance(options, { ledger })`. */
export function postgresLedger(options: PostgresLedgerOptions = {}): PostgresLedger {
  return new PostgresLedger(options);
}
