/**
 * The SQLite ledger (better-sqlite3, WAL): usage records, persisted budget spend and runtime keys in
 * one file. Writes come in batches from the batcher, one transaction each (sqlite-writes.ts). For a
 * ledger file under load they run on a writer thread with its own connection (sqlite-writer.ts), so the
 * inserts cost the requests' thread only the batch's hand-over: a batch of THREAD_MIN_BATCH records
 * starts the thread, which then takes every batch until it has been idle for 30 s and ends. Reads, keys
 * and pruning use this thread's connection (WAL: readers see each batch once it is committed, and a
 * batch's append resolves then). A trickle of traffic, an in-memory ledger, or a ledger whose thread
 * cannot start writes here. Costs are integer picodollars, so
 * sums are exact. A record the database refuses for its data is quarantined: dropped, counted, logged
 * without content, its budget charges kept. Filters, aggregates and row mapping are shared with the
 * PostgreSQL ledger (query.ts).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { openSqlite } from '../../../core/optional-deps.js';
import { fromRow, groupsSql, totalsSql, usageResult, whereSql } from './query.js';
import type { LedgerDialect, LedgerRow } from './query.js';
import { SQLITE, sqliteDialect } from './sqlite-dialect.js';
import { SqliteWriterThread, WriterThreadLost } from './sqlite-writer.js';
import { type RefusedRow, SqliteWrites } from './sqlite-writes.js';
import type { GroupBy, Ledger, LedgerEntry, LedgerRecord, StoredKey, UsageFilter, UsageResult } from './types.js';

export interface SqliteLedgerOptions {
  log?: Logger;
  /** Write batches on a worker thread (a ledger file only). Default true. */
  thread?: boolean;
  /** @internal The writer thread's module (tests: a thread that cannot start). */
  threadUrl?: URL;
  /** @internal How long the writer thread may sit without a batch before it ends (ms; default 30,000). */
  threadIdleMs?: number;
  /**
   * @internal The smallest batch that starts the writer thread (default 16): while it is not running,
   * smaller batches (a trickle of traffic) are written on this thread.
   */
  threadMinBatch?: number;
}

/**
 * A batch of this many records starts the writer thread. With the batcher's 1 s flush, traffic under
 * ~16 requests a second is written inline, where it costs ~10 µs a record, and leaves no thread behind.
 */
const THREAD_MIN_BATCH = 16;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS usage (
  time INTEGER NOT NULL, request_id TEXT NOT NULL, key_id TEXT, project TEXT, provider TEXT, model TEXT,
  requested_model TEXT, operation TEXT, stream INTEGER, status INTEGER, error_code TEXT, cache TEXT,
  input_tokens INTEGER, cached_tokens INTEGER, cache_write_tokens INTEGER, output_tokens INTEGER,
  reasoning_tokens INTEGER, total_tokens INTEGER, cost_pusd INTEGER, cost_saved_pusd INTEGER,
  latency_ms REAL, upstream_ms REAL, ttft_ms REAL, attempts INTEGER, aborted INTEGER, shadow INTEGER, tags TEXT,
  usage_estimated INTEGER NOT NULL DEFAULT 0,
  guardrails TEXT,
  end_user TEXT,
  units TEXT
);
CREATE INDEX IF NOT EXISTS usage_time ON usage(time);
CREATE INDEX IF NOT EXISTS usage_key_time ON usage(key_id, time);
CREATE INDEX IF NOT EXISTS usage_project_time ON usage(project, time);
CREATE INDEX IF NOT EXISTS usage_user_time ON usage(end_user, time);
CREATE TABLE IF NOT EXISTS budget_spend (key TEXT PRIMARY KEY, spent_pusd INTEGER NOT NULL, expires_at INTEGER);
CREATE TABLE IF NOT EXISTS virtual_keys (
  id TEXT PRIMARY KEY, hash TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL, revoked_at INTEGER, attrs TEXT NOT NULL
);`;

export class SqliteLedger implements Ledger {
  readonly db: Database.Database;
  readonly #writes: SqliteWrites;
  readonly #thread: SqliteWriterThread | undefined;
  readonly #log: Logger | undefined;
  readonly #threadMinBatch: number;
  /** Records the database refused (quarantined) since start. */
  quarantined = 0;

  constructor(path: string, options: SqliteLedgerOptions = {}) {
    this.#log = options.log;
    this.#threadMinBatch = options.threadMinBatch ?? THREAD_MIN_BATCH;
    const file = path !== ':memory:' && path !== '';
    if (file) mkdirSync(dirname(path), { recursive: true });
    this.db = openSqlite(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    // Files from before end users: add the column before the schema's index on it.
    const table = this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'usage'").get();
    const cols = table
      ? (this.db.prepare('PRAGMA table_info(usage)').all() as Array<{ name: string }>).map((c) => c.name)
      : [];
    if (table && !cols.includes('end_user')) this.db.exec('ALTER TABLE usage ADD COLUMN end_user TEXT');
    this.db.exec(SCHEMA);
    // Ledgers made before a column existed get it (CREATE TABLE IF NOT EXISTS kept their table).
    const columns = this.db.prepare('PRAGMA table_info(usage)').all() as Array<{ name: string }>;
    if (!columns.some((c) => c.name === 'usage_estimated'))
      this.db.exec('ALTER TABLE usage ADD COLUMN usage_estimated INTEGER NOT NULL DEFAULT 0');
    if (!columns.some((c) => c.name === 'guardrails')) this.db.exec('ALTER TABLE usage ADD COLUMN guardrails TEXT');
    if (!columns.some((c) => c.name === 'units')) this.db.exec('ALTER TABLE usage ADD COLUMN units TEXT');
    this.#writes = new SqliteWrites(this.db, SQLITE);
    this.#thread =
      file && options.thread !== false
        ? new SqliteWriterThread(path, options.threadUrl, options.threadIdleMs)
        : undefined;
  }

  /** Whether the writer thread is running now (it starts with a batch and ends when idle). */
  get writerRunning(): boolean {
    return this.#thread?.running ?? false;
  }

  /** Where batches are written now: on the writer thread, or on this thread's connection. */
  get writesOn(): 'thread' | 'main' {
    return this.#thread?.usable ? 'thread' : 'main';
  }

  async append(entries: LedgerEntry[]): Promise<void> {
    if (!entries.length) return;
    let refused: RefusedRow[];
    const thread = this.#thread;
    // Once running, the thread takes every batch until it ends (one writer at a time, in order).
    if (thread?.usable && (thread.running || entries.length >= this.#threadMinBatch)) {
      try {
        refused = await thread.write(entries);
      } catch (e) {
        if (!(e instanceof WriterThreadLost)) throw e;
        // Not written there (it did not start, or stopped first): written here, as every batch from now on.
        this.#log?.warn(
          { err: { message: e.message } },
          'ledger: the writer thread is not available; usage is written on the main thread',
        );
        refused = this.#writes.append(entries);
      }
    } else {
      refused = this.#writes.append(entries);
    }
    for (const row of refused) this.#quarantine(row);
  }

  #quarantine(row: RefusedRow): void {
    this.quarantined++;
    this.#log?.error(
      { code: row.code, quarantined: this.quarantined, requestId: row.requestId },
      'ledger: the database refused a usage record; it was dropped (its budget charges were kept)',
    );
  }

  #all(sql: (d: LedgerDialect) => string, params: unknown[]): LedgerRow[] {
    try {
      return this.db.prepare(sql(SQLITE)).all(...params) as LedgerRow[];
    } catch (e) {
      // sum() of integers overflows past 2^63 picodollars (~9.2M USD): fall back to total() (double).
      if (!/overflow/i.test((e as Error).message)) throw e;
      return this.db.prepare(sql(sqliteDialect('total'))).all(...params) as LedgerRow[];
    }
  }

  async query(filter: UsageFilter, groupBy: GroupBy[], timeZone: string): Promise<UsageResult> {
    const w = whereSql(filter, SQLITE);
    const totals = this.#all((d) => totalsSql('usage', w.sql, d), w.params)[0];
    const rows = groupBy.length ? this.#all((d) => groupsSql('usage', w.sql, groupBy, d), w.params) : [];
    return usageResult(totals, rows, groupBy, timeZone);
  }

  async records(filter: UsageFilter, limit: number): Promise<LedgerRecord[]> {
    const w = whereSql(filter, SQLITE);
    const sql = `SELECT * FROM usage u ${w.sql} ORDER BY u.time DESC LIMIT ?`;
    const rows = this.db.prepare(sql).all(...w.params, limit) as LedgerRow[];
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
    const rows = this.db
      .prepare(`SELECT ${col} AS id, total(cost_pusd) AS pusd FROM usage
      WHERE time >= ? AND time < ? AND ${col} IS NOT NULL GROUP BY ${col}`)
      .all(from, to) as Array<{ id: string; pusd: number }>;
    return new Map(rows.map((r) => [r.id, r.pusd]));
  }

  async prune(before: number): Promise<number> {
    const n = this.db.prepare('DELETE FROM usage WHERE time < ?').run(before).changes;
    this.db.prepare('DELETE FROM budget_spend WHERE expires_at IS NOT NULL AND expires_at < ?').run(Date.now());
    return n;
  }

  async saveKey(k: StoredKey): Promise<void> {
    this.db
      .prepare(`INSERT INTO virtual_keys (id, hash, created_at, revoked_at, attrs) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT(id) DO UPDATE SET revoked_at = excluded.revoked_at, attrs = excluded.attrs`)
      .run(k.id, k.hash, k.createdAt, k.revokedAt, JSON.stringify(k.attrs));
  }

  async loadKeys(): Promise<StoredKey[]> {
    const rows = this.db.prepare('SELECT * FROM virtual_keys').all() as Array<{
      id: string;
      hash: string;
      created_at: number;
      revoked_at: number | null;
      attrs: string;
    }>;
    return rows.map((r) => ({
      id: r.id,
      hash: r.hash,
      createdAt: r.created_at,
      revokedAt: r.revoked_at,
      attrs: JSON.parse(r.attrs),
    }));
  }

  async close(): Promise<void> {
    await this.#thread?.close();
    if (this.db.open) this.db.close();
  }
}
