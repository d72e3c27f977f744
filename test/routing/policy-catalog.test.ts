/** Tag policy (data residency), the catalog's cost arithmetic, /v1/models fields and config validation. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { createGateway, mock, type Plugin } from '../../index.js';
import { Catalog } from '../../plugins/catalog/catalog.js';
import { computeCost } from '../../plugins/catalog/cost.js';
import type { UsageRecord } from '../../core/usage.js';
import { eventually, startGateway, type TestGateway } from '../helpers/gateway.js';
import { user } from './helpers.js';

let t: TestGateway;
let eu: OpenAI;
const records: UsageRecord[] = [];
const capture: Plugin = {
  name: 'capture',
  apply: (gw) => {
    gw.hooks.meter.tap('capture', (r) => {
      records.push(r);
    });
  },
};

before(async () => {
  t = await startGateway(
    {
      providers: [
        mock({ name: 'us1', models: ['m'] }),
        mock({ name: 'eu1', models: ['m'], failureRate: 1 }),
        mock({ name: 'eu2', models: ['m'] }),
      ],
      auth: {
        keys: [
          { id: 'global', key: 'global-key-123' },
          { id: 'eu-key', key: 'eu-key-12345', project: 'eu-team' },
        ],
      },
      routing: {
        tags: { us1: ['us'], eu1: ['eu'], eu2: ['eu', 'zdr'] },
        policies: { projects: { 'eu-team': { requireTags: ['eu'] } } },
        models: {
          any: { targets: ['us1/m', 'eu1/m', 'eu2/m'], shadow: { target: 'us1/m', percent: 100 } },
          usonly: { targets: ['us1/m'] },
        },
      },
      catalog: {
        providers: { us1: { discountPct: 20, creditFeePct: 5 } },
        models: { 'us1/m': { prices: { input: 3, cachedInput: 0.3, output: 15 }, contextWindow: 1000 } },
      },
      failover: { retries: 0, backoffMs: 1, breaker: false },
      plugins: [capture],
    },
    'global-key-123',
  );
  eu = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: 'eu-key-12345', maxRetries: 0 });
});
after(() => t.close());

test('a key whose project requires "eu" never leaves the region: routing, failover and shadowing', async () => {
  records.length = 0;
  const { response } = await eu.chat.completions.create({ model: 'any', messages: user('echo: hi') }).withResponse();
  assert.equal(response.headers.get('x-switchyard-provider'), 'eu2', 'us1 skipped, eu1 failed over to eu2');
  assert.equal(response.headers.get('x-switchyard-attempts'), '2');
  await eventually(() => records.length >= 1);
  await new Promise((r) => setTimeout(r, 30));
  assert.ok(
    records.every((r) => r.provider !== 'us1'),
    'no shadow to the US target either',
  );
  await assert.rejects(
    eu.chat.completions.create({ model: 'usonly', messages: user('hi') }),
    (e: unknown) => e instanceof OpenAI.PermissionDeniedError && /required tags: eu/.test(e.message),
  );
  await assert.rejects(
    eu.chat.completions.create({ model: 'us1/m', messages: user('hi') }),
    OpenAI.PermissionDeniedError,
  );
  await assert.rejects(
    eu.chat.completions.create({ model: 'any', messages: user('hi') }, { headers: { 'x-switchyard-target': 'us1/m' } }),
    OpenAI.PermissionDeniedError,
  );
  // Other keys are unrestricted.
  const { response: r2 } = await t.client.chat.completions
    .create({ model: 'any', messages: user('hi') })
    .withResponse();
  assert.equal(r2.headers.get('x-switchyard-provider'), 'us1');
});

test(
  'cost arithmetic is exact: cached tokens at the cached price, ' + 'reasoning as output, discount and credit fee',
  () => {
    const catalog = new Catalog({ providers: { p: { discountPct: 20, creditFeePct: 5 } } }, [
      {
        provider: 'p',
        id: 'm',
        kind: 'chat',
        prices: { input: 3, cachedInput: 0.3, cacheWrite: 3.75, output: 15 },
        contextWindow: 1,
        capabilities: {} as never,
      },
      {
        provider: 'p',
        id: 'r',
        kind: 'chat',
        prices: { input: 1.1, output: 4.4, reasoning: 2.2 },
        contextWindow: 1,
        capabilities: {} as never,
      },
    ]);
    const u = {
      promptTokens: 1234,
      cachedTokens: 200,
      cacheWriteTokens: 34,
      completionTokens: 567,
      reasoningTokens: 100,
    };
    const c = computeCost(u, catalog.lookup('p', 'm')!);
    // (1000 x 3 + 200 x 0.3 + 34 x 3.75 + 567 x 15) / 1e6 = (3000 + 60 + 127.5 + 8505) / 1e6
    assert.equal(c.listCostUsd, 0.0116925);
    assert.equal(c.costUsd, 0.0098217); // x 0.8 x 1.05
    const r = computeCost({ ...u, cachedTokens: 0, cacheWriteTokens: 0 }, catalog.lookup('p', 'r')!);
    // 1234 x 1.1 + 467 x 4.4 + 100 x 2.2 = 1357.4 + 2054.8 + 220
    assert.equal(r.listCostUsd, 0.0036322);
    assert.equal(
      computeCost(
        { promptTokens: 1, completionTokens: 1, cachedTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
        catalog.lookup('p', 'm')!,
      ).listCostUsd,
      0.000018,
    );
  },
);

test('every request is priced into its meter record (effective and list)', async () => {
  records.length = 0;
  const { data } = await t.client.chat.completions
    .create({ model: 'usonly', messages: user('echo: price me') })
    .withResponse();
  await eventually(() => records.length > 0);
  const r = records[0];
  const u = data.usage!;
  const list = (u.prompt_tokens * 3 + u.completion_tokens * 15) / 1e6;
  assert.equal(r.listCostUsd, Math.round(list * 1e12) / 1e12);
  assert.equal(r.costUsd, Math.round(list * 1e12 * 0.8 * 1.05) / 1e12);
  assert.equal(r.attempts, 1);
});

test('GET /v1/models exposes catalog fields; built-in entries have prices, limits, capabilities', async () => {
  const list = (await t.client.models.list()).data as any[];
  const m = list.find((x) => x.id === 'us1/m');
  assert.equal(m.context_window, 1000);
  assert.equal(m.pricing.input, 3);
  assert.equal(m.pricing.cached_input, 0.3);
  assert.ok(m.pricing.effective.factor > 0.83 && m.pricing.effective.factor < 0.85);
  assert.ok(
    list.some((x) => x.id === 'any'),
    'virtual models listed',
  );
  const c = new Catalog();
  for (const [p, id] of [
    ['openai', 'gpt-4o-mini'],
    ['anthropic', 'claude-sonnet-4-5-20250929'],
    ['gemini', 'gemini-2.5-flash'],
    ['bedrock', 'us.anthropic.claude-haiku-4-5-20251001-v1:0'],
    ['cohere', 'command-r'],
    ['deepseek', 'deepseek-chat'],
  ]) {
    const e = c.lookup(p, id);
    assert.ok(e && e.prices.input > 0 && e.contextWindow > 0, `${p}/${id}`);
  }
  assert.equal(c.lookup('openai', 'gpt-4o-mini')!.capabilities.vision, true);
});

test('bad routing sections are config errors naming the path', async () => {
  const bad = async (routing: unknown, re: RegExp) =>
    assert.rejects(createGateway({ providers: [mock()], routing: routing as never, logging: { level: 'silent' } }), re);
  await bad(
    { models: { x: { strategy: 'weighted', targets: ['mock/a', { target: 'mock/b', weight: 1 }] } } },
    /routing\.models\.x\.targets\[0\]\.weight is required/,
  );
  await bad({ models: { x: { strategy: 'auto', targets: ['mock/a'] } } }, /routing\.models\.x\.tiers is required/);
  await bad({ models: { x: { strategy: 'nearest', targets: ['mock/a'] } } }, /routing\.models\.x\.strategy/);
  await bad({ models: { x: { targets: ['no-slash'] } } }, /routing\.models\.x\.targets\[0\]/);
  await bad({ models: { x: { targets: ['ghost/a'] } } }, /routing\.models\.x names provider "ghost"/);
  await bad(
    { models: { x: { targets: ['mock/a'], shadow: { target: 'mock/b', percent: 150 } } } },
    /routing\.models\.x\.shadow\.percent/,
  );
  await bad(
    { models: { x: { strategy: 'rules', targets: ['mock/a'], rules: [{ when: {} }] } } },
    /routing\.models\.x\.rules\[0\] needs `use` or `targets`/,
  );
  await assert.rejects(
    createGateway({
      providers: [mock()],
      failover: { breaker: { failureRate: 2 } } as never,
      logging: { level: 'silent' },
    }),
    /failover\.breaker\.failureRate/,
  );
});
