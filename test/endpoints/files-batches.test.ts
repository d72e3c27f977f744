/**
 * /v1/files and /v1/batches with the official openai SDK against an emulated OpenAI (and Azure):
 * uploads streamed upstream, ownership per key (a foreign id is 404 and never reaches the upstream),
 * a batch's estimate held at creation (budget refusal), results metered once at batch prices,
 * rate limits, 401 without a key, canaries absent from logs and ledger.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync, createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { RESULT_USAGE } from '../emulators/openai.js';
import { eventually } from '../helpers/gateway.js';
import { KEYS, startForwardEnv, type ForwardEnv } from './forward-env.js';

const CANARY = 'zqxbatchcanary';
let env: ForwardEnv;
let jsonl: string;
before(async () => {
  env = await startForwardEnv({ batches: { requestEstimateUsd: 0.01 } });
  jsonl = join(mkdtempSync(join(tmpdir(), 'sy-batch-')), 'input.jsonl');
  const lines = [1, 2, 3].map((i) =>
    JSON.stringify({
      custom_id: `req-${i}`,
      method: 'POST',
      url: '/v1/chat/completions',
      body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: `${CANARY} question ${i}` }], max_tokens: 50 },
    }),
  );
  writeFileSync(jsonl, `${lines.join('\n')}\n`);
});
after(async () => {
  await env?.close();
});

const statusOf = async (p: Promise<unknown>): Promise<number> => {
  try {
    await p;
    return 200;
  } catch (e) {
    return (e as { status: number }).status;
  }
};

const upload = (c: OpenAI) => c.files.create({ file: createReadStream(jsonl), purpose: 'batch' });

test('upload, batch, retrieve, results: metered once at batch prices; key B sees none of it', async () => {
  const a = env.client(KEYS.a);
  const b = env.client(KEYS.b);
  const file = await upload(a);
  assert.equal(file.purpose, 'batch');
  assert.equal(file.bytes, readFileSync(jsonl).length);
  const stored = env.emu.files.get(file.id)!;
  assert.deepEqual(stored.content, readFileSync(jsonl), 'the upstream got the file byte for byte');
  const upReq = env.emu.requests.find((r) => r.path === '/v1/files' && r.method === 'POST')!;
  assert.equal(upReq.headers.authorization, 'Bearer test-key');

  assert.deepEqual(
    (await a.files.list()).data.map((f) => f.id),
    [file.id],
  );
  assert.deepEqual(
    (await b.files.list()).data.map((f) => f.id),
    [],
    "key B lists none of A's files",
  );
  const seen = env.emu.requests.length;
  assert.equal(await statusOf(b.files.retrieve(file.id)), 404);
  assert.equal(await statusOf(b.files.content(file.id)), 404);
  assert.equal(await statusOf(b.files.delete(file.id)), 404);
  assert.equal(
    await statusOf(
      b.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' }),
    ),
    404,
  );
  assert.equal(env.emu.requests.length, seen, 'foreign ids never reach the upstream');

  const batch = await a.batches.create({
    input_file_id: file.id,
    endpoint: '/v1/chat/completions',
    completion_window: '24h',
  });
  assert.equal(batch.status, 'validating');
  assert.equal(await statusOf(b.batches.retrieve(batch.id)), 404);
  assert.equal(await statusOf(b.batches.cancel(batch.id)), 404);
  assert.deepEqual((await b.batches.list()).data, []);
  const done = await a.batches.retrieve(batch.id);
  assert.equal(done.status, 'completed');
  assert.ok(done.output_file_id);
  assert.equal(await statusOf(b.files.content(done.output_file_id!)), 404, "output files belong to the batch's owner");

  const before = env.records.length;
  const results = await (await a.files.content(done.output_file_id!)).text();
  const lines = results
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(lines.length, 3);
  assert.deepEqual(
    lines.map((l) => l.custom_id),
    ['req-1', 'req-2', 'req-3'],
  );
  await eventually(() => env.records.slice(before).some((r) => r.batch));
  const settled = env.records.slice(before).find((r) => r.batch)!;
  assert.equal(settled.operation, 'files');
  assert.equal(settled.principalId, 'key-a');
  assert.equal(settled.promptTokens, 3 * RESULT_USAGE.prompt_tokens);
  assert.equal(settled.completionTokens, 3 * RESULT_USAGE.completion_tokens);
  // gpt-4o-mini list: $0.15 in / $0.60 out per 1M; batch: half.
  const list = (3000 * 0.15 + 1500 * 0.6) / 1e6;
  assert.ok(Math.abs((settled.costUsd ?? 0) - list / 2) < 1e-9, `batch price: ${settled.costUsd} vs ${list / 2}`);

  const again = env.records.length;
  await (await a.files.content(done.output_file_id!)).text();
  await eventually(() => env.records.length > again);
  assert.ok(!env.records.slice(again).some((r) => r.batch || r.totalTokens), 'results are metered once');

  const creation = env.records.find(
    (r) => r.operation === 'batches' && r.status === 200 && r.requestedModel === 'openai/gpt-4o-mini',
  );
  assert.ok(creation, 'the creation is metered with the model of its requests');
  assert.equal(creation.costUsd, 0);

  assert.equal((await a.files.delete(file.id)).deleted, true);
  assert.equal(await statusOf(a.files.retrieve(file.id)), 404);
});

test('budgets: a batch whose estimate (requests x requestEstimateUsd) exceeds the budget is refused', async () => {
  const poor = env.client(KEYS.poor);
  const file = await upload(poor);
  const before = env.emu.batches.size;
  const err = await poor.batches
    .create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' })
    .then(
      () => undefined,
      (e) => e,
    );
  assert.equal(err?.status, 429);
  assert.equal(err?.error?.code, 'insufficient_quota');
  assert.equal(env.emu.batches.size, before, 'no batch was created upstream');
});

test('rate limits and authentication apply', async () => {
  const slow = env.client(KEYS.slow);
  const statuses = [
    await statusOf(slow.files.list()),
    await statusOf(slow.batches.list()),
    await statusOf(slow.files.list()),
  ];
  assert.deepEqual(statuses, [200, 200, 429]);
  assert.equal(await statusOf(env.client('sk-nobody').files.list()), 401);
  const res = await fetch(`${env.t.url}/v1/batches`);
  assert.equal(res.status, 401);
  assert.equal((await res.json()).error.code, 'missing_api_key');
});

test('Azure OpenAI: files go to {endpoint}/openai/files with api-key and api-version', async () => {
  const c = new OpenAI({
    baseURL: `${env.t.url}/v1`,
    apiKey: KEYS.a,
    maxRetries: 0,
    defaultHeaders: { 'x-switchyard-provider': 'azure-openai' },
  });
  const file = await upload(c);
  const up = env.azure.requests.find((r) => r.path.startsWith('/openai/files'))!;
  assert.equal(up.path, '/openai/files?api-version=2024-10-21');
  assert.equal(up.headers['api-key'], 'test-key');
  assert.equal(up.headers.authorization, undefined);
  const got = await c.files.retrieve(file.id);
  assert.equal(got.id, file.id);
  assert.equal(await statusOf(env.client(KEYS.b).files.retrieve(file.id)), 404);
});

test('ids that are not opaque tokens are refused; canaries are absent from logs and the ledger', async () => {
  const res = await fetch(`${env.t.url}/v1/files/..%2F..%2Fadmin`, { headers: { authorization: `Bearer ${KEYS.a}` } });
  assert.equal(res.status, 404);
  await env.t.gw.close();
  const files = [env.dbPath, `${env.dbPath}-wal`].filter(existsSync);
  const ledger = Buffer.concat(files.map((f) => readFileSync(f)));
  const logs = env.t.logs.join('');
  assert.ok(ledger.includes('batches'));
  for (const secret of [CANARY, 'batched answer', KEYS.a, KEYS.b, 'test-key']) {
    assert.ok(!logs.includes(secret), `logs hold no ${secret}`);
    assert.ok(!ledger.includes(secret), `ledger holds no ${secret}`);
  }
});
