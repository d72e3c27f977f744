/**
 * How the SQLite ledger writes a batch: records 16 to an INSERT statement and the rest one by one, in
 * order and intact; budget charges summed per counter (one upsert per counter and expiry), and never
 * past a safe integer; a refused record inside a 16-row statement still quarantined alone. Each case runs
 * twice: in memory (written on the main thread) and on a file (written on the ledger's writer thread,
 * read back on the main thread's connection). Then the writer thread itself: started by the first batch,
 * replaced by the main thread when it cannot start, ended by close, and never holding a process open.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { LedgerEntry, LedgerRecord } from '../../plugins/governance/ledger/types.js';
import { SqliteLedger, type SqliteLedgerOptions } from '../../plugins/governance/ledger/sqlite.js';

const WHERE = ['main', 'thread'] as const;
type Where = (typeof WHERE)[number];

/** A ledger that writes on the main thread (in memory) or on its writer thread (a file, removed after). */
async function withLedger(
  where: Where,
  run: (ledger: SqliteLedger) => Promise<void>,
  options: SqliteLedgerOptions = {},
): Promise<void> {
  const dir = where === 'thread' ? mkdtempSync(path.join(os.tmpdir(), 'sy-ledger-')) : undefined;
  // threadMinBatch 1: every batch of these cases goes through the thread (a trickle otherwise would not)
  const ledger = new SqliteLedger(dir ? path.join(dir, 'usage.db') : ':memory:', { threadMinBatch: 1, ...options });
  try {
    await run(ledger);
  } finally {
    await ledger.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

const T0 = 1_790_000_000_000;

function record(i: number, extra: Partial<LedgerRecord> = {}): LedgerRecord {
  return {
    time: T0 + i,
    requestId: `req-${i}`,
    keyId: i % 2 ? 'k1' : 'k2',
    project: 'p',
    provider: 'openai',
    model: 'gpt-4o-mini',
    requestedModel: `model-${i}`,
    operation: 'chat',
    stream: i % 3 === 0,
    status: 200,
    errorCode: null,
    cache: i % 4 === 0 ? 'miss' : null,
    inputTokens: 10 + i,
    cachedTokens: 0,
    cacheWriteTokens: 0,
    outputTokens: 5 + i,
    reasoningTokens: 0,
    totalTokens: 15 + 2 * i,
    costPusd: 1000 * (i + 1),
    costSavedPusd: 0,
    latencyMs: 1.5 + i,
    upstreamMs: 1,
    ttftMs: null,
    attempts: 1,
    aborted: false,
    shadow: false,
    tags: [`t${i}`],
    ...extra,
  };
}

const A = { key: 'gov:budget:key:k1:month:test', expiresAt: T0 + 86_400_000 };
const B = { key: 'gov:budget:project:p:month:test', expiresAt: T0 + 86_400_000 };

for (const where of WHERE) {
  test(`${where}: a batch of 37, every record stored in order with its values; charges summed per counter`, () =>
    withLedger(where, async (ledger) => {
      assert.equal(ledger.writesOn, where);
      const entries: LedgerEntry[] = [];
      for (let i = 0; i < 37; i++) {
        entries.push({
          record: record(i),
          charges: [
            { ...A, pusd: 1000 * (i + 1) },
            { ...B, pusd: i % 5 === 0 ? 0 : 7 },
          ],
        });
      }
      await ledger.append(entries);
      const stored = await ledger.records({}, 100);
      assert.equal(stored.length, 37);
      // newest first
      assert.deepEqual(
        stored.map((r) => r.requestId),
        entries.map((e) => e.record.requestId).reverse(),
      );
      for (const r of stored) {
        const i = Number(r.requestId.slice(4));
        const want = record(i);
        assert.equal(r.time, want.time);
        assert.equal(r.keyId, want.keyId);
        assert.equal(r.requestedModel, want.requestedModel);
        assert.equal(r.stream, want.stream);
        assert.equal(r.cache, want.cache);
        assert.equal(r.inputTokens, want.inputTokens);
        assert.equal(r.outputTokens, want.outputTokens);
        assert.equal(r.costPusd, want.costPusd);
        assert.equal(r.latencyMs, want.latencyMs);
        assert.deepEqual(r.tags, want.tags);
      }
      const spend = await ledger.budgetSpend([A.key, B.key]);
      assert.equal(spend.get(A.key), (1000 * 37 * 38) / 2);
      // 37 charges of 7, less the 8 of zero (i = 0, 5, ..., 35)
      assert.equal(spend.get(B.key), 7 * (37 - 8));
      // a second batch adds to the persisted counters
      await ledger.append([{ record: record(100), charges: [{ ...A, pusd: 5 }] }]);
      assert.equal((await ledger.budgetSpend([A.key])).get(A.key), (1000 * 37 * 38) / 2 + 5);
      assert.equal(ledger.writesOn, where);
    }));

  test(`${where}: a refused record inside a 16-row statement, the rest of the batch stored, its charge kept`, () =>
    withLedger(where, async (ledger) => {
      ledger.db.exec(
        "CREATE TRIGGER no_poison BEFORE INSERT ON usage WHEN NEW.request_id = 'req-9' " +
          "BEGIN SELECT RAISE(ABORT, 'poison'); END",
      );
      const entries = Array.from({ length: 20 }, (_, i) => ({ record: record(i), charges: [{ ...A, pusd: 3 }] }));
      await ledger.append(entries);
      const ids = (await ledger.records({}, 100)).map((r) => r.requestId);
      assert.equal(ids.length, 19);
      assert.ok(!ids.includes('req-9'));
      assert.equal(ledger.quarantined, 1);
      assert.equal((await ledger.budgetSpend([A.key])).get(A.key), 60);
    }));

  test(`${where}: a record's optional fields stored, absent ones read back as absent`, () =>
    withLedger(where, async (ledger) => {
      const guardrails = [
        { policy: 'pii', rule: 'pii.email', action: 'redact' as const, phase: 'input' as const, count: 2 },
      ];
      await ledger.append([
        {
          record: record(1, { guardrails, usageEstimated: true, endUser: 'user-7', units: { images: 2 } }),
          charges: [],
        },
        { record: record(2), charges: [] },
      ]);
      const [plain, rich] = await ledger.records({}, 10);
      assert.equal(rich.requestId, 'req-1');
      assert.deepEqual(rich.guardrails, guardrails);
      assert.equal(rich.usageEstimated, true);
      assert.equal(rich.endUser, 'user-7');
      assert.deepEqual(rich.units, { images: 2 });
      assert.equal(plain.requestId, 'req-2');
      assert.equal(plain.guardrails, undefined);
      assert.equal(plain.usageEstimated, false);
      assert.equal(plain.endUser ?? null, null);
    }));

  test(`${where}: charges summed within a batch stay exact past 2^53 picodollars`, () =>
    withLedger(where, async (ledger) => {
      const big = 6_000_000_000_000_000; // 6,000 USD
      await ledger.append([
        { record: record(1), charges: [{ ...A, pusd: big + 1 }] },
        { record: record(2), charges: [{ ...A, pusd: big + 3 }] },
        { record: record(3), charges: [{ ...A, pusd: 1 }] },
      ]);
      const row = ledger.db.prepare('SELECT spent_pusd FROM budget_spend WHERE key = ?').safeIntegers().get(A.key) as {
        spent_pusd: bigint;
      };
      assert.equal(row.spent_pusd, 2n * BigInt(big) + 5n);
    }));
}

test('a writer thread that cannot start: every batch written on the main thread, one warning, nothing lost', () => {
  const warnings: string[] = [];
  const log = { warn: (_: unknown, msg: string) => warnings.push(msg), error: () => undefined };
  const threadUrl = new URL('./no-such-writer-thread.js', import.meta.url);
  return withLedger(
    'thread',
    async (ledger) => {
      assert.equal(ledger.writesOn, 'thread', 'not tried yet');
      await ledger.append([{ record: record(1), charges: [{ ...A, pusd: 4 }] }]);
      assert.equal(ledger.writesOn, 'main');
      await ledger.append([{ record: record(2), charges: [{ ...A, pusd: 6 }] }]);
      assert.deepEqual(
        (await ledger.records({}, 10)).map((r) => r.requestId),
        ['req-2', 'req-1'],
      );
      assert.equal((await ledger.budgetSpend([A.key])).get(A.key), 10);
      assert.equal(warnings.length, 1);
      assert.match(warnings[0], /writer thread is not available/);
    },
    { log: log as unknown as SqliteLedgerOptions['log'], threadUrl },
  );
});

test('a trickle is written on the main thread; a batch of threadMinBatch starts the thread, which takes the rest', () =>
  withLedger(
    'thread',
    async (ledger) => {
      const batch = (from: number, n: number) =>
        Array.from({ length: n }, (_, i) => ({ record: record(from + i), charges: [{ ...A, pusd: 1 }] }));
      await ledger.append(batch(0, 3));
      await ledger.append(batch(3, 3));
      assert.equal(ledger.writerRunning, false, 'no thread for batches under 4 records');
      await ledger.append(batch(6, 4));
      assert.equal(ledger.writerRunning, true);
      await ledger.append(batch(10, 1)); // the running thread takes small batches too: one writer at a time
      assert.equal(ledger.writesOn, 'thread');
      const ids = (await ledger.records({}, 100)).map((r) => r.requestId);
      assert.deepEqual(
        ids,
        Array.from({ length: 11 }, (_, i) => `req-${10 - i}`),
      );
      assert.equal((await ledger.budgetSpend([A.key])).get(A.key), 11);
    },
    { threadMinBatch: 4 },
  ));

test('an idle writer thread ends, and the next batch starts another: nothing lost, no warning', () => {
  const warnings: string[] = [];
  const log = { warn: (_: unknown, msg: string) => warnings.push(msg), error: () => undefined };
  return withLedger(
    'thread',
    async (ledger) => {
      assert.equal(ledger.writerRunning, false, 'no thread before the first batch');
      await ledger.append([{ record: record(1), charges: [{ ...A, pusd: 4 }] }]);
      assert.equal(ledger.writerRunning, true);
      // the thread's isolate, heap and SQLite cache are ~13 MiB of an idle gateway's RSS: it ends when idle
      const deadline = Date.now() + 30_000;
      while (ledger.writerRunning && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.equal(ledger.writerRunning, false, 'the idle thread ended');
      await ledger.append([{ record: record(2), charges: [{ ...A, pusd: 6 }] }]);
      assert.equal(ledger.writesOn, 'thread', 'written on a new thread, not handed to the main thread');
      assert.equal(ledger.writerRunning, true);
      assert.deepEqual(
        (await ledger.records({}, 10)).map((r) => r.requestId),
        ['req-2', 'req-1'],
      );
      assert.equal((await ledger.budgetSpend([A.key])).get(A.key), 10);
      assert.deepEqual(warnings, []);
    },
    { log: log as unknown as SqliteLedgerOptions['log'], threadIdleMs: 50 },
  );
});

test('a process with a file ledger ends by itself, whether or not the ledger was closed', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sy-ledger-exit-'));
  const fixture = new URL('../fixtures/ledger-exit.ts', import.meta.url).pathname;
  try {
    for (const mode of ['close', 'open']) {
      const file = path.join(dir, `${mode}.db`);
      const run = spawnSync(process.execPath, ['--import', 'tsx', fixture, file, mode], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      assert.equal(run.signal, null, `${mode}: the process did not end by itself (${run.stderr})`);
      assert.equal(run.status, 0, run.stderr);
      assert.equal(run.stdout, 'thread req-exit\n');
      // what the thread wrote is in the file for the next process
      const again = new SqliteLedger(file, { thread: false });
      try {
        assert.deepEqual(again.db.prepare('SELECT request_id FROM usage').all(), [{ request_id: 'req-exit' }]);
      } finally {
        again.db.close();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
