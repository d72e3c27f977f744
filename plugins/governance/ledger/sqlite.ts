/**
 * The SQLite ledger (better-sqlite3, WAL): usage records, persisted budget spend and runtime keys in
 * one file. Writes come in batches from the batcher, one transaction each. Costs are integer
 * picodollars, so sums are exact. Records are stored through `storable()` (sanitize.ts); a batch the
 * database refuses for its data (a constraint, a type) is written again row by row and the rows it
 * still refuses are quarantined: dropped, counted, logged without content, their budget charges kept.
 * Filters, aggregates and row mapping are shared with the PostgreSQL ledger (query.ts).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { openSqlite } from '../../../core/optional-deps.js';
import { storable } from './sanitize.js';
import { fromRow, groupsSql, recordValues, totalsSql, USAGE_COLUMNS, usageResult, whereSql } from './query.js';
import type { LedgerDialect, LedgerRow } from './query.js';
import type {
  Charge,
  GroupBy,
  Ledger,
  LedgerEntry,
  LedgerRecord,
  StoredKey,
  UsageFilter,
  UsageResult,
} from './types.js';

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

/** SQLite result codes that mean "this row's data", not "the database": the row is quarantined. */
const DATA_ERRORS = /^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG|RANGE)/;

/** SQLite's dialect; `sum` is total() (doubles) after an integer sum() overflowed. */
function dialect(sum: 'sum' | 'total'): LedgerDialect {
  return {
    param: () => '?',
    bool: (v) => (v ? 1 : 0),
    tags: (tags) => JSON.stringify(tags),
    model: (m, bind) =>
      `(u.model = ${bind(m)} OR u.requested_model = ${bind(m)} OR u.provider || '/' || u.model = ${bind(m)})`,
    hasTag: (p) => `EXISTS (SELECT 1 FROM json_each(u.tags) WHERE value = ${p})`,
    tagJoin: 'LEFT JOIN json_each(u.tags) t',
    countIf: (cond) => `${sum}(${cond})`,
    sum,
    sumReal: 'total',
    unit: (name) => `json_extract(u.units, '$.${name}')`,
  };
}

const SQLITE = dialect('sum');

/**
 * Rows per INSERT statement when a batch is written: one statement binds 16 records (496 values), which
 * costs SQLite and better-sqlite3 less per row than 16 statements.
 */
const ROWS_PER_INSERT = 16;

/** A record's column values (storable, in USAGE_COLUMNS order), appended to `out`. */
function pushRecordValues(out: unknown[], record: LedgerRecord): unknown[] {
  for (const v of recordValues(storable(record), SQLITE)) out.push(v);
  return out;
}

/**
 * A batch's budget charges summed per counter and expiry (charges of zero left out). A sum stays a
 * safe integer: past 2^53 picodollars (~9,007 USD) the counter's next charges start another sum.
 */
function chargeTotals(entries: LedgerEntry[]): Charge[] {
  const slot = new Map<string, Charge>();
  const totals: Charge[] = [];
  for (const { charges } of entries) {
    for (const c of charges) {
      if (!c.pusd) continue;
      const id = `${c.key}\u0000${c.expiresAt}`;
      const sum = slot.get(id);
      if (sum && Number.isSafeInteger(sum.pusd + c.pusd)) sum.pusd += c.pusd;
      else {
        const fresh = { key: c.key, pusd: c.pusd, expiresAt: c.expiresAt };
        slot.set(id, fresh);
        totals.push(fresh);
      }
    }
  }
  return totals;
}

export class SqliteLedger implements Ledger {
  readonly db: Database.Database;
  readonly #insert: Database.Statement;
  readonly #insertChunk: Database.Statement;
  readonly #charge: Database.Statement;
  readonly #write: (entries: LedgerEntry[]) => void;
  readonly #chargeOnly: (entry: LedgerEntry) => void;
  readonly #log: Logger | undefined;
  /** Records the database refused (quarantined) since start. */
  quarantined = 0;

  constructor(path: string, options: { log?: Logger } = {}) {
    this.#log = options.log;
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
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
    const row = `(${USAGE_COLUMNS.map(() => '?').join(',')})`;
    const insert = `INSERT INTO usage (${USAGE_COLUMNS.join(',')}) VALUES `;
    this.#insert = this.db.prepare(insert + row);
    this.#insertChunk = this.db.prepare(insert + Array<string>(ROWS_PER_INSERT).fill(row).join(','));
    this.#charge = this.db.prepare(`INSERT INTO budget_spend (key, spent_pusd, expires_at) VALUES (?, ?, ?)
      ON CONFLICT(key) DO UPDATE SET spent_pusd = spent_pusd + excluded.spent_pusd`);
    this.#write = this.db.transaction((entries: LedgerEntry[]) => {
      let i = 0;
      for (; i + ROWS_PER_INSERT <= entries.length; i += ROWS_PER_INSERT) {
        const values: unknown[] = [];
        for (let j = i; j < i + ROWS_PER_INSERT; j++) pushRecordValues(values, entries[j].record);
        this.#insertChunk.run(values);
      }
      for (; i < entries.length; i++) this.#insert.run(pushRecordValues([], entries[i].record));
      // One upsert per counter and expiry: a batch of one key's requests adds its spend once.
      for (const c of chargeTotals(entries)) this.#charge.run(c.key, c.pusd, c.expiresAt);
    });
    this.#chargeOnly = this.db.transaction(({ charges }: LedgerEntry) => {
      for (const c of charges) if (c.pusd) this.#charge.run(c.key, c.pusd, c.expiresAt);
    });
  }

  async append(entries: LedgerEntry[]): Promise<void> {
    if (!entries.length) return;
    try {
      this.#write(entries);
    } catch (e) {
      if (!isDataError(e)) throw e;
      // One row's data poisoned the batch: write the rest row by row, quarantine what is refused.
      for (const entry of entries) {
        try {
          this.#write([entry]);
        } catch (rowError) {
          if (!isDataError(rowError)) throw rowError;
          this.#quarantine(entry, rowError);
        }
      }
    }
  }

  #quarantine(entry: LedgerEntry, e: unknown): void {
    this.quarantined++;
    try {
      this.#chargeOnly(entry); // the spend is ours, not the client's text: keep budgets whole
    } catch {
      /* counted below either way */
    }
    this.#log?.error(
      { code: (e as { code?: string }).code, quarantined: this.quarantined, requestId: entry.record.requestId },
      'ledger: the database refused a usage record; it was dropped (its budget charges were kept)',
    );
  }

  #all(sql: (d: LedgerDialect) => string, params: unknown[]): LedgerRow[] {
    try {
      return this.db.prepare(sql(SQLITE)).all(...params) as LedgerRow[];
    } catch (e) {
      // sum() of integers overflows past 2^63 picodollars (~9.2M USD): fall back to total() (double).
      if (!/overflow/i.test((e as Error).message)) throw e;
      return this.db.prepare(sql(dialect('total'))).all(...params) as LedgerRow[];
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
    if (this.db.open) this.db.close();
  }
}

function isDataError(e: unknown): boolean {
  return DATA_ERRORS.test(String((e as { code?: unknown })?.code ?? ''));
}
