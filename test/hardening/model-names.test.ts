/**
 * Issue 14, defect 6: client-chosen model names must not exhaust memory or break /metrics. Names are
 * bounded at every ingress (length, charset: a 400 in the client's dialect), and every label or map
 * keyed by a client value is bounded in cardinality (metrics labels fall into "other" past a cap;
 * seen targets, latency, breakers, meter totals and /health/targets stay bounded).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { MAX_METRIC_MODELS, MAX_TRACKED_TARGETS } from '../../core/bounded.js';
import { openai, usageMeter } from '../../index.js';
import { startOpenAIEmulator, type OpenAIEmulator } from '../emulators/openai.js';
import { ADMIN_KEY, startEnv, statusOf, type Env } from '../governance/helpers.js';

const KEY = 'sk-hardening-names-0000000000001';
let env: Env;
let emu: OpenAIEmulator;
const meter = usageMeter();

before(async () => {
  emu = await startOpenAIEmulator();
  env = await startEnv(
    { keys: [{ id: 'names', key: KEY }] },
    {
      providers: [openai({ apiKey: 'test-key', baseURL: emu.url, responsesApi: false })],
      failover: { retries: 0 }, // /health/targets and the breakers
      meter: false, // the test's own usage meter, to read its summary
      plugins: [meter],
    },
    { emu },
  );
});
after(async () => {
  await env?.close();
  await emu?.close();
});

async function raw(path: string, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${env.t.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', ...headers },
    body,
    signal: AbortSignal.timeout(20_000),
  });
  return { status: res.status, json: await res.json().catch(() => undefined) };
}

const metrics = async () => {
  const res = await fetch(`${env.t.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
  return { status: res.status, text: await res.text() };
};

test('8 MiB model names are refused with a 400 on every ingress, and /metrics stays small', async () => {
  const huge = 'm'.repeat(8 * 1024 * 1024);
  const chat = await raw(
    '/v1/chat/completions',
    JSON.stringify({ model: `openai/${huge}`, messages: [{ role: 'user', content: 'x' }] }),
  );
  assert.equal(chat.status, 400);
  assert.equal(chat.json.error.param, 'model');
  assert.match(chat.json.error.message, /1 to 256 printable ASCII characters/);
  const emb = await raw('/v1/embeddings', JSON.stringify({ model: huge, input: 'x' }));
  assert.equal(emb.status, 400);
  const resp = await raw('/v1/responses', JSON.stringify({ model: huge, input: 'x' }));
  assert.equal(resp.status, 400);
  const msg = await raw(
    '/v1/messages',
    JSON.stringify({ model: huge, max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }),
  );
  assert.equal(msg.status, 400);
  assert.equal(msg.json.type, 'error', 'Anthropic error shape');
  const count = await raw(
    '/v1/messages/count_tokens',
    JSON.stringify({ model: huge, messages: [{ role: 'user', content: 'x' }] }),
  );
  assert.equal(count.status, 400);
  // the OpenRouter-style `models` list and the x-switchyard-target header follow the same rule
  const list = await raw(
    '/v1/chat/completions',
    JSON.stringify({
      model: 'gpt-4o-mini',
      models: ['gpt-4o-mini', 'x'.repeat(300)],
      messages: [{ role: 'user', content: 'x' }],
    }),
  );
  assert.equal(list.status, 400);
  assert.equal(list.json.error.param, 'models[1]');
  const forced = await raw(
    '/v1/chat/completions',
    JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] }),
    { 'x-switchyard-target': `openai/${'y'.repeat(300)}` },
  );
  assert.equal(forced.status, 400);
  // control characters and spaces
  for (const bad of ['x\u0000', 'gpt 4o', 'gpt-4o\n']) {
    const r = await raw(
      '/v1/chat/completions',
      JSON.stringify({ model: bad, messages: [{ role: 'user', content: 'x' }] }),
    );
    assert.equal(r.status, 400, JSON.stringify(bad));
  }
  const anthropic = new Anthropic({ baseURL: env.t.url, apiKey: KEY, maxRetries: 0 });
  await assert.rejects(
    anthropic.messages.create({ model: 'z'.repeat(257), max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }),
    (e: any) => e.status === 400 && e.error?.error?.type === 'invalid_request_error',
  );
  const m = await metrics();
  assert.equal(m.status, 200);
  assert.ok(m.text.length < 200_000, `/metrics is ${m.text.length} bytes`);
});

test('thousands of distinct model names: metrics labels, /health/targets and meter totals stay bounded', {
  timeout: 120_000,
}, async () => {
  const client = env.client(KEY);
  const distinct = MAX_TRACKED_TARGETS + 300;
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < distinct; i = next++) {
      const r = await statusOf(
        client.chat.completions.create({
          model: `openai/m-${i}`,
          messages: [{ role: 'user', content: 'x' }],
          max_tokens: 1,
        }),
      );
      assert.equal(r.status, 200);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));

  const m = await metrics();
  assert.equal(m.status, 200);
  const models = new Set([...m.text.matchAll(/^switchyard_requests_total\{[^}]*model="([^"]*)"/gm)].map((x) => x[1]));
  assert.ok(models.size <= MAX_METRIC_MODELS + 1, `model labels: ${models.size}`);
  assert.ok(models.has('other'), 'names past the cap are counted under "other"');
  const total = [...m.text.matchAll(/^switchyard_requests_total\{[^}]*\} (\d+)/gm)].reduce(
    (a, x) => a + Number(x[1]),
    0,
  );
  assert.ok(total >= distinct, `every request is still counted (${total})`);
  const breakers = [...m.text.matchAll(/^switchyard_breaker_state\{/gm)].length;
  assert.ok(breakers <= MAX_TRACKED_TARGETS, `breaker series: ${breakers}`);

  const health = await fetch(`${env.t.url}/health/targets`, { headers: { authorization: `Bearer ${KEY}` } }).then((r) =>
    r.json(),
  );
  assert.ok(health.targets.length <= MAX_TRACKED_TARGETS, `/health/targets lists ${health.targets.length}`);
  assert.ok(
    health.targets.some((t: any) => t.target === `openai/m-${distinct - 1}`),
    'the most recent targets are kept',
  );

  const summary = meter.summary();
  // + "other" + "-" (requests that reached no target)
  assert.ok(Object.keys(summary).length <= MAX_TRACKED_TARGETS + 2, `meter totals: ${Object.keys(summary).length}`);
  assert.ok(summary.other.requests > 0);
  const requests = Object.values(summary).reduce((a, t) => a + t.requests, 0);
  assert.ok(requests >= distinct, 'the totals still count every request');
});
