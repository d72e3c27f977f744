/**
 * PostgreSQL ledger at scale: N synthetic usage records (180 days, 2000 keys, 50 projects, 20 models)
 * inserted with generate_series into a throw-away schema, then the typical /admin/usage queries timed
 * end to end through PostgresLedger.query, and two query plans. Numbers are in docs/deploy.md.
 *
 *   tsx bench/ledger-scale.ts [rows=3000000] [--url=postgres://root@127.0.0.1:5432/test]
 */
import { PostgresLedger } from '../plugins/scaleout/postgres-ledger.js';
const N = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 3_000_000);
const URL_ = process.argv.find((a) => a.startsWith('--url='))?.slice(6) ?? 'postgres://root@127.0.0.1:5432/test';
const schema = 'sy_scale_probe';
const l = new PostgresLedger({ url: URL_, schema, statementTimeoutMs: 600_000 });
await l.pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
await l.init();
const t0 = Date.now();
const start = Date.UTC(2026, 0, 1);
const span = 180 * 86_400_000;
await l.pool.query(
  `INSERT INTO ${schema}.usage (time, request_id, key_id, project, provider, model, requested_model, ` +
    'operation, stream, status, error_code, cache,\n' +
    '  input_tokens, cached_tokens, cache_write_tokens, output_tokens, reasoning_tokens, total_tokens, ' +
    'cost_pusd, cost_saved_pusd, latency_ms, upstream_ms, ttft_ms, attempts, aborted, shadow, tags)\n' +
    `  SELECT ${start} + (g::bigint * ${span} / ${N}), 'r' || g, 'key-' || (g % 2000), ` +
    `'proj-' || (g % 50), 'openai', 'model-' || (g % 20), 'model-' || (g % 20), 'chat', false,\n` +
    '    CASE WHEN g % 50 = 0 THEN 500 ELSE 200 END, NULL, NULL, 100 + g % 500, 0, 0, 50 + g % 300, 0, ' +
    '150 + g % 800, (g % 1000) * 1000000, 0, 1.5, 1, NULL, 1, false, false,\n' +
    `    CASE WHEN g % 10 = 0 THEN ARRAY['batch'] ELSE ARRAY[]::text[] END\n` +
    `  FROM generate_series(1, ${N}) g`,
);
await l.prune(0); // the hourly retention run: summarises new BRIN ranges
await l.pool.query(`ANALYZE ${schema}.usage`);
console.log(`inserted ${N} rows in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
const sizes = await l.pool.query(
  'SELECT relname, pg_size_pretty(pg_relation_size(c.oid)) size FROM pg_class c JOIN pg_namespace n ON ' +
    `n.oid = c.relnamespace WHERE n.nspname = '${schema}' AND relname LIKE 'usage%' ORDER BY relname`,
);
console.log(sizes.rows.map((r) => `${r.relname}: ${r.size}`).join(', '));
const month = Date.UTC(2026, 3, 1),
  monthEnd = Date.UTC(2026, 4, 1);
const time = async (label: string, fn: () => Promise<unknown>) => {
  await fn();
  const t = performance.now();
  await fn();
  console.log(`${label}: ${(performance.now() - t).toFixed(1)} ms`);
};
await time('one key, one month, by model', () =>
  l.query({ key: 'key-7', from: month, to: monthEnd }, ['model'], 'UTC'),
);
await time('one project, one month, by day', () =>
  l.query({ project: 'proj-3', from: month, to: monthEnd }, ['day'], 'UTC'),
);
await time('everything, one day, by hour', () => l.query({ from: month, to: month + 86_400_000 }, ['hour'], 'UTC'));
await time('one model, one week, by key (top groups)', () =>
  l.query({ model: 'model-4', from: month, to: month + 7 * 86_400_000 }, ['key'], 'UTC'),
);
await time('everything, one month, totals', () => l.query({ from: month, to: monthEnd }, [], 'UTC'));
const ex = async (q: string) =>
  console.log((await l.pool.query('EXPLAIN ANALYZE ' + q)).rows.map((r: any) => r['QUERY PLAN']).join('\n'));
await ex(
  `SELECT count(*), sum(cost_pusd) FROM ${schema}.usage u WHERE u.time >= ${month} AND u.time < ${month + 86_400_000}`,
);
await ex(
  `SELECT u.key_id, count(*) FROM ${schema}.usage u WHERE (u.model = 'model-4' OR u.requested_model = ` +
    `'model-4') AND u.time >= ${month} AND u.time < ${month + 7 * 86_400_000} GROUP BY 1`,
);
await l.pool.query(`DROP SCHEMA ${schema} CASCADE`);
await l.close();
