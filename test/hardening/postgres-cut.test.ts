/**
 * Found by the chaos test (issue 14), two defects of the PostgreSQL ledger under a cut connection:
 * - lost while a pooled client was checked out for a batch, it crashed the whole gateway process: pg
 *   emits 'error' on a checked-out client and nobody listened ("Connection terminated unexpectedly");
 * - lost after PostgreSQL committed a batch but before the gateway saw the answer, the batch was
 *   written again on retry: duplicate usage rows and budget spend counted twice.
 * The ledger must treat a cut as an outage (buffer, retry) and write every batch exactly once.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import pg from 'pg';
import { PostgresLedger } from '../../plugins/scaleout/postgres-ledger.js';
import { PG_URL, dropSchema, runId, services } from '../scaleout/helpers.js';

const skip = await services();

/**
 * A TCP proxy to PostgreSQL that drops both sides the first `cuts` times the client sends `trigger`:
 * before forwarding it, or (`after`) once the server has had it and before its answer comes back.
 */
async function cuttingProxy(trigger: string, cuts: number, after = false) {
  const sockets = new Set<net.Socket>();
  let left = cuts;
  const server = net.createServer((client) => {
    const up = net.connect(5432, '127.0.0.1');
    for (const s of [client, up]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.on('data', (d: Buffer) => {
      if (left > 0 && d.includes(trigger)) {
        left--;
        if (after) {
          up.unpipe(client); // the answer never reaches the client
          up.write(d, () =>
            setTimeout(() => {
              client.destroy();
              up.destroy();
            }, 100),
          );
        } else {
          client.destroy();
          up.destroy();
        }
        return;
      }
      up.write(d);
    });
    up.pipe(client);
    client.on('close', () => up.destroy());
    up.on('close', () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    get left() {
      return left;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

const entry = (i: number) => ({
  record: {
    time: Date.now(),
    requestId: `cut-${i}`,
    keyId: 'k',
    project: null,
    provider: 'p',
    model: 'm',
    requestedModel: 'p/m',
    operation: 'chat',
    stream: false,
    status: 200,
    errorCode: null,
    cache: null,
    inputTokens: 1,
    cachedTokens: 0,
    cacheWriteTokens: 0,
    outputTokens: 1,
    reasoningTokens: 0,
    totalTokens: 2,
    costPusd: 5,
    costSavedPusd: 0,
    latencyMs: 1,
    upstreamMs: 1,
    ttftMs: null,
    attempts: 1,
    aborted: false,
    shadow: false,
    tags: [],
  },
  charges: [{ key: 'gov:budget:key:k:day:x', pusd: 5, expiresAt: null }],
});

test('a connection lost mid-batch is an outage the ledger rides out, not a process crash', { skip }, async () => {
  const schema = runId('sy_pgcut');
  const proxy = await cuttingProxy('INSERT INTO', 2);
  const ledger = new PostgresLedger({
    url: `postgres://root@127.0.0.1:${proxy.port}/test`,
    schema,
    retryMs: 20,
    maxRetryMs: 50,
  });
  const crashes: unknown[] = [];
  const onCrash = (e: unknown) => crashes.push(e);
  process.on('uncaughtException', onCrash);
  try {
    await ledger.init();
    await ledger.append([entry(1), entry(2)]);
    await ledger.append([entry(3)]);
    const end = Date.now() + 10_000;
    while ((proxy.left > 0 || ledger.status.buffered > 0) && Date.now() < end)
      await new Promise((r) => setTimeout(r, 20));
    await ledger.flush();
    assert.deepEqual(crashes.map(String), [], 'no uncaught error');
    assert.equal(proxy.left, 0, 'the connection was cut twice');
    const db = new pg.Client({ connectionString: PG_URL });
    await db.connect();
    try {
      const ids = (await db.query(`SELECT request_id FROM "${schema}".usage ORDER BY request_id`)).rows.map(
        (r) => r.request_id,
      );
      assert.deepEqual(ids, ['cut-1', 'cut-2', 'cut-3'], 'every record written once, after the cuts');
      const spent = (await db.query(`SELECT spent_pusd FROM "${schema}".budget_spend`)).rows.map((r) =>
        Number(r.spent_pusd),
      );
      assert.deepEqual(spent, [15]);
    } finally {
      await db.end();
    }
  } finally {
    process.off('uncaughtException', onCrash);
    await ledger.close();
    await proxy.close();
    await dropSchema(schema).catch(() => undefined);
  }
});

test('a batch committed just before the connection dropped is not written twice on retry', { skip }, async () => {
  const schema = runId('sy_pgcommit');
  const proxy = await cuttingProxy('COMMIT', 1, true);
  const ledger = new PostgresLedger({
    url: `postgres://root@127.0.0.1:${proxy.port}/test`,
    schema,
    retryMs: 20,
    maxRetryMs: 50,
  });
  try {
    await ledger.init();
    await ledger.append([entry(1), entry(2)]);
    const end = Date.now() + 10_000;
    while ((proxy.left > 0 || ledger.status.buffered > 0) && Date.now() < end)
      await new Promise((r) => setTimeout(r, 20));
    await ledger.flush();
    assert.equal(proxy.left, 0, 'the connection was cut after COMMIT');
    assert.equal(ledger.status.buffered, 0);
    const db = new pg.Client({ connectionString: PG_URL });
    await db.connect();
    try {
      const ids = (await db.query(`SELECT request_id FROM "${schema}".usage ORDER BY request_id`)).rows.map(
        (r) => r.request_id,
      );
      assert.deepEqual(ids, ['cut-1', 'cut-2'], 'each record once');
      const spent = (await db.query(`SELECT spent_pusd FROM "${schema}".budget_spend`)).rows.map((r) =>
        Number(r.spent_pusd),
      );
      assert.deepEqual(spent, [10], 'the budget charged once');
    } finally {
      await db.end();
    }
  } finally {
    await ledger.close();
    await proxy.close();
    await dropSchema(schema).catch(() => undefined);
  }
});
