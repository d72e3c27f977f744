/**
 * Three gateway processes (the real CLI) sharing one Redis and one PostgreSQL: a global RPM limit,
 * a budget under hundreds of concurrent requests, a cache entry, a breaker, a revocation, and exact
 * usage totals in the PostgreSQL ledger, all across instances.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import { PostgresLedger } from '../../plugins/scaleout/postgres-ledger.js';
import { startOpenAIEmulator, type OpenAIEmulator } from '../emulators/openai.js';
import {
  PG_URL,
  REDIS_URL,
  dropRedisPrefix,
  dropSchema,
  eventually,
  pusdOf,
  runId,
  services,
  startInstances,
  stopInstance,
  user,
  type Instance,
} from './helpers.js';

const RPM_KEY = 'sk-scaleout-rpm-000000000000001';
const BUDGET_KEY = 'sk-scaleout-budget-0000000000001';
const PLAIN_KEY = 'sk-scaleout-plain-00000000000001';
const USAGE_KEY = 'sk-scaleout-usage-00000000000001';
const REVOCABLE_KEY = 'sk-sy-scaleout-revocable-000000001';
const BUDGET_USD = 0.0005;

const skip = await services();
const schema = runId('sy_shared');
const prefix = `${runId('sy-shared')}:`;
let up: OpenAIEmulator;
let flaky: OpenAIEmulator;
let gws: Instance[] = [];

before(async () => {
  if (skip) return;
  up = await startOpenAIEmulator();
  flaky = await startOpenAIEmulator({ behaviour: { status: 503 } });
  // A runtime key (as the admin API creates them) every instance loads at boot.
  const ledger = new PostgresLedger({ url: PG_URL, schema });
  await ledger.saveKey({
    id: 'revocable',
    hash: createHash('sha256').update(REVOCABLE_KEY).digest('hex'),
    createdAt: Date.now(),
    revokedAt: null,
    attrs: {},
  });
  await ledger.close();
  const env = {
    SY_REDIS_URL: REDIS_URL,
    SY_REDIS_PREFIX: prefix,
    SY_PG_URL: PG_URL,
    SY_PG_SCHEMA: schema,
    SY_UPSTREAM: up.url,
    SY_FLAKY: flaky.url,
    SY_KEYS: JSON.stringify([
      { id: 'rpm', key: RPM_KEY, limits: { requestsPerMinute: 30 } },
      { id: 'budget', key: BUDGET_KEY, budgets: [{ limitUsd: BUDGET_USD, period: 'month' }] },
      { id: 'plain', key: PLAIN_KEY },
      { id: 'usage', key: USAGE_KEY },
    ]),
  };
  gws = await startInstances([env, env, env]);
});

after(async () => {
  if (skip) return;
  let codes: unknown[] = [];
  try {
    codes = await Promise.all(gws.map((g) => stopInstance(g)));
  } finally {
    await up?.close();
    await flaky?.close();
    await dropSchema(schema).catch(() => undefined);
    await dropRedisPrefix(prefix);
  }
  assert.deepEqual(
    codes,
    gws.map(() => 0),
    'every instance shuts down cleanly',
  );
});

const tag = Math.random().toString(36).slice(2);

test('a global RPM limit holds across three instances within one request', { skip, timeout: 40_000 }, async () => {
  // Round robin over the instances: a per-process limit would let all 45 through. The limit refills one
  // request every 2 s (30 per minute), so on a slow machine a sequential run earns a few more: allow them.
  const t0 = Date.now();
  const results = [];
  for (let i = 0; i < 45; i++) results.push(await gws[i % 3].chat(RPM_KEY, user(`rpm ${tag} ${i}`)));
  const refilled = Math.floor((Date.now() - t0) / 2000);
  const okCount = results.filter((r) => r.status === 200).length;
  const refused = results.filter((r) => r.status === 429);
  assert.ok(
    okCount >= 29 && okCount <= 31 + refilled,
    `30 (+${refilled} refilled) of 45 pass across instances (got ${okCount})`,
  );
  assert.ok(okCount < 45 - 10, 'far fewer than a per-instance limit would let through');
  assert.equal(okCount + refused.length, 45);
  assert.ok(refused.every((r) => r.json.error.code === 'rate_limit_exceeded'));
  assert.ok(
    results.slice(0, 29).every((r) => r.status === 200),
    'the first 29 pass',
  );
  if (!refilled) {
    assert.ok(
      results.slice(31).every((r) => r.status === 429),
      'everything after the 31st is refused, on every instance',
    );
    assert.equal(results[44].headers.get('x-ratelimit-remaining-requests'), '0');
  }
});

test('hundreds of concurrent requests over three instances never overrun a budget', {
  skip,
  timeout: 40_000,
}, async () => {
  const results = await Promise.all(
    Array.from({ length: 300 }, (_, i) => gws[i % 3].chat(BUDGET_KEY, user(`budget ${tag} ${i}`))),
  );
  const served = results.filter((r) => r.status === 200);
  const refused = results.filter((r) => r.status === 429);
  assert.equal(
    served.length + refused.length,
    300,
    JSON.stringify(
      results
        .filter((r) => r.status !== 200 && r.status !== 429)
        .slice(0, 3)
        .map((r) => [r.status, r.json]),
    ),
  );
  assert.ok(served.length > 5, `some requests fit (${served.length})`);
  assert.ok(refused.length > 0 && refused.every((r) => r.json.error.code === 'insufficient_quota'));
  const spent = served.reduce((s, r) => s + pusdOf(r.json.usage), 0);
  assert.ok(spent <= BUDGET_USD * 1e12, `spent ${spent} pusd <= limit ${BUDGET_USD * 1e12}`);
  // Redis counter == sum of actual costs (settled exactly), on every instance's view
  // (settlement runs in the meter hook, just after each answer: wait for the last ones)
  for (const g of gws) {
    const b = await eventually(async () => {
      const x = (await g.admin('GET', '/admin/budgets')).json.data.find(
        (y: any) => y.scope === 'key' && y.id === 'budget',
      );
      return x.heldUsd === 0 && Math.round(x.spentUsd * 1e12) === spent && x;
    }).catch(async () =>
      (await g.admin('GET', '/admin/budgets')).json.data.find((y: any) => y.scope === 'key' && y.id === 'budget'),
    );
    assert.equal(Math.round(b.spentUsd * 1e12), spent);
    assert.equal(b.heldUsd, 0);
  }
});

test('a cache entry written through one instance is a hit on the others', { skip, timeout: 40_000 }, async () => {
  const body = user(`cache ${tag}`);
  const first = await gws[0].chat(PLAIN_KEY, body);
  assert.equal(first.status, 200);
  assert.equal(first.headers.get('x-switchyard-cache'), 'miss');
  for (const g of [gws[1], gws[2]]) {
    const r = await eventually(async () => {
      const x = await g.chat(PLAIN_KEY, body);
      return x.headers.get('x-switchyard-cache') === 'hit' && x;
    });
    assert.deepEqual(r.json.choices, first.json.choices);
  }
});

test("a breaker opened by one instance's failures spares the others", { skip, timeout: 40_000 }, async () => {
  for (let i = 0; i < 2; i++) {
    const r = await gws[0].chat(PLAIN_KEY, { model: 'shaky', ...user(`breaker ${tag} ${i}`) });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('x-switchyard-provider'), 'steady');
  }
  assert.equal(flaky.requests.length, 2);
  for (const g of [gws[1], gws[2]]) {
    await eventually(
      async () =>
        ((await g.get('/health/targets', PLAIN_KEY)).json.targets as any[]).find((t) => t.target === 'flaky/m')
          ?.state === 'open',
    );
    const r = await g.chat(PLAIN_KEY, { model: 'shaky', ...user(`breaker ${tag} ${g.name}`) });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('x-switchyard-attempts'), '1', 'straight to the healthy target');
  }
  assert.equal(flaky.requests.length, 2, 'the other instances sent nothing to the failing target');
});

test('a key revoked on one instance is refused by every instance within a second', {
  skip,
  timeout: 40_000,
}, async () => {
  for (const g of gws) assert.equal((await g.chat(REVOCABLE_KEY, user(`revoke ${tag} ${g.name}`))).status, 200);
  const res = await gws[0].admin('DELETE', '/admin/keys/revocable');
  assert.equal(res.status, 200);
  const t0 = Date.now();
  await Promise.all(
    gws.map((g) =>
      eventually(
        async () => {
          const r = await g.chat(REVOCABLE_KEY, user(`revoked ${tag} ${g.name} ${Date.now()}`));
          return r.status === 401 && r.json.error.code === 'api_key_revoked';
        },
        1000,
        10,
      ),
    ),
  );
  assert.ok(Date.now() - t0 < 1000, `refused everywhere after ${Date.now() - t0} ms`);
});

test('a key created or edited on one instance works on every instance within a few seconds', {
  skip,
  timeout: 40_000,
}, async () => {
  const created = await gws[0].admin('POST', '/admin/keys', {
    id: `fresh-${tag}`,
    name: 'created at runtime',
    models: ['gpt-4o-mini'],
  });
  assert.equal(created.status, 201);
  const key = created.json.key as string;
  const t0 = Date.now();
  await Promise.all(
    gws.map((g) =>
      eventually(
        async () => (await g.chat(key, user(`fresh ${tag} ${g.name} ${Date.now()}`))).status === 200,
        5000,
        50,
      ),
    ),
  );
  assert.ok(Date.now() - t0 < 5000, `accepted everywhere after ${Date.now() - t0} ms`);
  // An edit (here: the allow-list) reaches the other instances too.
  const edited = await gws[0].admin('PATCH', `/admin/keys/fresh-${tag}`, { models: ['nothing-allowed'] });
  assert.equal(edited.status, 200);
  await Promise.all(
    gws.map((g) =>
      eventually(
        async () => (await g.chat(key, user(`edited ${tag} ${g.name} ${Date.now()}`))).status === 403,
        5000,
        50,
      ),
    ),
  );
});

test('usage totals in the PostgreSQL ledger equal the sum of upstream usage exactly', {
  skip,
  timeout: 40_000,
}, async () => {
  const results = await Promise.all(
    Array.from({ length: 90 }, (_, i) =>
      gws[i % 3].chat(USAGE_KEY, { ...user(`usage ${tag} ${i} ${'x '.repeat(i % 7)}`), max_tokens: 4 + (i % 13) }),
    ),
  );
  assert.ok(results.every((r) => r.status === 200));
  const want = {
    requests: 90,
    inputTokens: results.reduce((s, r) => s + r.json.usage.prompt_tokens, 0),
    outputTokens: results.reduce((s, r) => s + r.json.usage.completion_tokens, 0),
    costPusd: results.reduce((s, r) => s + pusdOf(r.json.usage), 0),
  };
  const totals = await eventually(async () => {
    const t = (await gws[1].admin('GET', '/admin/usage?key=usage')).json.totals;
    return t.requests === 90 && t;
  });
  assert.deepEqual(
    {
      requests: totals.requests,
      inputTokens: totals.inputTokens,
      outputTokens: totals.outputTokens,
      costPusd: Math.round(totals.costUsd * 1e12),
    },
    want,
  );
  // /ready reports both shared components
  const ready = await gws[2].get('/ready');
  assert.equal(ready.status, 200);
  assert.equal(ready.json.checks.redis.state, 'up');
  assert.equal(ready.json.checks.ledger.state, 'up');
});
