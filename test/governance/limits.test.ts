/**
 * Rate limits through HTTP: x-ratelimit-* headers, 429 with Retry-After, tokens/min, concurrency, project and
 * model limits.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ask, startEnv, statusOf, type Env } from './helpers.js';

let env: Env;
const RPM_KEY = 'sk-limits-rpm-key-0000000000001';
const TPM_KEY = 'sk-limits-tpm-key-0000000000002';
const CONC_KEY = 'sk-limits-conc-key-000000000003';
const P1 = 'sk-limits-project-key-0000000004';
const P2 = 'sk-limits-project-key-0000000005';
const FREE = 'sk-limits-default-key-0000000006';

before(async () => {
  env = await startEnv({
    keys: [
      { id: 'rpm', key: RPM_KEY, limits: { requestsPerMinute: 3, tokensPerMinute: 100_000 } },
      { id: 'tpm', key: TPM_KEY, limits: { tokensPerMinute: 120 } },
      { id: 'conc', key: CONC_KEY, limits: { concurrent: 1 } },
      { id: 'p1', key: P1, project: 'shared' },
      { id: 'p2', key: P2, project: 'shared' },
      { id: 'free', key: FREE },
    ],
    projects: { shared: { limits: { requestsPerMinute: 2 } } },
    limits: { perKey: { requestsPerMinute: 1000 }, models: { 'gpt-4.1-nano': { requestsPerMinute: 1 } } },
  });
});
after(() => env?.close()); // env is unset when setup failed: report that failure, not a TypeError

test('requests per minute: headers count down, then 429 with Retry-After', async () => {
  const client = env.client(RPM_KEY);
  const seen: string[] = [];
  for (let i = 0; i < 3; i++) {
    const { response } = await ask(client, 'echo: hi').withResponse();
    assert.equal(response.headers.get('x-ratelimit-limit-requests'), '3');
    seen.push(response.headers.get('x-ratelimit-remaining-requests')!);
    assert.match(response.headers.get('x-ratelimit-reset-requests')!, /^\d+(ms|s|m\d+s)$/);
    assert.equal(response.headers.get('x-ratelimit-limit-tokens'), '100000');
    assert.ok(Number(response.headers.get('x-ratelimit-remaining-tokens')) < 100_000);
  }
  assert.deepEqual(seen, ['2', '1', '0']);
  const r = await statusOf(ask(client, 'echo: hi'));
  assert.equal(r.status, 429);
  assert.equal(r.error.code, 'rate_limit_exceeded');
  assert.equal(r.error.type, 'requests');
  const retry = Number(r.headers.get('retry-after'));
  assert.ok(retry >= 1 && retry <= 20, `retry-after ${retry}`); // GCRA: one request frees up every 20 s
  assert.equal(r.headers.get('x-ratelimit-remaining-requests'), '0');
});

test('tokens per minute: a request larger than the limit is refused; tokens are counted', async () => {
  const client = env.client(TPM_KEY);
  const big = await statusOf(ask(client, 'echo: hi', { max_tokens: 500 }));
  assert.equal(big.status, 429);
  assert.equal(big.error.type, 'tokens');
  assert.match(big.error.message, /Request too large/);
  const { response } = await ask(client, 'echo: hi', { max_tokens: 5 }).withResponse();
  const remaining = Number(response.headers.get('x-ratelimit-remaining-tokens'));
  assert.ok(remaining < 120 && remaining > 0);
  // after settling to the actual usage the bucket is credited back the unused estimate
  const { response: r2 } = await ask(client, 'echo: hi', { max_tokens: 5 }).withResponse();
  assert.ok(Number(r2.headers.get('x-ratelimit-remaining-tokens')) > 0);
});

test('concurrent requests: a second request in flight gets 429', async () => {
  const client = env.client(CONC_KEY);
  const slow = statusOf(
    client.chat.completions.create({ model: 'openai/slow', messages: [{ role: 'user', content: 'x' }] }),
  );
  await new Promise((r) => setTimeout(r, 100));
  const second = await statusOf(ask(client, 'echo: hi'));
  assert.equal(second.status, 429);
  assert.equal(second.error.code, 'concurrency_limit_exceeded');
  assert.equal((await slow).status, 200);
  await ask(client, 'echo: free again'); // the slot was released
});

test('project limits apply across its keys; model limits apply to everyone', async () => {
  await ask(env.client(P1), 'echo: one');
  await ask(env.client(P2), 'echo: two');
  const third = await statusOf(ask(env.client(P1), 'echo: three'));
  assert.equal(third.status, 429);
  assert.match(third.error.message, /project "shared"/);

  await ask(env.client(FREE), 'echo: nano', { model: 'gpt-4.1-nano' });
  const again = await statusOf(ask(env.client(RPM_KEY.replace('rpm', 'xxx')), 'echo: nano'));
  assert.equal(again.status, 401);
  const nano = await statusOf(ask(env.client(FREE), 'echo: nano', { model: 'gpt-4.1-nano' }));
  assert.equal(nano.status, 429);
  assert.match(nano.error.message, /model "gpt-4.1-nano"/);
});

test('default per-key limits give every key headers', async () => {
  const { response } = await ask(env.client(FREE), 'echo: hi').withResponse();
  assert.equal(response.headers.get('x-ratelimit-limit-requests'), '1000');
});
