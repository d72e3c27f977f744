/**
 * A budget hold far from its limit is bounded by the prompt's UTF-8 bytes (every o200k token is at least one
 * byte), so a gateway whose budgets have room never loads or runs the o200k counter (~6 MiB, ~2 µs a request).
 * Near the limit, where the bound would refuse, the hold is the exact count (the tokenizer loaded then), and a
 * refusal names the exact cost. (One process per test file: nothing has loaded the counter before.)
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { tokenizerLoaded } from '../../core/tokens.js';
import { ask, startEnv, statusOf, type Env } from './helpers.js';

const FAR = 'sk-hold-bound-far-0000000000001';
const NEAR = 'sk-hold-bound-near-000000000001';
const TIGHT = 'sk-hold-bound-tight-00000000001';
let env: Env;

// gpt-4o-mini: $0.15 per 1M input tokens, $0.60 per 1M output. "hello " is one o200k token and 6 bytes:
// 2,000 of them hold ~(2,007 x 1.1 + 16) tokens exactly ($0.00033 with 16 output tokens) and
// ~(12,007 x 1.1 + 16) by the byte bound ($0.0020).
const PROMPT = 'hello '.repeat(2000);
const EXACT_HOLD_USD = ((Math.ceil(2007 * 1.1) + 16) * 0.15 + 16 * 0.6) / 1e6;
const BOUND_HOLD_USD = ((Math.ceil(12_007 * 1.1) + 16) * 0.15 + 16 * 0.6) / 1e6;

before(async () => {
  env = await startEnv({
    keys: [
      { id: 'far', key: FAR, budgets: [{ limitUsd: 100, period: 'month' }] },
      { id: 'near', key: NEAR, budgets: [{ limitUsd: 0.001, period: 'month' }] },
      { id: 'tight', key: TIGHT, budgets: [{ limitUsd: 0.0002, period: 'month' }] },
    ],
  });
});
after(async () => {
  await env?.close();
});

test('a budget with room holds the byte bound: the o200k counter is neither loaded nor run', async () => {
  assert.ok(EXACT_HOLD_USD < 0.001 && BOUND_HOLD_USD > 0.001, 'the near key tells the two holds apart');
  const client = env.client(FAR);
  for (let i = 0; i < 3; i++) {
    const r = await statusOf(ask(client, PROMPT));
    assert.equal(r.status, 200, JSON.stringify(r.error));
  }
  assert.equal(tokenizerLoaded(), false);
});

test('near its limit, where the bound would refuse, the hold is the exact count (loaded on demand)', async () => {
  const client = env.client(NEAR);
  // The first request seeds the budget's counter (the awaited path), the second is held in one step.
  for (let i = 0; i < 2; i++) {
    const r = await statusOf(ask(client, PROMPT));
    assert.equal(r.status, 200, `request ${i + 1}: ${JSON.stringify(r.error)}`);
  }
  assert.equal(tokenizerLoaded(), true);
});

test('a refusal names the exact cost, not the byte bound', async () => {
  const r = await statusOf(ask(env.client(TIGHT), PROMPT));
  assert.equal(r.status, 429, JSON.stringify(r.error));
  assert.equal(r.error.code, 'insufficient_quota');
  const cost = Number(/may cost up to \$([\d.]+)\./.exec(r.error.message)?.[1]);
  assert.ok(Math.abs(cost - EXACT_HOLD_USD) / EXACT_HOLD_USD < 0.05, `${cost} vs exact ${EXACT_HOLD_USD}`);
});
