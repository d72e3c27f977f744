/**
 * The PostgreSQL ledger answers exactly what the SQLite ledger answers (same records, every filter
 * and grouping), prunes in batches, keeps keys, and uses its indexes for the usage queries.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { LedgerEntry, UsageFilter, GroupBy, UsageResult } from '../../plugins/governance/ledger/types.js';
import { SqliteLedger } from '../../plugins/governance/ledger/sqlite.js';
import { PostgresLedger } from '../../plugins/scaleout/postgres-ledger.js';
import { CuttableProxy, PG_URL, dropSchema, freePort, runId, services } from './helpers.js';

const skip = await services();
const schema = runId('sy_ledger');
let pgl: PostgresLedger;
let sql: SqliteLedger;
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 5, 10, 21, 50);

function entries(n: number): LedgerEntry[] {
  const out: LedgerEntry[] = [];
  for (let i = 0; i < n; i++) {
    const tags = [['a'], ['a', 'b'], [], ['c']][i % 4];
    out.push({
      record: {
        time: T0 + i * 37 * 60_000,
        requestId: `req-${i}`,
        keyId: i % 5 === 0 ? null : `key-${i % 3}`,
        project: i % 2 ? 'p1' : null,
        provider: i % 7 === 0 ? null : ['openai', 'anthropic'][i % 2],
        model: i % 7 === 0 ? null : ['gpt-4o-mini', 'claude'][i % 2],
        requestedModel: i % 3 ? 'gpt-4o-mini' : 'smart',
        operation: 'chat',
        stream: i % 2 === 0,
        status: [200, 200, 429, 502][i % 4],
        errorCode: i % 4 >= 2 ? 'x' : null,
        cache: [null, 'hit', 'miss', 'semantic-hit'][i % 4],
        inputTokens: 10 + i,
        cachedTokens: i % 3,
        cacheWriteTokens: 0,
        outputTokens: 5 + (i % 11),
        reasoningTokens: i % 2,
        totalTokens: 15 + i + (i % 11),
        costPusd: 1_000_003 * (i + 1),
        costSavedPusd: i % 4 === 1 ? 777 : 0,
        latencyMs: 1.5 + (i % 8) * 0.25,
        upstreamMs: 1,
        ttftMs: i % 2 ? null : 3.5,
        attempts: 1 + (i % 5 === 0 ? 1 : 0),
        aborted: false,
        shadow: false,
        tags,
      },
      charges:
        i % 2 ? [{ key: `gov:budget:key:key-${i % 3}:month:2026-06`, pusd: 1_000_003 * (i + 1), expiresAt: null }] : [],
    });
  }
  return out;
}

before(async () => {
  if (skip) return;
  pgl = new PostgresLedger({ url: PG_URL, schema, insertBatch: 37 });
  sql = new SqliteLedger(':memory:');
  const all = entries(240);
  for (let i = 0; i < all.length; i += 50) {
    await pgl.append(all.slice(i, i + 50));
    await sql.append(all.slice(i, i + 50));
  }
});

after(async () => {
  if (skip) return;
  await pgl.close();
  await sql.close();
  await dropSchema(schema);
});

const norm = (r: UsageResult) => ({
  totals: r.totals,
  groups: [...r.groups].sort((a, b) => JSON.stringify(a.group).localeCompare(JSON.stringify(b.group))),
});

test('every filter and grouping answers as the SQLite ledger does', { skip }, async () => {
  const filters: UsageFilter[] = [
    {},
    { key: 'key-1' },
    { project: 'p1' },
    { model: 'gpt-4o-mini' },
    { model: 'anthropic/claude' },
    { provider: 'openai' },
    { tag: 'a' },
    { status: 429 },
    { from: T0 + DAY, to: T0 + 3 * DAY },
    { key: 'key-2', tag: 'b', from: T0 },
  ];
  const groupings: GroupBy[][] = [
    [],
    ['model'],
    ['provider', 'status'],
    ['key', 'day'],
    ['tag'],
    ['project', 'hour'],
    ['tag', 'model'],
  ];
  for (const f of filters) {
    for (const g of groupings) {
      for (const tz of ['UTC', 'Asia/Kolkata']) {
        assert.deepEqual(
          norm(await pgl.query(f, g, tz)),
          norm(await sql.query(f, g, tz)),
          `${JSON.stringify(f)} by ${g} in ${tz}`,
        );
      }
    }
  }
  assert.deepEqual(await pgl.records({ project: 'p1' }, 15), await sql.records({ project: 'p1' }, 15));
  const keys = ['gov:budget:key:key-0:month:2026-06', 'gov:budget:key:key-1:month:2026-06', 'nope'];
  assert.deepEqual(await pgl.budgetSpend(keys), await sql.budgetSpend(keys));
  for (const scope of ['key', 'project'] as const)
    assert.deepEqual(await pgl.spendBy(scope, T0, T0 + 2 * DAY), await sql.spendBy(scope, T0, T0 + 2 * DAY));
});

test('runtime keys round-trip; prune deletes in batches and keeps the rest', { skip }, async () => {
  await pgl.saveKey({
    id: 'vk_1',
    hash: 'ab'.repeat(32),
    createdAt: 1,
    revokedAt: null,
    attrs: { project: 'p', models: ['x'] },
  });
  await pgl.saveKey({ id: 'vk_1', hash: 'ab'.repeat(32), createdAt: 1, revokedAt: 5, attrs: { project: 'p' } });
  assert.deepEqual(await pgl.loadKeys(), [
    { id: 'vk_1', hash: 'ab'.repeat(32), createdAt: 1, revokedAt: 5, attrs: { project: 'p' } },
  ]);
  const small = new PostgresLedger({ url: PG_URL, schema, pruneBatch: 7 });
  const cut = T0 + 2 * DAY;
  const want = await sql.prune(cut);
  assert.equal(await small.prune(cut), want);
  await small.close();
  assert.deepEqual(norm(await pgl.query({}, ['day'], 'UTC')), norm(await sql.query({}, ['day'], 'UTC')));
});

test('usage queries use the indexes (time, key/project/model with time, tags)', { skip }, async () => {
  const c = await pgl.pool.connect();
  try {
    // a small table would be scanned anyway: ask which index serves the shape
    await c.query('SET enable_seqscan = off');
    const plan = async (where: string) =>
      (await c.query(`EXPLAIN SELECT count(*) FROM "${schema}".usage u WHERE ${where}`)).rows
        .map((r) => r['QUERY PLAN'])
        .join('\n');
    assert.doesNotMatch(await plan(`u.time >= ${T0} AND u.time < ${T0 + DAY}`), /Seq Scan/);
    assert.match(await plan(`u.key_id = 'key-1' AND u.time >= ${T0}`), /usage_key_time/);
    assert.match(await plan(`u.project = 'p1' AND u.time >= ${T0}`), /usage_project_time/);
    assert.match(await plan(`u.model = 'claude' AND u.time >= ${T0}`), /usage_model_time/);
    assert.match(await plan(`u.tags @> ARRAY['b']::text[]`), /usage_tags/);
  } finally {
    c.release();
  }
});

test('the bound holds for a batch that was in flight when PostgreSQL went away', { skip }, async () => {
  const own = runId('sy_ledger_bound');
  const proxy = new CuttableProxy(await freePort(), { host: '127.0.0.1', port: 5432 });
  await proxy.open();
  const url = `postgres://root@127.0.0.1:${proxy.port}/test`;
  const ledger = new PostgresLedger({ url, schema: own, maxBuffered: 5, retryMs: 60_000, maxRetryMs: 60_000 });
  try {
    await ledger.append(entries(1)); // schema made, connection up
    await proxy.cut();
    // 12 records reach the ledger while it still believes PostgreSQL is up: one batch, in flight when it fails
    await ledger.append(entries(12));
    const s = ledger.status;
    assert.equal(s.up, false);
    assert.equal(s.buffered, 5, JSON.stringify(s));
    assert.equal(s.dropped, 7);
  } finally {
    await proxy.cut();
    await ledger.close().catch(() => undefined);
    await dropSchema(own);
  }
});
