/**
 * A key with a budget and a target the catalog has no price for (the mock provider's models): the warning
 * that the target's cost is not held is written once per target for a run of requests, not once per request
 * (it doubled the log), then again after its interval with how many requests it covered; other targets get
 * their own line.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mock } from '../../index.js';
import { UnpricedWarnings } from '../../plugins/governance/unpriced.js';
import { startGateway } from '../helpers/gateway.js';

const KEY = 'sk-unpriced-0123456789abcdef';
const WARNING = 'governance: no catalog price for a target; its cost is not held';

test('the unpriced-target warning: one line for many requests through the real API', async () => {
  const env = await startGateway(
    {
      providers: [mock()],
      governance: {
        ledger: { path: ':memory:' },
        keys: [{ id: 'app', key: KEY, budgets: [{ limitUsd: 5, period: 'month' }] }],
      },
    },
    KEY,
  );
  try {
    for (let i = 0; i < 5; i++) {
      const answer = await env.client.chat.completions.create({
        model: 'mock-1',
        messages: [{ role: 'user', content: `question ${i}` }],
      });
      assert.ok(answer.choices[0].message.content);
    }
    await env.client.chat.completions.create({ model: 'mock-echo', messages: [{ role: 'user', content: 'x' }] });
    const warnings = env.logs.map((l) => JSON.parse(l)).filter((l) => l.msg === WARNING);
    assert.deepEqual(
      warnings.map((w) => w.targets),
      [['mock/mock-1'], ['mock/mock-echo']],
    );
    assert.deepEqual(
      warnings.map((w) => w.requests),
      [[1], [1]],
    );
  } finally {
    await env.close();
  }
});

test('UnpricedWarnings: due once per interval per target, with the requests since its last line; bounded', () => {
  const w = new UnpricedWarnings(1000, 3);
  assert.deepEqual(w.due(['a', 'b'], 0), [
    { target: 'a', requests: 1 },
    { target: 'b', requests: 1 },
  ]);
  assert.deepEqual(w.due(['a'], 10), []);
  assert.deepEqual(w.due(['a', 'b'], 500), []);
  assert.deepEqual(w.due(['a'], 1000), [{ target: 'a', requests: 3 }], 'the two quiet ones and this one');
  assert.deepEqual(w.due(['a'], 1500), []);
  // at most 3 targets remembered: the oldest line's target is forgotten first, and warned again
  assert.deepEqual(w.due(['c', 'd'], 1600), [
    { target: 'c', requests: 1 },
    { target: 'd', requests: 1 },
  ]);
  assert.deepEqual(w.due(['b'], 1700), [{ target: 'b', requests: 1 }], 'b was forgotten');
  assert.deepEqual(w.due([], 1800), []);
});
