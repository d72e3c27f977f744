/**
 * End users within a key through HTTP: attribution from OpenAI `user`, Anthropic `metadata.user_id`
 * and a configured header; validation (opaque ids, no e-mail addresses) in each client's error
 * dialect; hashing; per-user budgets under a 300-request race; per-user rate limits, sequential and
 * under a concurrent burst; per-key overrides; usage grouped by user; and the bound on users tracked
 * in memory, with an evicted user's spend still enforced when it comes back.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, test } from 'node:test';
import { createGateway, mock } from '../../index.js';
import { memoryLogger } from '../helpers/gateway.js';
import { ask, startEnv, statusOf, type Env } from './helpers.js';

const KEY = 'sk-end-users-key-000000000001';
const OTHER = 'sk-end-users-key-000000000002';
const SECRET = 'user-hash-secret-0123456789';
// gpt-4o-mini list prices: 0.15 / 0.6 USD per 1M tokens = 150 000 / 600 000 picodollars per token
const units = (u: { prompt_tokens: number; completion_tokens: number }) =>
  u.prompt_tokens * 150_000 + u.completion_tokens * 600_000;

let env: Env;

before(async () => {
  env = await startEnv({
    keys: [
      { id: 'app', key: KEY },
      { id: 'other', key: OTHER, endUsers: { limits: { requestsPerMinute: 2 } } },
    ],
    endUsers: { header: 'x-app-user', budgets: [{ limitUsd: 0.00005, period: 'day' }], maxTracked: 50 },
  });
});
after(() => env?.close()); // env is unset when setup failed: report that failure, not a TypeError

const userBudget = async (e: Env, id: string) =>
  (await e.admin('GET', '/admin/budgets')).json.data.find((b: any) => b.scope === 'user' && b.id === id);

test(
  'attribution: OpenAI `user`, Anthropic `metadata.user_id` and the header; ' + 'usage grouped and filtered by user',
  async () => {
    const client = env.client(KEY);
    await ask(client, 'echo: a', { user: 'alice' });
    await ask(client, 'echo: b', { user: 'alice' });
    await ask(client, 'echo: c', { user: 'bob' });
    await ask(client, 'echo: d'); // no end user
    // the configured header wins over the body
    await client.chat.completions.create(
      { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'echo: e' }], user: 'bob', max_tokens: 16 },
      { headers: { 'x-app-user': 'carol' } },
    );
    const res = await fetch(`${env.t.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': KEY, 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({
        model: 'gpt-4o-mini',
        max_tokens: 16,
        metadata: { user_id: 'dave' },
        messages: [{ role: 'user', content: 'hi' }],
      }),
    });
    assert.equal(res.status, 200);

    const usage = await env.admin('GET', '/admin/usage?group_by=user&key=app');
    const byUser = Object.fromEntries(usage.json.groups.map((g: any) => [g.group.user, g.requests]));
    assert.deepEqual(byUser, { alice: 2, bob: 1, carol: 1, dave: 1, null: 1 });
    const alice = await env.admin('GET', '/admin/usage?user=alice');
    assert.equal(alice.json.totals.requests, 2);
    const csv = await env.admin('GET', '/admin/usage?user=carol&format=csv');
    assert.match(csv.text.split('\n')[0], /,endUser,units$/);
    assert.match(csv.text.split('\n')[1], /,carol,$/);
    // usage by key and user together, and a client reads its own usage by user
    const both = await env.admin('GET', '/admin/usage?group_by=key,user');
    assert.ok(both.json.groups.some((g: any) => g.group.key === 'app' && g.group.user === 'alice' && g.requests === 2));
    const own = (await fetch(`${env.t.url}/v1/usage?group_by=user`, {
      headers: { authorization: `Bearer ${KEY}` },
    }).then((r) => r.json())) as any;
    assert.ok(own.groups.some((g: any) => g.group.user === 'alice'));
  },
);

test('bad end-user ids are refused with 400 in the client dialect; e-mail addresses are not ids', async () => {
  const client = env.client(KEY);
  const email = await statusOf(ask(client, 'x', { user: 'alice@example.com' }));
  assert.equal(email.status, 400);
  assert.equal(email.error.code, 'invalid_request');
  assert.equal(email.error.param, 'user');
  assert.match(email.error.message, /not an e-mail address/);
  assert.equal((await statusOf(ask(client, 'x', { user: 'a'.repeat(129) }))).status, 400);
  assert.equal((await statusOf(ask(client, 'x', { user: 'has space' }))).status, 400);
  const header = await statusOf(
    client.chat.completions.create(
      { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }], max_tokens: 16 },
      { headers: { 'x-app-user': 'bad/slash' } },
    ),
  );
  assert.equal(header.status, 400);
  assert.equal(header.error.param, 'x-app-user');
  const res = await fetch(`${env.t.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': KEY, 'anthropic-version': '2023-06-01' },
    body: JSON.stringify({
      model: 'gpt-4o-mini',
      max_tokens: 16,
      metadata: { user_id: 'dave@example.com' },
      messages: [{ role: 'user', content: 'hi' }],
    }),
  });
  assert.equal(res.status, 400);
  const body = (await res.json()) as any;
  assert.equal(body.type, 'error');
  assert.equal(body.error.type, 'invalid_request_error');
  // the refused e-mail appears in no log line
  assert.ok(!env.t.logs.join('').includes('alice@example.com'));
});

test(
  'per-user budgets hold under 300 concurrent requests: ' + 'the user never overspends, other users are unaffected',
  async () => {
    const client = env.client(KEY);
    let expected = 0;
    for (;;) {
      const b = await userBudget(env, 'app/racer');
      if (b && b.remainingUsd < 0.00002) break;
      const r = await ask(client, 'echo: warm up', { user: 'racer' });
      expected += units(r.usage!);
    }
    const results = await Promise.all(
      Array.from({ length: 300 }, () =>
        statusOf(
          ask(client, 'echo: race', { user: 'racer' }).then((r) => {
            expected += units(r.usage!);
            return r;
          }),
        ),
      ),
    );
    const ok = results.filter((r) => r.status === 200).length;
    const refused = results.filter((r) => r.status === 429);
    assert.equal(ok + refused.length, 300);
    assert.ok(refused.length > 200, `most were refused (${refused.length})`);
    assert.equal(refused[0].error.code, 'insufficient_quota');
    assert.match(refused[0].error.message, /Budget exceeded: User "app\/racer"/);
    const b = await userBudget(env, 'app/racer');
    assert.ok(b.spentUsd <= b.limitUsd, `spent ${b.spentUsd} <= limit ${b.limitUsd}`);
    assert.equal(b.heldUsd, 0, 'every hold was settled');
    assert.equal(b.spentUsd, expected / 1e12, 'the counter holds the exact spend');
    const ledger = await env.admin('GET', '/admin/usage?user=racer');
    assert.equal(ledger.json.totals.costUsd, expected / 1e12);
    // another end user of the same key still gets through
    const other = await ask(client, 'echo: fine', { user: 'bystander' });
    assert.ok(other.choices[0].message.content);
    console.log(`# user race: ${ok} admitted, ${refused.length} refused; spent ${b.spentUsd} of ${b.limitUsd} USD`);
  },
);

test("a key's own endUsers override: per-user rate limits within that key", async () => {
  const client = env.client(OTHER);
  await ask(client, 'x', { user: 'u1' });
  await ask(client, 'x', { user: 'u1' });
  const third = await statusOf(ask(client, 'x', { user: 'u1' }));
  assert.equal(third.status, 429);
  assert.equal(third.error.code, 'rate_limit_exceeded');
  assert.match(third.error.message, /user "other\/u1"/);
  assert.ok(third.headers.get('retry-after'));
  // another user of the key, and the same user id under another key, are separate
  await ask(client, 'x', { user: 'u2' });
  await ask(env.client(KEY), 'x', { user: 'u1' });
});

test(
  'per-user rate limits hold under concurrency: RPM 5, 25 concurrent requests of one user, exactly 5 pass; ' +
    'the rest get 429 in the OpenAI error shape; another user of the key is unaffected',
  async () => {
    const rpm = 5;
    // GCRA: a burst of `rpm`, then one more every 60/rpm = 12 s; the 25 requests are admitted well within that
    const e = await startEnv({ keys: [{ id: 'burst', key: KEY }], endUsers: { limits: { requestsPerMinute: rpm } } });
    try {
      const client = e.client(KEY);
      const send = (user: string) =>
        statusOf(
          client.chat.completions
            .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'echo: burst' }], max_tokens: 4, user })
            .withResponse(),
        );
      // the heavy user's 25 and the other user's 5 interleaved, all at once
      const users = Array.from({ length: 6 * rpm }, (_, i) => (i % 6 === 5 ? 'calm' : 'heavy'));
      const results = await Promise.all(users.map((u) => send(u).then((r) => ({ user: u, ...r }))));
      const heavy = results.filter((r) => r.user === 'heavy');
      const calm = results.filter((r) => r.user === 'calm');
      assert.equal(heavy.length, 5 * rpm);
      assert.equal(heavy.filter((r) => r.status === 200).length, rpm, 'exactly the per-user limit passed');
      const refused = heavy.filter((r) => r.status !== 200);
      assert.equal(refused.length, 4 * rpm);
      for (const r of refused) {
        assert.equal(r.status, 429);
        assert.equal(r.error.code, 'rate_limit_exceeded');
        assert.equal(r.error.type, 'requests');
        assert.match(
          r.error.message,
          /^Rate limit reached for user "burst\/heavy" on requests per min \(RPM\): Limit 5, Requested 1\./,
        );
        assert.ok(Number(r.headers.get('retry-after')) >= 1);
        assert.equal(r.headers.get('x-ratelimit-limit-requests'), String(rpm));
        assert.equal(r.headers.get('x-ratelimit-remaining-requests'), '0');
      }
      assert.deepEqual(
        calm.map((r) => r.status),
        Array(rpm).fill(200),
        'the other user of the same key got all of its own limit',
      );
      // the raw body is OpenAI's error object, and the ledger saw each refusal once
      const raw = await fetch(`${e.t.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }], user: 'heavy' }),
      });
      assert.equal(raw.status, 429);
      const body = (await raw.json()) as any;
      assert.deepEqual(Object.keys(body), ['error']);
      assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message', 'param', 'type']);
      assert.equal(body.error.param, null);
      const counts = async () => {
        const usage = await e.admin('GET', '/admin/usage?group_by=user');
        const by = Object.fromEntries(usage.json.groups.map((g: any) => [g.group.user, g]));
        return { heavy: [by.heavy?.requests, by.heavy?.errors], calm: [by.calm?.requests, by.calm?.errors] };
      };
      const want = { heavy: [5 * rpm + 1, 4 * rpm + 1], calm: [rpm, 0] };
      const end = Date.now() + 10_000; // the ledger is written in batches (flushIntervalMs 50)
      let seen = await counts();
      while (JSON.stringify(seen) !== JSON.stringify(want) && Date.now() < end) {
        await new Promise((r) => setTimeout(r, 50));
        seen = await counts();
      }
      assert.deepEqual(seen, want, 'the ledger has every request of both users, each refusal as an error');
      assert.equal(e.emu.requests.length, 2 * rpm, 'refused requests never reached the upstream');
    } finally {
      await e.close();
    }
  },
);

test('hashing: any id (e-mail addresses too) becomes u_<HMAC>; the raw id is never stored or logged', async () => {
  const e = await startEnv({ keys: [{ id: 'h', key: KEY }], endUsers: { hashSecret: SECRET, required: true } });
  try {
    const client = e.client(KEY);
    await ask(client, 'echo: hashed', { user: 'Jane.Doe+ai@example.com' });
    const expectedId = `u_${createHmac('sha256', SECRET).update('Jane.Doe+ai@example.com').digest('hex').slice(0, 32)}`;
    const usage = await e.admin('GET', '/admin/usage?group_by=user');
    assert.deepEqual(
      usage.json.groups.map((g: any) => g.group.user),
      [expectedId],
    );
    const csv = await e.admin('GET', '/admin/usage?format=csv');
    assert.ok(!csv.text.includes('example.com'));
    assert.ok(!e.t.logs.join('').includes('example.com'), 'no raw id in the logs');
    const missing = await statusOf(ask(client, 'x'));
    assert.equal(missing.status, 400);
    assert.match(missing.error.message, /needs an end-user id/);
  } finally {
    await e.close();
  }
});

test(
  'memory bound: at most maxTracked users; ' +
    'an evicted user with an exhausted budget is still refused when it returns',
  async () => {
    const e = await startEnv({
      keys: [{ id: 'b', key: KEY }],
      endUsers: { budgets: [{ limitUsd: 0.00003, period: 'month' }], maxTracked: 3 },
    });
    try {
      const client = e.client(KEY);
      // exhaust "spender"
      let refused: Awaited<ReturnType<typeof statusOf>> | undefined;
      for (let i = 0; i < 40 && !refused; i++) {
        const r = await statusOf(ask(client, 'echo: spend', { user: 'spender' }));
        if (r.status === 429) refused = r;
      }
      assert.ok(refused, 'the small budget ran out');
      const spent = (await e.admin('GET', '/admin/usage?user=spender')).json.totals.costUsd;
      // five other users push it out of memory
      for (const u of ['u1', 'u2', 'u3', 'u4', 'u5']) await ask(client, 'echo: x', { user: u });
      const tracked = (await e.admin('GET', '/admin/budgets')).json.data.filter((b: any) => b.scope === 'user');
      assert.ok(tracked.length <= 3, `tracked ${tracked.length}`);
      assert.ok(!tracked.some((b: any) => b.id === 'b/spender'), 'spender was evicted');
      // back: its counter is seeded from the ledger, and it is still refused
      const again = await statusOf(ask(client, 'echo: again', { user: 'spender' }));
      assert.equal(again.status, 429);
      const b = (await e.admin('GET', '/admin/budgets')).json.data.find((x: any) => x.id === 'b/spender');
      assert.equal(b.spentUsd, spent, 'the spend survived the eviction');
    } finally {
      await e.close();
    }
  },
);

test('without an endUsers section, `user` is neither validated nor attributed', async () => {
  const e = await startEnv({ keys: [{ id: 'plain', key: KEY }] });
  try {
    await ask(e.client(KEY), 'x', { user: 'someone@example.com' });
    const usage = await e.admin('GET', '/admin/usage?group_by=user');
    assert.deepEqual(
      usage.json.groups.map((g: any) => g.group.user),
      [null],
    );
  } finally {
    await e.close();
  }
});

test('end-user options are checked at boot', async () => {
  const boot = (endUsers: Record<string, unknown>) =>
    createGateway({
      logger: memoryLogger([]),
      providers: [mock()],
      governance: { ledger: { path: ':memory:' }, endUsers } as any,
    });
  await assert.rejects(boot({ hashSecret: 'short' }), /governance.*endUsers.hashSecret/);
  await assert.rejects(boot({ header: 'bad header' }), /governance.*endUsers.header/);
  await assert.rejects(boot({ maxTracked: 0 }), /governance.*endUsers.maxTracked/);
  await assert.rejects(boot({ budgets: [{ limitUsd: -1 }] }), /governance.*endUsers.budgets/);
});

test(
  'eviction frees the quota counters, after the ledger has the spend; ' + 'the next use seeds them from the ledger',
  async () => {
    const { MemoryQuotaStore, SqliteLedger } = await import('../../index.js');
    const { Budgets } = await import('../../plugins/governance/budgets.js');
    const { EndUsers } = await import('../../plugins/governance/end-users.js');
    const quota = new MemoryQuotaStore();
    const ledger = new SqliteLedger(':memory:');
    const queued: any[] = [];
    let flushes = 0;
    const flush = async () => {
      flushes++;
      await ledger.append(queued.splice(0));
    };
    const budgets = new Budgets(quota, ledger, { send() {} } as any, 'UTC');
    const users = new EndUsers({ budgets: [{ limitUsd: 1, period: 'month' }], maxTracked: 2 }, quota, budgets, flush);
    try {
      users.enter('k/a', undefined);
      const [hold] = budgets.holds(users.budgetsFor(undefined, 'k/a'), 10);
      await budgets.reserve([hold]);
      const charges = await budgets.settle([hold], 7, { provider: 'p', model: 'm' }, 'm');
      queued.push({
        record: {
          time: Date.now(),
          requestId: 'r1',
          keyId: 'k',
          project: null,
          provider: 'p',
          model: 'm',
          requestedModel: 'm',
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
          costPusd: 7,
          costSavedPusd: 0,
          latencyMs: 1,
          upstreamMs: 1,
          ttftMs: null,
          attempts: 1,
          aborted: false,
          shadow: false,
          tags: [],
          endUser: 'a',
        },
        charges,
      });
      users.leave('k/a');
      users.enter('k/b', undefined);
      users.enter('k/c', undefined); // full: "a" (idle, least recently seen) leaves memory
      assert.equal(users.tracked, 2);
      assert.deepEqual(users.list(), ['k/b', 'k/c']);
      await new Promise((r) => setTimeout(r, 20));
      assert.equal(flushes, 1, 'the ledger got the queued charges first');
      assert.deepEqual(await quota.get(hold.counter), { spent: 0, held: 0 }, 'the counter left memory');
      const state = await budgets.state(hold);
      assert.equal(state.spentUsd, 7 / 1e12, 'seeded again from the ledger');
      // users with a request in flight are never evicted; when all are busy, a new one is refused
      users.leave('k/b');
      users.leave('k/c');
      users.enter('k/a', undefined); // evicts b
      users.enter('k/d', undefined); // evicts c
      assert.deepEqual(users.list(), ['k/a', 'k/d']);
      assert.throws(
        () => users.enter('k/e', undefined),
        (e: any) => e.status === 429 && e.code === 'too_many_end_users',
      );
    } finally {
      await ledger.close();
    }
  },
);
