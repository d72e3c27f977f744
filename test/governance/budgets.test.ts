/**
 * Budgets through HTTP: the concurrent race at a nearly exhausted budget, exact usage sums (upstream
 * usage x catalog prices), threshold alerts to a signed webhook once each, and a restart over the
 * same SQLite file keeping the spend.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { startOpenAIEmulator, type OpenAIEmulator } from '../emulators/openai.js';
import { eventually } from '../helpers/gateway.js';
import { ask, startEnv, statusOf, tempDb, type Env } from './helpers.js';

const RACE_KEY = 'sk-budget-race-key-000000000001';
const ALERT_KEY = 'sk-budget-alert-key-00000000002';
const SECRET = 'whsec-test-secret';
// gpt-4o-mini list prices: 0.15 / 0.6 USD per 1M tokens = 150 000 / 600 000 picodollars per token
const units = (u: { prompt_tokens: number; completion_tokens: number }) =>
  u.prompt_tokens * 150_000 + u.completion_tokens * 600_000;

interface Hook {
  body: string;
  signature: string | undefined;
  json: any;
}
let received: Hook[] = [];
let failFirst = true;
let receiver: http.Server;
let hookUrl: string;
let emu: OpenAIEmulator;
let env: Env;
const dbPath = tempDb();

const gov = () => ({
  keys: [
    { id: 'racer', key: RACE_KEY, budgets: [{ limitUsd: 0.0001, period: 'month' as const }] },
    { id: 'alerted', key: ALERT_KEY, budgets: [{ limitUsd: 0.000012, period: 'day' as const, alertAt: [25, 50] }] },
  ],
  timeZone: 'Europe/Berlin',
  alerts: { webhooks: [{ url: hookUrl, secret: SECRET }], backoffMs: 10 },
});

before(async () => {
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (failFirst) {
        // the first delivery fails: the alert must arrive by retry, once
        failFirst = false;
        res.writeHead(500).end();
        return;
      }
      received.push({
        body,
        signature: req.headers['x-switchyard-signature'] as string | undefined,
        json: JSON.parse(body),
      });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  emu = await startOpenAIEmulator();
  env = await startEnv(gov(), {}, { dbPath, emu });
});
after(async () => {
  await env.close();
  await emu.close();
  await new Promise((r) => receiver.close(r));
});

const budgetOf = async (e: Env, id: string) =>
  (await e.admin('GET', '/admin/budgets')).json.data.find((b: any) => b.scope === 'key' && b.id === id);

test('hundreds of concurrent requests at a nearly exhausted budget: final spend within the limit', async () => {
  const client = env.client(RACE_KEY);
  let expected = 0;
  // nearly exhaust: spend until less than two requests' holds remain
  for (;;) {
    const b = await budgetOf(env, 'racer');
    if (b.remainingUsd < 0.00003) break;
    const r = await ask(client, 'echo: warm up');
    expected += units(r.usage!);
  }
  const results = await Promise.all(
    Array.from({ length: 300 }, () =>
      statusOf(
        ask(client, 'echo: race').then((r) => {
          expected += units(r.usage!);
          return r;
        }),
      ),
    ),
  );
  const ok = results.filter((r) => r.status === 200).length;
  const refused = results.filter((r) => r.status === 429);
  assert.equal(ok + refused.length, 300);
  assert.ok(ok >= 1, 'some requests got through');
  assert.ok(refused.length > 200, `most were refused (${refused.length})`);
  assert.equal(refused[0].error.type, 'insufficient_quota');
  assert.equal(refused[0].error.code, 'insufficient_quota');
  assert.match(refused[0].error.message, /Budget exceeded: Key "racer"/);

  const b = await budgetOf(env, 'racer');
  assert.ok(b.spentUsd <= b.limitUsd, `spent ${b.spentUsd} <= limit ${b.limitUsd}`);
  assert.equal(b.heldUsd, 0, 'every hold was settled');
  // the ledger's sum equals the upstream usage times catalog prices, exactly
  const usage = await env.admin('GET', '/admin/usage?key=racer');
  assert.equal(usage.json.totals.costUsd, expected / 1e12);
  assert.equal(b.spentUsd, expected / 1e12, 'the budget counter holds the same exact spend');
  assert.equal(usage.json.totals.errors, refused.length);
  console.log(`# race: ${ok} admitted, ${refused.length} refused; spent ${b.spentUsd} of ${b.limitUsd} USD`);
});

test('thresholds alert once each to a signed webhook (delivered by retry); the refusal alerts once', async () => {
  const client = env.client(ALERT_KEY);
  let refusedAt = -1;
  for (let i = 0; i < 20; i++) {
    const r = await statusOf(ask(client, 'echo: spend', { max_tokens: 1 }));
    if (r.status === 429) {
      refusedAt = i;
      break;
    }
  }
  assert.ok(refusedAt > 0, 'the budget refused at some point');
  for (let i = 0; i < 3; i++) assert.equal((await statusOf(ask(client, 'echo: again', { max_tokens: 1 }))).status, 429);
  await eventually(() => received.filter((h) => h.json.id === 'alerted').length >= 3, 3000);
  await new Promise((r) => setTimeout(r, 100));
  const mine = received.filter((h) => h.json.id === 'alerted');
  const kinds = mine.map((h) => `${h.json.type}:${h.json.threshold}`).sort();
  assert.deepEqual(kinds, ['budget.exhausted:100', 'budget.threshold:25', 'budget.threshold:50']);
  for (const h of mine) {
    assert.equal(h.signature, `sha256=${createHmac('sha256', SECRET).update(h.body).digest('hex')}`);
    assert.equal(h.json.scope, 'key');
    assert.equal(h.json.period, 'day');
  }
  assert.ok(env.t.logs.some((l) => l.includes('governance alert') && l.includes('budget.threshold')));
});

test('a restart over the same SQLite file keeps the spend', async () => {
  const before = await budgetOf(env, 'racer');
  const usageBefore = (await env.admin('GET', '/admin/usage')).json.totals;
  await env.t.close();
  received = [];
  env = await startEnv(gov(), {}, { dbPath, emu });
  const after = await budgetOf(env, 'racer');
  assert.equal(after.spentUsd, before.spentUsd);
  assert.ok(after.spentUsd > 0);
  const usageAfter = (await env.admin('GET', '/admin/usage')).json.totals;
  assert.deepEqual(usageAfter, usageBefore);
  // still exhausted after the restart, and thresholds already crossed do not alert again
  assert.equal((await statusOf(ask(env.client(ALERT_KEY), 'echo: after restart', { max_tokens: 1 }))).status, 429);
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(
    received.filter((h) => h.json.type === 'budget.threshold'),
    [],
  );
});
