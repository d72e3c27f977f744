/**
 * Defect 12 (issue 14): /v1/messages/count_tokens ran auth and route but skipped admit, so a key's
 * model allow-list and rate limits did not apply, and the call (made with the gateway's Anthropic key)
 * left no usage record. Now it runs auth -> route -> admit and is metered (operation count_tokens,
 * zero tokens, zero cost); its holds and slots are released like any request's.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { anthropic, mock, type UsageRecord } from '../../index.js';
import { definePlugin } from '../../core/plugin.js';
import { startAnthropicEmulator, type AnthropicEmulator } from '../emulators/anthropic.js';
import { eventually, startGateway, type TestGateway } from '../helpers/gateway.js';
import { tempDb } from '../governance/helpers.js';

let emu: AnthropicEmulator;
let t: TestGateway;
const records: UsageRecord[] = [];
const collect = definePlugin({
  name: 'collect',
  apply(gw) {
    gw.hooks.meter.tap('collect', (r) => {
      records.push(r);
    });
  },
});
const KEYS = { narrow: 'sk-narrow-0123456789', limited: 'sk-limited-0123456789', free: 'sk-free-0123456789' };

before(async () => {
  emu = await startAnthropicEmulator();
  t = await startGateway({
    providers: [anthropic({ apiKey: 'test-key', baseURL: emu.url }), mock()],
    failover: false,
    governance: {
      adminKey: 'admin-key-0123456789abcdef',
      ledger: { path: tempDb(), flushIntervalMs: 50 },
      keys: [
        { id: 'narrow', key: KEYS.narrow, models: ['mock/*'] },
        { id: 'limited', key: KEYS.limited, limits: { requestsPerMinute: 2, concurrent: 1 } },
        { id: 'free', key: KEYS.free },
      ],
    },
    plugins: [collect()],
  });
});

after(async () => {
  await t.close();
  await emu.close();
});

const client = (key: string) => new Anthropic({ baseURL: t.url, apiKey: key, maxRetries: 0, timeout: 10_000 });
const count = (key: string, model = 'anthropic/claude-haiku-4-5') =>
  client(key).messages.countTokens({ model, messages: [{ role: 'user', content: 'How many tokens is this?' }] });
const failure = (p: Promise<unknown>): Promise<any> =>
  p.then(
    () => assert.fail('expected a refusal'),
    (e) => e,
  );

test(
  'a key whose allow-list excludes the model gets 403 from count_tokens, ' + 'and the upstream is not called',
  async () => {
    const before = emu.requests.length;
    const err = await failure(count(KEYS.narrow));
    assert.ok(err instanceof Anthropic.PermissionDeniedError, String(err));
    assert.equal(err.status, 403);
    assert.equal((err.error as any).type, 'error');
    assert.equal((err.error as any).error.type, 'permission_error');
    assert.equal(emu.requests.length, before, "the gateway's Anthropic key was not used");
    // An allowed model still works for that key (estimated locally by the mock target).
    const ok = await count(KEYS.narrow, 'mock/m');
    assert.ok(ok.input_tokens > 0);
  },
);

test('requestsPerMinute applies to count_tokens', async () => {
  assert.ok((await count(KEYS.limited)).input_tokens > 0);
  assert.ok((await count(KEYS.limited)).input_tokens > 0);
  const err = await failure(count(KEYS.limited));
  assert.ok(err instanceof Anthropic.RateLimitError, String(err));
  assert.equal(err.status, 429);
  assert.equal((err.error as any).error.type, 'rate_limit_error');
});

test('count_tokens is metered: one record per call, zero tokens, zero cost, refusals included', async () => {
  const before = records.length;
  const res = await count(KEYS.free);
  assert.ok(res.input_tokens > 0);
  await eventually(() => records.length > before);
  const rec = records.at(-1)!;
  assert.equal(rec.operation, 'count_tokens');
  assert.equal(rec.dialect, 'anthropic');
  assert.equal(rec.principalId, 'free');
  assert.equal(rec.status, 200);
  assert.equal(rec.provider, 'anthropic');
  assert.equal(rec.totalTokens, 0);
  assert.equal(rec.costUsd ?? 0, 0);
  assert.ok(records.some((r) => r.operation === 'count_tokens' && r.status === 403 && r.principalId === 'narrow'));
  assert.ok(records.some((r) => r.operation === 'count_tokens' && r.status === 429 && r.principalId === 'limited'));
});

test('an unauthenticated count_tokens is a 401', async () => {
  const err = await failure(count('sk-nobody-0123456789'));
  assert.equal(err.status, 401);
});
