/**
 * The SQLite ledger (better-sqlite3, WAL): usage records, persisted budget spend and runtime keys in
 * one file. Writes come in batches from the batcher, one transaction each. Costs are integer
 * picodollars, so sums are exact.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type Database from 'better-sqlite3';
import { loadSqlite } from '../../../core/optional-deps.js';
import { localLabel } from '../periods.js';
import type { GroupBy, Ledger, LedgerEntry, LedgerRecord, StoredKey, UsageFilter, UsageGroup, UsageResult, UsageTotals } from './types.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS usage (
  time INTEGER NOT NULL, request_id TEXT NOT NULL, key_id TEXT, project TEXT, provider TEXT, model TEXT,
  requested_model TEXT, operation TEXT, stream INTEGER, status INTEGER, error_code TEXT, cache TEXT,
  input_tokens INTEGER, cached_tokens INTEGER, cache_write_tokens INTEGER, output_tokens INTEGER,
  reasoning_tokens INTEGER, total_tokens INTEGER, cost_pusd INTEGER, cost_saved_pusd INTEGER,
  latency_ms REAL, upstream_ms REAL, ttft_ms REAL, attempts INTEGER, aborted INTEGER, shadow INTEGER, tags TEXT
);
CREATE INDEX IF NOT EXISTS usage_time ON usage(time);
CREATE INDEX IF NOT EXISTS usage_key_time ON usage(key_id, time);
CREATE INDEX IF NOT EXISTS usage_project_time ON usage(project, time);
CREATE TABLE IF NOT EXISTS budget_spend (key TEXT PRIMARY KEY, spent_pusd INTEGER NOT NULL, expires_at INTEGER);
CREATE TABLE IF NOT EXISTS virtual_keys (
  id TEXT PRIMARY KEY, hash TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL, revoked_at INTEGER, attrs TEXT NOT NULL
);`;

const COLUMNS = ['time', 'request_id', 'key_id', 'project', 'provider', 'model', 'requested_model', 'operation', 'stream', 'status',
  'error_code', 'cache', 'input_tokens', 'cached_tokens', 'cache_write_tokens', 'output_tokens', 'reasoning_tokens', 'total_tokens',
  'cost_pusd', 'cost_saved_pusd', 'latency_ms', 'upstream_ms', 'ttft_ms', 'attempts', 'aborted', 'shadow', 'tags'];

const DIM_SQL: Record<GroupBy, string> = {
  model: 'coalesce(u.model, u.requested_model)',
  provider: 'u.provider',
  key: 'u.key_id',
  project: 'u.project',
  status: 'u.status',
  tag: 't.value',
  day: 'u.time / 900000',
  hour: 'u.time / 900000',
};

const AGG = (sum: string) => `count(*) AS requests, ${sum}(u.status >= 400) AS errors,
  ${sum}(u.cache IN ('hit','semantic-hit')) AS cache_hits, ${sum}(u.attempts > 1) AS failovers,
  ${sum}(u.input_tokens) AS input_tokens, ${sum}(u.cached_tokens) AS cached_tokens, ${sum}(u.output_tokens) AS output_tokens,
  ${sum}(u.reasoning_tokens) AS reasoning_tokens, ${sum}(u.total_tokens) AS total_tokens, ${sum}(u.cost_pusd) AS cost_pusd,
  ${sum}(u.cost_saved_pusd) AS cost_saved_pusd, total(u.latency_ms) AS latency_ms`;

type Row = Record<string, number | string | null>;

export class SqliteLedger implements Ledger {
  readonly db: Database.Database;
  readonly #insert: Database.Statement;
  readonly #charge: Database.Statement;
  readonly #write: (entries: LedgerEntry[]) => void;

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new (loadSqlite())(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(SCHEMA);
    this.#insert = this.db.prepare(`INSERT INTO usage (${COLUMNS.join(',')}) VALUES (${COLUMNS.map(() => '?').join(',')})`);
    this.#charge = this.db.prepare(`INSERT INTO budget_spend (key, spent_pusd, expires_at) VALUES (?, ?, ?)
      ON CONFLICT(key) DO UPDATE SET spent_pusd = spent_pusd + excluded.spent_pusd`);
    this.#write = this.db.transaction((entries: LedgerEntry[]) => {
      for (const { record: r, charges } of entries) {
        this.#insert.run(r.time, r.requestId, r.keyId, r.project, r.provider, r.model, r.requestedModel, r.operation, r.stream ? 1 : 0,
          r.status, r.errorCode, r.cache, r.inputTokens, r.cachedTokens, r.cacheWriteTokens, r.outputTokens, r.reasoningTokens,
          r.totalTokens, r.costPusd, r.costSavedPusd, r.latencyMs, r.upstreamMs, r.ttftMs, r.attempts, r.aborted ? 1 : 0,
          r.shadow ? 1 : 0, JSON.stringify(r.tags));
        for (const c of charges) if (c.pusd) this.#charge.run(c.key, c.pusd, c.expiresAt);
      }
    });
  }

  async append(entries: LedgerEntry[]): Promise<void> {
    if (entries.length) this.#write(entries);
  }

  #where(f: UsageFilter): { sql: string; params: unknown[] } {
    const parts: string[] = [];
    const params: unknown[] = [];
    const eq = (col: string, v: unknown) => { parts.push(`${col} = ?`); params.push(v); };
    if (f.from !== undefined) { parts.push('u.time >= ?'); params.push(f.from); }
    if (f.to !== undefined) { parts.push('u.time < ?'); params.push(f.to); }
    if (f.key !== undefined) eq('u.key_id', f.key);
    if (f.project !== undefined) eq('u.project', f.project);
    if (f.provider !== undefined) eq('u.provider', f.provider);
    if (f.status !== undefined) eq('u.status', f.status);
    if (f.model !== undefined) {
      parts.push("(u.model = ? OR u.requested_model = ? OR u.provider || '/' || u.model = ?)");
      params.push(f.model, f.model, f.model);
    }
    if (f.tag !== undefined) {
      parts.push('EXISTS (SELECT 1 FROM json_each(u.tags) WHERE value = ?)');
      params.push(f.tag);
    }
    return { sql: parts.length ? `WHERE ${parts.join(' AND ')}` : '', params };
  }

  #all(sql: (sum: string) => string, params: unknown[]): Row[] {
    try {
      return this.db.prepare(sql('sum')).all(...params) as Row[];
    } catch (e) {
      // sum() of integers overflows past 2^63 picodollars (~9.2M USD): fall back to total() (double).
      if (!/overflow/i.test((e as Error).message)) throw e;
      return this.db.prepare(sql('total')).all(...params) as Row[];
    }
  }

  async query(filter: UsageFilter, groupBy: GroupBy[], timeZone: string): Promise<UsageResult> {
    const w = this.#where(filter);
    const totals = toTotals(this.#all((s) => `SELECT ${AGG(s)} FROM usage u ${w.sql}`, w.params)[0]);
    if (!groupBy.length) return { totals, groups: [] };
    const dims = groupBy.map((g, i) => `${DIM_SQL[g]} AS g${i}`).join(', ');
    const join = groupBy.includes('tag') ? 'LEFT JOIN json_each(u.tags) t' : '';
    const by = groupBy.map((_, i) => `g${i}`).join(', ');
    const rows = this.#all((s) => `SELECT ${dims}, ${AGG(s)} FROM usage u ${join} ${w.sql} GROUP BY ${by}`, w.params);
    // Time dimensions come as 15-minute buckets (every zone offset is a multiple of 15 minutes);
    // label them in the configured zone and merge.
    const merged = new Map<string, { group: Record<string, string | number | null>; row: Row }>();
    for (const row of rows) {
      const group: Record<string, string | number | null> = {};
      groupBy.forEach((g, i) => {
        const v = row[`g${i}`];
        group[g] = g === 'day' || g === 'hour' ? localLabel(Number(v) * 900_000, g, timeZone) : v;
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
    const w = this.#where(filter);
    const rows = this.db.prepare(`SELECT * FROM usage u ${w.sql} ORDER BY u.time DESC LIMIT ?`).all(...w.params, limit) as Row[];
    return rows.map(fromRow);
  }

  async budgetSpend(keys: string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const get = this.db.prepare('SELECT spent_pusd FROM budget_spend WHERE key = ?');
    for (const k of keys) {
      const row = get.get(k) as { spent_pusd: number } | undefined;
      if (row) out.set(k, row.spent_pusd);
    }
    return out;
  }

  async spendBy(scope: 'key' | 'project', from: number, to: number): Promise<Map<string, number>> {
    const col = scope === 'key' ? 'key_id' : 'project';
    const rows = this.db.prepare(`SELECT ${col} AS id, total(cost_pusd) AS pusd FROM usage
      WHERE time >= ? AND time < ? AND ${col} IS NOT NULL GROUP BY ${col}`).all(from, to) as Array<{ id: string; pusd: number }>;
    return new Map(rows.map((r) => [r.id, r.pusd]));
  }

  async prune(before: number): Promise<number> {
    const n = this.db.prepare('DELETE FROM usage WHERE time < ?').run(before).changes;
    this.db.prepare('DELETE FROM budget_spend WHERE expires_at IS NOT NULL AND expires_at < ?').run(Date.now());
    return n;
  }

  async saveKey(k: StoredKey): Promise<void> {
    this.db.prepare(`INSERT INTO virtual_keys (id, hash, created_at, revoked_at, attrs) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT(id) DO UPDATE SET revoked_at = excluded.revoked_at, attrs = excluded.attrs`)
      .run(k.id, k.hash, k.createdAt, k.revokedAt, JSON.stringify(k.attrs));
  }

  async loadKeys(): Promise<StoredKey[]> {
    const rows = this.db.prepare('SELECT * FROM virtual_keys').all() as Array<{ id: string; hash: string; created_at: number; revoked_at: number | null; attrs: string }>;
    return rows.map((r) => ({ id: r.id, hash: r.hash, createdAt: r.created_at, revokedAt: r.revoked_at, attrs: JSON.parse(r.attrs) }));
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
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
    operation: String(r.operation), stream: r.stream === 1, status: n(r.status), errorCode: r.error_code as string | null,
    cache: r.cache as string | null, inputTokens: n(r.input_tokens), cachedTokens: n(r.cached_tokens),
    cacheWriteTokens: n(r.cache_write_tokens), outputTokens: n(r.output_tokens), reasoningTokens: n(r.reasoning_tokens),
    totalTokens: n(r.total_tokens), costPusd: n(r.cost_pusd), costSavedPusd: n(r.cost_saved_pusd), latencyMs: n(r.latency_ms),
    upstreamMs: n(r.upstream_ms), ttftMs: r.ttft_ms === null ? null : n(r.ttft_ms), attempts: n(r.attempts),
    aborted: r.aborted === 1, shadow: r.shadow === 1, tags: JSON.parse(String(r.tags ?? '[]')),
  };
}
