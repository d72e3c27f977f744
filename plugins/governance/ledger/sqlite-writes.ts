/**
 * The SQLite ledger's write half on one connection: a batch of usage records and their budget charges in
 * one transaction. The same code runs on the ledger's writer thread (sqlite-thread.ts) and, for an
 * in-memory ledger or when no thread can start, on the main thread (sqlite.ts). A batch the database
 * refuses for its data (a constraint, a type) is written again row by row; the rows it still refuses
 * are dropped and returned (their budget charges are kept), for the ledger to count and log.
 */
import type Database from 'better-sqlite3';
import { storable } from './sanitize.js';
import { recordValues, USAGE_COLUMNS } from './query.js';
import type { LedgerDialect } from './query.js';
import type { Charge, LedgerEntry, LedgerRecord } from './types.js';

/** A row the database refused: which request, and SQLite's result code. Never content. */
export interface RefusedRow {
  requestId: string;
  code?: string;
}

/** SQLite result codes that mean "this row's data", not "the database": the row is quarantined. */
const DATA_ERRORS = /^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG|RANGE)/;

export function isDataError(e: unknown): boolean {
  return DATA_ERRORS.test(String((e as { code?: unknown })?.code ?? ''));
}

/**
 * Rows per INSERT statement when a batch is written: one statement binds 16 records (496 values), which
 * costs SQLite and better-sqlite3 less per row than 16 statements.
 */
const ROWS_PER_INSERT = 16;

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

export class SqliteWrites {
  readonly #write: (entries: LedgerEntry[]) => void;
  readonly #chargeOnly: (entry: LedgerEntry) => void;

  constructor(db: Database.Database, dialect: LedgerDialect) {
    const values = (out: unknown[], record: LedgerRecord): unknown[] => {
      for (const v of recordValues(storable(record), dialect)) out.push(v);
      return out;
    };
    const row = `(${USAGE_COLUMNS.map(() => '?').join(',')})`;
    const sql = `INSERT INTO usage (${USAGE_COLUMNS.join(',')}) VALUES `;
    const insert = db.prepare(sql + row);
    const insertChunk = db.prepare(sql + Array<string>(ROWS_PER_INSERT).fill(row).join(','));
    const charge = db.prepare(`INSERT INTO budget_spend (key, spent_pusd, expires_at) VALUES (?, ?, ?)
      ON CONFLICT(key) DO UPDATE SET spent_pusd = spent_pusd + excluded.spent_pusd`);
    this.#write = db.transaction((entries: LedgerEntry[]) => {
      let i = 0;
      for (; i + ROWS_PER_INSERT <= entries.length; i += ROWS_PER_INSERT) {
        const bound: unknown[] = [];
        for (let j = i; j < i + ROWS_PER_INSERT; j++) values(bound, entries[j].record);
        insertChunk.run(bound);
      }
      for (; i < entries.length; i++) insert.run(values([], entries[i].record));
      // One upsert per counter and expiry: a batch of one key's requests adds its spend once.
      for (const c of chargeTotals(entries)) charge.run(c.key, c.pusd, c.expiresAt);
    });
    this.#chargeOnly = db.transaction(({ charges }: LedgerEntry) => {
      for (const c of charges) if (c.pusd) charge.run(c.key, c.pusd, c.expiresAt);
    });
  }

  /** Write a batch; returns the rows refused for their data (dropped, charges kept). Throws for the rest. */
  append(entries: LedgerEntry[]): RefusedRow[] {
    try {
      this.#write(entries);
      return [];
    } catch (e) {
      if (!isDataError(e)) throw e;
    }
    // One row's data poisoned the batch: write the rest row by row, set aside what is refused.
    const refused: RefusedRow[] = [];
    for (const entry of entries) {
      try {
        this.#write([entry]);
      } catch (rowError) {
        if (!isDataError(rowError)) throw rowError;
        try {
          this.#chargeOnly(entry); // the spend is ours, not the client's text: keep budgets whole
        } catch {
          /* the row is reported either way */
        }
        refused.push({ requestId: entry.record.requestId, code: (rowError as { code?: string }).code });
      }
    }
    return refused;
  }
}
