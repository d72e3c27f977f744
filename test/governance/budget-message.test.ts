/**
 * A budget refusal's numbers explain it (issue 13 item 8): the limit, what is spent or held, and
 * what the request may cost are shown with enough significant digits that spent + cost > limit
 * reads true, instead of "$0.0002; $0.0002 is spent ... may cost up to $0.0000".
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { refusalAmounts } from '../../plugins/governance/budgets.js';
import { ask, startEnv, statusOf } from './helpers.js';

const P = 1e12; // picodollars per USD
const dollars = (s: string) => Number(s.replace('$', ''));

test('refusalAmounts: 3 significant digits at least, more until limit < spent + cost reads true', () => {
  // the example from the issue: $0.0002 budget, $0.000195 spent, a request of $0.0000123
  assert.deepEqual(refusalAmounts(0.0002 * P, 0.000195 * P, 0.0000123 * P), ['$0.0002', '$0.000195', '$0.0000123']);
  assert.deepEqual(refusalAmounts(5000 * P, 4999.5 * P, 1.25 * P), ['$5000.00', '$4999.50', '$1.25']);
  assert.deepEqual(refusalAmounts(10 * P, 0, 12.5 * P), ['$10.00', '$0.00', '$12.50']);
  // 4.9949 + 0.0052 > 5, but rounded to cents it would read 4.99 + 0.0052 < 5.00: more digits for all
  const [l, u, a] = refusalAmounts(5 * P, 4.9949 * P, 0.0052 * P);
  assert.ok(dollars(u) + dollars(a) > dollars(l), `${l} < ${u} + ${a}`);
  assert.deepEqual([l, u, a], ['$5.000', '$4.995', '$0.0052']);
  // what is spent does not read as the whole budget when it is not
  assert.deepEqual(refusalAmounts(50 * P, 49.999 * P, 0.01 * P), ['$50.000', '$49.999', '$0.010']);
  // a difference of one picodollar still shows
  const [l2, u2, a2] = refusalAmounts(1 * P, 1 * P - 1, 2);
  assert.ok(dollars(u2) + dollars(a2) > dollars(l2), `${l2} < ${u2} + ${a2}`);
  for (const s of [l2, u2, a2]) assert.match(s, /^\$\d+\.\d{2,12}$/);
});

test('the 429 of a tiny budget shows numbers that explain it', async () => {
  const KEY = 'sk-tiny-budget-key-0000000001';
  const env = await startEnv({ keys: [{ id: 'tiny', key: KEY, budgets: [{ limitUsd: 0.0002, period: 'month' }] }] });
  try {
    const client = env.client(KEY);
    // spend some of it (gpt-4o-mini: $0.15 / $0.60 per 1M tokens), then ask for more than is left
    let refused: Awaited<ReturnType<typeof statusOf>> | undefined;
    for (let i = 0; i < 40 && !refused; i++) {
      const r = await statusOf(ask(client, `hello ${i}`, { max_tokens: 120 }));
      if (r.status === 429) refused = r;
      else assert.equal(r.status, 200);
    }
    assert.ok(refused, 'the budget ran out');
    const message: string = refused.error.message;
    const m = new RegExp(
      /budget of (\$[\d.]+); (\$[\d.]+) is spent or held by requests in flight/.source +
        / and this request may cost up to (\$[\d.]+)\./.source,
    ).exec(message);
    assert.ok(m, message);
    const [limit, used, cost] = [dollars(m[1]), dollars(m[2]), dollars(m[3])];
    assert.equal(limit, 0.0002);
    assert.ok(used > 0 && cost > 0, `no amount reads as zero: ${message}`);
    assert.ok(used + cost > limit, `the numbers explain the refusal: ${message}`);
    assert.doesNotMatch(message, /\$0\.0000(?!\d)/);
  } finally {
    await env.close();
  }
});
