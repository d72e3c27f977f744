/**
 * /v1/messages/batches with the official @anthropic-ai/sdk against an emulated Anthropic: create,
 * retrieve, results through the gateway (results_url rewritten), ownership per key (404 in Anthropic's
 * shape, the upstream never asked), budget refusal at creation, results metered once at batch prices.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { eventually } from '../helpers/gateway.js';
import { KEYS, startForwardEnv, type ForwardEnv } from './forward-env.js';

const CANARY = 'zqxmsgbatchcanary';
let env: ForwardEnv;
before(async () => {
  env = await startForwardEnv({ batches: { requestEstimateUsd: 0.01 } });
});
after(async () => {
  await env?.close();
});

const client = (key: string) => new Anthropic({ baseURL: env.t.url, apiKey: key, maxRetries: 0, timeout: 60_000 });
const requests = [1, 2].map((i) => ({
  custom_id: `q-${i}`,
  params: {
    model: 'claude-haiku-4-5',
    max_tokens: 64,
    messages: [{ role: 'user' as const, content: `${CANARY} ${i}` }],
  },
}));
const statusOf = async (p: Promise<unknown>): Promise<{ status: number; error?: any }> => {
  try {
    await p;
    return { status: 200 };
  } catch (e) {
    return { status: (e as { status: number }).status, error: (e as { error?: unknown }).error };
  }
};

test('create, retrieve, results through the gateway; metered once at batch prices; key B sees nothing', async () => {
  const a = client(KEYS.a);
  const b = client(KEYS.b);
  const batch = await a.messages.batches.create({ requests });
  assert.equal(batch.processing_status, 'in_progress');
  const up = env.anth.requests.find((r) => r.path === '/v1/messages/batches' && r.method === 'POST')!;
  assert.equal(up.headers['x-api-key'], 'test-key');
  assert.ok(up.headers['anthropic-version']);

  const seen = env.anth.requests.length;
  const foreign = await statusOf(b.messages.batches.retrieve(batch.id));
  assert.equal(foreign.status, 404);
  assert.equal(foreign.error?.type, 'error', 'Anthropic error shape');
  assert.equal((await statusOf(b.messages.batches.cancel(batch.id))).status, 404);
  assert.equal((await statusOf(b.messages.batches.delete(batch.id))).status, 404);
  assert.equal(env.anth.requests.length, seen, 'foreign ids never reach the upstream');
  const listedByB: string[] = [];
  for await (const x of b.messages.batches.list()) listedByB.push(x.id);
  assert.deepEqual(listedByB, []);

  const ended = await a.messages.batches.retrieve(batch.id);
  assert.equal(ended.processing_status, 'ended');
  assert.equal(
    ended.results_url,
    `${env.t.url}/v1/messages/batches/${batch.id}/results`,
    'results come through the gateway',
  );
  assert.equal((await statusOf(b.messages.batches.results(batch.id))).status, 404);

  const before = env.records.length;
  const results: string[] = [];
  for await (const r of await a.messages.batches.results(batch.id)) results.push(r.custom_id);
  assert.deepEqual(results, ['q-1', 'q-2']);
  await eventually(() => env.records.slice(before).some((r) => r.batch));
  const settled = env.records.slice(before).find((r) => r.batch)!;
  assert.equal(settled.operation, 'batches');
  assert.equal(settled.principalId, 'key-a');
  assert.equal(settled.promptTokens, 2000);
  assert.equal(settled.completionTokens, 1000);
  // claude-haiku-4-5 list: $1 in / $5 out per 1M; batch: half.
  const half = (2000 * 1 + 1000 * 5) / 1e6 / 2;
  assert.ok(Math.abs((settled.costUsd ?? 0) - half) < 1e-12, `batch price: ${settled.costUsd} vs ${half}`);

  const again = env.records.length;
  for await (const _ of await a.messages.batches.results(batch.id)) {
    /* read them all */
  }
  await eventually(() => env.records.length > again + 1);
  assert.ok(!env.records.slice(again).some((r) => r.batch || r.totalTokens), 'results are metered once');
});

test('budgets: a batch the key cannot cover is refused before the upstream sees it', async () => {
  const seen = env.anth.requests.length;
  const refused = await statusOf(client(KEYS.poor).messages.batches.create({ requests }));
  assert.equal(refused.status, 429);
  assert.equal(refused.error?.type, 'error');
  assert.equal(env.anth.requests.length, seen);
});

test('no key: 401 in Anthropic shape; a bad body: 400', async () => {
  const res = await fetch(`${env.t.url}/v1/messages/batches`);
  assert.equal(res.status, 401);
  assert.equal((await res.json()).type, 'error');
  const bad = await statusOf(client(KEYS.a).messages.batches.create({ requests: [] }));
  assert.equal(bad.status, 400);
});
