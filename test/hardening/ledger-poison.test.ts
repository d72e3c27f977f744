/**
 * Issue 14, defect 2: one unauthenticated request must not stop the PostgreSQL ledger. `"model":
 * "x\u0000"` was recorded (401) with that model; PostgreSQL refuses NUL; the ledger retried the
 * poisoned batch forever. Now: text is sanitised (both ledgers), data errors are told from outages,
 * and a record the database still refuses is quarantined (the batch is written row by row; the bad
 * row is dropped, counted and logged without content; its budget charges are kept).
 * Against the real PostgreSQL, in a private schema.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { pino } from 'pino';
import { governance, openai } from '../../index.js';
import type { LedgerEntry, LedgerRecord } from '../../plugins/governance/ledger/types.js';
import { SqliteLedger } from '../../plugins/governance/ledger/sqlite.js';
import { PostgresLedger } from '../../plugins/scaleout/postgres-ledger.js';
import { startOpenAIEmulator, type OpenAIEmulator } from '../emulators/openai.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { PG_URL, dropSchema, eventually, runId, services } from '../scaleout/helpers.js';

const skip = await services();
const KEY = 'sk-hardening-ledger-00000000001';
const schemas: string[] = [];
const newSchema = () => {
  const s = runId('sy_poison');
  schemas.push(s);
  return s;
};

let emu: OpenAIEmulator;
let bad: http.Server;
let badUrl: string;

before(async () => {
  if (skip) return;
  emu = await startOpenAIEmulator();
  // An upstream whose error code carries a NUL byte and whose usage has fractional tokens.
  bad = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'boom', type: 'server_error', param: null, code: 'nul\u0000code' } }));
    });
  });
  await new Promise<void>((r) => bad.listen(0, '127.0.0.1', r));
  badUrl = `http://127.0.0.1:${(bad.address() as AddressInfo).port}/v1`;
});

after(async () => {
  if (skip) return;
  await emu?.close();
  await new Promise((r) => bad?.close(r));
  for (const s of schemas) await dropSchema(s).catch(() => undefined);
});

async function rows(schema: string, where = 'true'): Promise<any[]> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    return (await c.query(`SELECT * FROM "${schema}".usage WHERE ${where} ORDER BY time`)).rows;
  } finally {
    await c.end();
  }
}

test('an unauthenticated NUL model name, then an upstream error code with NUL: the ledger keeps writing', {
  skip,
}, async () => {
  const schema = newSchema();
  const ledger = new PostgresLedger({ url: PG_URL, schema, retryMs: 20, maxRetryMs: 50 });
  let t: TestGateway | undefined;
  try {
    t = await startGateway({
      providers: [
        openai({ apiKey: 'test-key', baseURL: emu.url }),
        openai({ name: 'bad', apiKey: 'k', baseURL: badUrl, models: ['m'] }),
      ],
      failover: false,
      plugins: [
        governance(
          {
            adminKey: 'admin-key-0123456789abcdef',
            keys: [{ id: 'ledger', key: KEY }],
            ledger: { flushIntervalMs: 20 },
          },
          { ledger },
        ),
      ],
    });
    // the attack as reported: no key, a NUL in the model name
    const attack = await fetch(`${t.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"model":"x\\u0000","messages":[{"role":"user","content":"hi"}]}',
    });
    assert.ok(attack.status === 400 || attack.status === 401, `refused (${attack.status})`);
    // upstream-controlled text with a NUL byte
    const upstream = await fetch(`${t.url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${KEY}`,
        'content-type': 'application/json',
        'x-request-id': 'poison-upstream',
      },
      body: JSON.stringify({ model: 'bad/m', messages: [{ role: 'user', content: 'hi' }] }),
    });
    assert.equal(upstream.status, 500);
    const ok = await fetch(`${t.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', 'x-request-id': 'after-poison' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 }),
    });
    assert.equal(ok.status, 200);
    const written = await eventually(async () => {
      const r = await rows(schema, "request_id IN ('poison-upstream', 'after-poison')");
      return r.length === 2 && r;
    }, 10_000);
    assert.equal(
      written.find((r) => r.request_id === 'poison-upstream').error_code,
      'nulcode',
      'NUL removed, the rest kept',
    );
    assert.equal(ledger.status.up, true);
    assert.equal(ledger.status.buffered, 0);
  } finally {
    await t?.close();
  }
});

function entry(requestId: string, extra: Partial<LedgerRecord> = {}, chargePusd = 0): LedgerEntry {
  return {
    record: {
      time: Date.now(),
      requestId,
      keyId: 'k1',
      project: null,
      provider: 'openai',
      model: 'gpt-4o-mini',
      requestedModel: 'gpt-4o-mini',
      operation: 'chat',
      stream: false,
      status: 200,
      errorCode: null,
      cache: null,
      inputTokens: 10,
      cachedTokens: 0,
      cacheWriteTokens: 0,
      outputTokens: 5,
      reasoningTokens: 0,
      totalTokens: 15,
      costPusd: 1000,
      costSavedPusd: 0,
      latencyMs: 1,
      upstreamMs: 1,
      ttftMs: null,
      attempts: 1,
      aborted: false,
      shadow: false,
      tags: [],
      ...extra,
    },
    charges: chargePusd ? [{ key: 'gov:budget:key:k1:month:test', pusd: chargePusd, expiresAt: null }] : [],
  };
}

test('a record PostgreSQL refuses is quarantined; the rest of its batch and its budget charge are written', {
  skip,
}, async () => {
  const schema = newSchema();
  const lines: string[] = [];
  const log = pino(
    { level: 'info' },
    new Writable({
      write(c, _e, cb) {
        lines.push(String(c));
        cb();
      },
    }),
  );
  const ledger = new PostgresLedger({ url: PG_URL, schema, retryMs: 20, maxRetryMs: 50, log });
  try {
    await ledger.init();
    // Stands for any data PostgreSQL refuses that sanitising could not foresee (SQLSTATE 23514).
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(`ALTER TABLE "${schema}".usage ADD CONSTRAINT no_poison CHECK (request_id <> 'poison')`);
    await c.end();

    await ledger.append([
      entry('good-1', {}, 100),
      entry('poison', { errorCode: 'secret prompt text must not be logged' }, 7),
      entry(
        'good-2',
        { inputTokens: 12.5, totalTokens: 1e30, latencyMs: Number.NaN, requestedModel: 'x\u0000y', tags: ['a\u0000'] },
        200,
      ),
    ]);
    await ledger.flush();
    const written = await rows(schema);
    assert.deepEqual(
      written.map((r) => r.request_id),
      ['good-1', 'good-2'],
    );
    const g2 = written[1];
    assert.equal(Number(g2.input_tokens), 13, 'fractional tokens rounded');
    assert.equal(g2.requested_model, 'xy');
    assert.deepEqual(g2.tags, ['a']);
    assert.equal(ledger.status.quarantined, 1);
    assert.equal(ledger.status.up, true, 'a data error is not an outage');
    assert.equal(ledger.status.buffered, 0);
    const spend = await ledger.budgetSpend(['gov:budget:key:k1:month:test']);
    assert.equal(spend.get('gov:budget:key:k1:month:test'), 307, "the quarantined record's charge is kept");
    const metrics = await ledger.metrics.metrics();
    assert.match(metrics, /switchyard_ledger_quarantined_records_total 1/);
    const logged = lines.join('');
    assert.match(logged, /refused a usage record/);
    assert.match(logged, /"code":"23514"/);
    assert.doesNotMatch(logged, /secret prompt text/);

    // and the ledger goes on writing
    await ledger.append([entry('good-3')]);
    await ledger.flush();
    assert.deepEqual(
      (await rows(schema)).map((r) => r.request_id),
      ['good-1', 'good-2', 'good-3'],
    );
  } finally {
    await ledger.close();
  }
});

test('SQLite: a refused record is quarantined too; sanitised text is stored', () => {
  const lines: string[] = [];
  const log = pino(
    { level: 'info' },
    new Writable({
      write(c, _e, cb) {
        lines.push(String(c));
        cb();
      },
    }),
  );
  const ledger = new SqliteLedger(':memory:', { log });
  ledger.db.exec(
    "CREATE TRIGGER no_poison BEFORE INSERT ON usage WHEN NEW.request_id = 'poison' " +
      "BEGIN SELECT RAISE(ABORT, 'poison'); END",
  );
  return (async () => {
    await ledger.append([
      entry('good-1', {}, 100),
      entry('poison', {}, 7),
      entry('good-2', { requestedModel: 'x\u0000y', inputTokens: 2.5 }, 200),
    ]);
    const ids = ledger.db
      .prepare('SELECT request_id, requested_model, input_tokens FROM usage ORDER BY rowid')
      .all() as any[];
    assert.deepEqual(
      ids.map((r) => r.request_id),
      ['good-1', 'good-2'],
    );
    assert.equal(ids[1].requested_model, 'xy');
    assert.equal(ids[1].input_tokens, 3);
    assert.equal(ledger.quarantined, 1);
    assert.equal((await ledger.budgetSpend(['gov:budget:key:k1:month:test'])).get('gov:budget:key:k1:month:test'), 307);
    assert.match(lines.join(''), /refused a usage record/);
    await ledger.close();
  })();
});
