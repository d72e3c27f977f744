/**
 * The ledger's write queue: a full batch is written at once, without waiting for flushIntervalMs. The
 * default batch is small (64): records waiting across young-generation collections are promoted
 * (bench/profile-notes.md, tenth round), and a crash loses fewer.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { eventually } from '../helpers/gateway.js';
import { ask, startEnv } from './helpers.js';

const KEY = 'sk-ledger-batch-0000000000000001';

function rows(dbPath: string): number {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM usage').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

function spend(dbPath: string): { usage: number; budget: number; counters: number } {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const usage = (db.prepare('SELECT sum(cost_pusd) AS s FROM usage').get() as { s: number }).s;
    const b = db.prepare('SELECT count(*) AS n, sum(spent_pusd) AS s FROM budget_spend').get() as {
      n: number;
      s: number;
    };
    return { usage, budget: b.s, counters: b.n };
  } finally {
    db.close();
  }
}

test('64 queued records are written at once with the default maxBatch; fewer wait for the interval', async () => {
  const env = await startEnv({
    keys: [{ id: 'k', key: KEY, budgets: [{ limitUsd: 100, period: 'month' }] }],
    ledger: { flushIntervalMs: 600_000 },
  });
  try {
    const client = env.client(KEY);
    for (let i = 0; i < 63; i++) await ask(client, `echo: ${i}`);
    // 63 records queued, the interval 10 minutes away: nothing written yet
    await new Promise((r) => setImmediate(r));
    assert.equal(rows(env.dbPath), 0);
    await ask(client, 'echo: 63');
    await eventually(() => rows(env.dbPath) === 64);
    // the batch's 64 budget charges, summed into one upsert, add up to what the records cost
    const s = spend(env.dbPath);
    assert.ok(s.usage > 0);
    assert.equal(s.counters, 1);
    assert.equal(s.budget, s.usage);
  } finally {
    await env.close();
  }
});

test('ledger.maxBatch is honoured and validated', async () => {
  const env = await startEnv({ keys: [{ id: 'k', key: KEY }], ledger: { flushIntervalMs: 600_000, maxBatch: 3 } });
  try {
    const client = env.client(KEY);
    for (let i = 0; i < 3; i++) await ask(client, `echo: ${i}`);
    await eventually(() => rows(env.dbPath) === 3);
  } finally {
    await env.close();
  }
  await assert.rejects(startEnv({ keys: [{ id: 'k', key: KEY }], ledger: { maxBatch: 0 } }), /maxBatch/);
});
