/**
 * SQLite's dialect of the ledger's queries (query.ts); `sum` is total() (doubles) after an integer sum()
 * overflowed.
 */
import type { LedgerDialect } from './query.js';

export function sqliteDialect(sum: 'sum' | 'total'): LedgerDialect {
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

export const SQLITE = sqliteDialect('sum');
