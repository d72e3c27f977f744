/**
 * Billed units (images, characters, audio seconds, search units, documents) in both ledgers: a ledger made by
 * the schema before units existed (SQLite file, PostgreSQL schema) is migrated in place and keeps its rows;
 * new rows carry their units, summed in the totals; and through HTTP, a rerank, an image and a speech request
 * produce PostgreSQL rows with their units.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import pg from 'pg';
import { openSqlite } from '../../core/optional-deps.js';
import type { LedgerEntry, LedgerRecord } from '../../plugins/governance/ledger/types.js';
import { SqliteLedger } from '../../plugins/governance/ledger/sqlite.js';
import { PostgresLedger, postgresLedger } from '../../plugins/scaleout/index.js';
import { startRerankEnv, unitsInLedger } from '../endpoints/rerank-env.js';
import { PG_URL, dropSchema, runId, services } from './helpers.js';

const skip = await services();
const schemas: string[] = [];
after(async () => {
  if (!skip) for (const s of schemas) await dropSchema(s);
});

/** The usage table as the ledgers created it before the `units` column. */
const OLD_COLUMNS = `time %BIG NOT NULL, request_id text NOT NULL, key_id text, project text, provider text, model text,
  requested_model text, operation text, stream %BOOL, status integer, error_code text, cache text,
  input_tokens %BIG, cached_tokens %BIG, cache_write_tokens %BIG, output_tokens %BIG,
  reasoning_tokens %BIG, total_tokens %BIG, cost_pusd %BIG, cost_saved_pusd %BIG,
  latency_ms %REAL, upstream_ms %REAL, ttft_ms %REAL, attempts integer, aborted %BOOL, shadow %BOOL, tags %TAGS,
  usage_estimated %BOOL_DEFAULT, guardrails %JSON, end_user text`;

const T0 = Date.UTC(2026, 5, 10, 12);

function record(i: number, units?: LedgerRecord['units']): LedgerEntry {
  return {
    record: {
      time: T0 + i,
      requestId: `req-${i}`,
      keyId: 'k',
      project: null,
      provider: 'cohere',
      model: 'rerank-v3.5',
      requestedModel: 'rerank-v3.5',
      operation: units?.searchUnits ? 'rerank' : 'images',
      stream: false,
      status: 200,
      errorCode: null,
      cache: null,
      inputTokens: 0,
      cachedTokens: 0,
      cacheWriteTokens: 0,
      outputTokens: 0,
      reasoningTokens: 0,
      totalTokens: 0,
      costPusd: 2_000_000_000,
      costSavedPusd: 0,
      latencyMs: 1,
      upstreamMs: 1,
      ttftMs: null,
      attempts: 1,
      aborted: false,
      shadow: false,
      tags: [],
      ...(units ? { units } : {}),
    },
    charges: [],
  };
}

async function checkUnits(ledger: SqliteLedger | PostgresLedger): Promise<void> {
  await ledger.append([
    record(1, { searchUnits: 2, documents: 150 }),
    record(2, { images: 3, imageSize: '1024x1024', imageQuality: 'hd' }),
    // Bad values from a buggy plugin are not stored: a negative count, a non-number, text that is not a unit.
    record(3, { characters: 12, audioSeconds: 2.5, documents: -1, searchUnits: Number.NaN }),
  ]);
  const rows = await ledger.records({ key: 'k' }, 10);
  const by = Object.fromEntries(rows.map((r) => [r.requestId, r.units]));
  assert.equal(by['req-0'], undefined, 'the row written before the migration is kept, without units');
  assert.deepEqual(by['req-1'], { searchUnits: 2, documents: 150 });
  assert.deepEqual(by['req-2'], { images: 3, imageSize: '1024x1024', imageQuality: 'hd' });
  assert.deepEqual(by['req-3'], { characters: 12, audioSeconds: 2.5 });
  const { totals, groups } = await ledger.query({ key: 'k' }, ['model'], 'UTC');
  assert.equal(totals.requests, 4);
  assert.deepEqual(
    [totals.images, totals.audioSeconds, totals.characters, totals.searchUnits, totals.documents],
    [3, 2.5, 12, 2, 150],
  );
  assert.equal(groups[0].searchUnits, 2);
}

test('SQLite: a ledger file of the previous schema is migrated; units stored and summed', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'sy-units-')), 'old.db');
  const old = openSqlite(path);
  const columns = OLD_COLUMNS.replace(/%BIG/g, 'INTEGER')
    .replace(/%BOOL_DEFAULT/g, 'INTEGER NOT NULL DEFAULT 0')
    .replace(/%BOOL/g, 'INTEGER')
    .replace(/%REAL/g, 'REAL')
    .replace(/%TAGS/g, 'TEXT')
    .replace(/%JSON/g, 'TEXT');
  old.exec(`CREATE TABLE usage (${columns})`);
  old
    .prepare(`INSERT INTO usage (time, request_id, key_id, operation, status, cost_pusd, tags, latency_ms, attempts)
      VALUES (?, 'req-0', 'k', 'chat', 200, 5, '[]', 1, 1)`)
    .run(T0);
  old.close();
  const ledger = new SqliteLedger(path);
  try {
    await checkUnits(ledger);
  } finally {
    await ledger.close();
  }
});

test('PostgreSQL: a schema of the previous version is migrated; units stored and summed', { skip }, async () => {
  const schema = runId('sy_units');
  schemas.push(schema);
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    const columns = OLD_COLUMNS.replace(/%BIG/g, 'bigint')
      .replace(/%BOOL_DEFAULT/g, 'boolean NOT NULL DEFAULT false')
      .replace(/%BOOL/g, 'boolean')
      .replace(/%REAL/g, 'double precision')
      .replace(/%TAGS/g, "text[] NOT NULL DEFAULT '{}'")
      .replace(/%JSON/g, 'jsonb');
    await c.query(`CREATE SCHEMA "${schema}"; CREATE TABLE "${schema}".usage (${columns})`);
    await c.query(
      `INSERT INTO "${schema}".usage (time, request_id, key_id, operation, status, cost_pusd, latency_ms, attempts)
       VALUES ($1, 'req-0', 'k', 'chat', 200, 5, 1, 1)`,
      [T0],
    );
  } finally {
    await c.end();
  }
  const ledger = new PostgresLedger({ url: PG_URL, schema });
  try {
    await checkUnits(ledger);
  } finally {
    await ledger.close();
  }
});

test('PostgreSQL through HTTP: a rerank, an image and a speech request are rows with their units', {
  skip,
}, async () => {
  const schema = runId('sy_units_http');
  schemas.push(schema);
  const env = await startRerankEnv(postgresLedger({ url: PG_URL, schema }));
  try {
    const u = await unitsInLedger(env);
    assert.equal(u.rerank, 'searchUnits=1;documents=3');
    assert.equal(u.image, 'images=1;imageSize=1024x1024');
    assert.equal(u.speech, 'characters=18');
  } finally {
    await env.close();
  }
});
