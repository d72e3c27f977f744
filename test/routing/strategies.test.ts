/** Virtual-model strategies through HTTP: weighted (+sticky), cheapest, fastest, auto, rules, per-request controls. */
import assert from 'node:assert/strict';
import { LatencyTracker } from '../../plugins/router/latency.js';
import { fastest } from '../../plugins/router/strategies/fastest.js';
import { after, before, test } from 'node:test';
import { mock, openai } from '../../index.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { startOpenAIEmulator, type OpenAIEmulator } from '../emulators/openai.js';
import { user } from './helpers.js';

let t: TestGateway;
let fastUp: OpenAIEmulator;
let slowUp: OpenAIEmulator;

const caps = (vision: boolean, tools = true) => ({
  tools,
  parallelTools: tools,
  vision,
  json: true,
  reasoning: false,
  embeddings: false,
});

before(async () => {
  fastUp = await startOpenAIEmulator({ behaviour: { delayMs: 2 } });
  // far slower than any scheduling noise on a loaded machine
  slowUp = await startOpenAIEmulator({ behaviour: { delayMs: 2000 } });
  t = await startGateway({
    providers: [
      mock({ name: 'wa', models: ['m'] }),
      mock({ name: 'wb', models: ['m'] }),
      mock({ name: 'cheap', models: ['m'] }),
      mock({ name: 'mid', models: ['m'] }),
      mock({ name: 'big', models: ['m'] }),
      mock({ name: 'down', models: ['m'], failureRate: 1 }),
      openai({ name: 'up1', apiKey: 'test-key', baseURL: fastUp.url, models: ['m'] }),
      openai({ name: 'up2', apiKey: 'test-key', baseURL: slowUp.url, models: ['m'] }),
    ],
    catalog: {
      models: {
        'cheap/m': { prices: { input: 0.1, output: 0.4 }, contextWindow: 1000, capabilities: caps(false, false) },
        'mid/m': {
          prices: { input: 1, output: 4 },
          contextWindow: 100_000,
          maxOutputTokens: 8192,
          capabilities: caps(true),
        },
        'big/m': {
          prices: { input: 5, output: 20 },
          contextWindow: 1_000_000,
          maxOutputTokens: 64_000,
          capabilities: caps(true),
        },
      },
    },
    routing: {
      models: {
        canary: {
          strategy: 'weighted',
          targets: [
            { target: 'wa/m', weight: 70 },
            { target: 'wb/m', weight: 30 },
          ],
        },
        sticky: {
          strategy: 'weighted',
          sticky: 'user',
          targets: [
            { target: 'wa/m', weight: 50 },
            { target: 'wb/m', weight: 50 },
          ],
        },
        thrifty: { strategy: 'cheapest', targets: ['big/m', 'mid/m', 'cheap/m'] },
        quick: { strategy: 'fastest', explore: 0.2, targets: ['up2/m', 'up1/m'] },
        smart: { strategy: 'auto', tiers: { strong: ['big/m'], cheap: ['cheap/m'] } },
        custom: {
          strategy: 'auto',
          tiers: { strong: ['big/m'], cheap: ['cheap/m'] },
          classifier: (f) => (f.promptTokens > 20 ? 'strong' : undefined),
        },
        ruled: {
          strategy: 'rules',
          targets: ['mid/m'],
          rules: [
            { when: { headers: { 'x-team': 'research' } }, targets: ['big/m'] },
            { when: { params: { temperature: 0 } }, use: 'thrifty' },
          ],
        },
      },
    },
    failover: { backoffMs: 1, retries: 0, breaker: false },
  });
});
after(async () => {
  await t.close();
  await fastUp.close();
  await slowUp.close();
});

async function provider(body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const { response } = await t.client.chat.completions
    .create({ messages: user('echo: hi'), ...body } as any, { headers })
    .withResponse();
  return response.headers.get('x-switchyard-provider');
}

test('weighted 70/30 over 1000 requests stays within ±5 points (and a chi-square test)', async () => {
  const counts: Record<string, number> = { wa: 0, wb: 0 };
  for (let batch = 0; batch < 50; batch++) {
    const names = await Promise.all(Array.from({ length: 20 }, () => provider({ model: 'canary' })));
    for (const n of names) counts[n!]++;
  }
  assert.ok(Math.abs(counts.wa / 1000 - 0.7) <= 0.05, JSON.stringify(counts));
  const chi2 = (counts.wa - 700) ** 2 / 700 + (counts.wb - 300) ** 2 / 300;
  assert.ok(chi2 < 10.83, `chi-square ${chi2} (p < 0.001 threshold, 1 dof)`);
});

test('sticky weighting keeps a user on one target; users spread by weight', async () => {
  for (const u of ['alice', 'bob', 'carol']) {
    const seen = new Set(await Promise.all(Array.from({ length: 15 }, () => provider({ model: 'sticky', user: u }))));
    assert.equal(seen.size, 1, u);
  }
  const spread: Record<string, number> = { wa: 0, wb: 0 };
  for (let i = 0; i < 200; i++) spread[(await provider({ model: 'sticky', user: `user-${i}` }))!]++;
  assert.ok(spread.wa > 60 && spread.wb > 60, JSON.stringify(spread));
});

test('cheapest picks differ by request: text -> cheap; images, tools or a long prompt skip it', async () => {
  assert.equal(await provider({ model: 'thrifty' }), 'cheap');
  const image = [
    {
      role: 'user',
      content: [
        { type: 'text', text: 'what is this?' },
        { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
      ],
    },
  ];
  assert.equal(await provider({ model: 'thrifty', messages: image }), 'mid', 'cheap has no vision');
  assert.equal(
    await provider({
      model: 'thrifty',
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
    }),
    'mid',
  );
  const long = 'echo: ' + 'lorem ipsum dolor sit amet '.repeat(400); // ~2000 tokens > 1000-token window
  assert.equal(await provider({ model: 'thrifty', messages: user(long) }), 'mid', 'context window too small');
  assert.equal(await provider({ model: 'thrifty', max_tokens: 20_000 }), 'big', 'mid allows 8192 output tokens');
  await assert.rejects(
    provider({ model: 'thrifty', max_tokens: 200_000 }),
    /400 No target of `thrifty` can serve this request/,
  );
});

test('fastest prefers the faster upstream over HTTP and still explores the other', async () => {
  const picks: string[] = [];
  for (let i = 0; i < 30; i++) picks.push((await provider({ model: 'quick' }))!);
  // 2 ms vs 2000 ms upstreams; explore 0.2 puts the slower one first on about 20% of requests. Under two
  // concurrent suites the fast one's latency spikes too (runs of 4 slow picks were seen), so the bound is the
  // majority; the exact ordering and exploration are checked deterministically in the next test.
  const fast = picks.slice(10).filter((p) => p === 'up1').length;
  assert.ok(fast >= 11, picks.join(','));
  assert.ok(picks.includes('up2'), 'the slower target is still explored');
});

test('fastest: EWMA ordering, exploration, and recovery of a target that got fast again (deterministic)', () => {
  const latency = new LatencyTracker();
  const a = { provider: 'a', model: 'm' };
  const b = { provider: 'b', model: 'm' };
  const m = {
    name: 'v',
    config: { strategy: 'fastest' as const, explore: 0.2, targets: ['a/m', 'b/m'] },
    targets: [a, b],
  };
  let r = 0.99; // > explore: exploit
  const env = { latency, random: () => r } as unknown as Parameters<typeof fastest>[2];
  const ctx = { operation: 'chat', stream: false } as unknown as Parameters<typeof fastest>[1];
  // Unmeasured targets go first.
  assert.deepEqual(
    fastest(m as never, ctx, env).map((t) => t.provider),
    ['a', 'b'],
  );
  latency.observe('a/m', 5, false);
  assert.deepEqual(
    fastest(m as never, ctx, env).map((t) => t.provider),
    ['b', 'a'],
    'b has never been measured',
  );
  latency.observe('b/m', 80, false);
  assert.deepEqual(
    fastest(m as never, ctx, env).map((t) => t.provider),
    ['a', 'b'],
  );
  // Exploration puts the other target first.
  r = 0.1;
  assert.deepEqual(
    fastest(m as never, ctx, env).map((t) => t.provider),
    ['b', 'a'],
  );
  // a slows down, b (explored) is fast now: the order flips once the EWMAs cross.
  r = 0.99;
  for (let i = 0; i < 5; i++) latency.observe('a/m', 80, false);
  for (let i = 0; i < 5; i++) latency.observe('b/m', 3, false);
  assert.deepEqual(
    fastest(m as never, ctx, env).map((t) => t.provider),
    ['b', 'a'],
  );
});

test('fastest: one stalled sample does not flip the order; a lasting slow-down does within a few samples', () => {
  const latency = new LatencyTracker();
  const a = { provider: 'a', model: 'm' };
  const b = { provider: 'b', model: 'm' };
  const m = {
    name: 'v',
    config: { strategy: 'fastest' as const, explore: 0, targets: ['a/m', 'b/m'] },
    targets: [a, b],
  };
  const env = { latency, random: () => 0.99 } as unknown as Parameters<typeof fastest>[2];
  const ctx = { operation: 'chat', stream: false } as unknown as Parameters<typeof fastest>[1];
  const first = () => fastest(m as never, ctx, env)[0].provider;
  for (let i = 0; i < 10; i++) latency.observe('a/m', 5, false);
  for (let i = 0; i < 10; i++) latency.observe('b/m', 400, false);
  latency.observe('a/m', 2000, false); // one stall (before: EWMA 603 ms, and b won until a was explored again)
  assert.equal(first(), 'a');
  assert.ok(latency.get('a/m', false)!.ewmaMs < 20, String(latency.get('a/m', false)!.ewmaMs));
  for (let i = 0; i < 3; i++) latency.observe('a/m', 5, false);
  let n = 0;
  while (first() === 'a' && n < 20) {
    latency.observe('a/m', 1000, false); // a is now slower than b for good
    n++;
  }
  assert.equal(first(), 'b');
  assert.ok(n <= 10, `flipped after ${n} slow samples`);
  // The first samples of a new target count in full (no average to compare with yet).
  const fresh = new LatencyTracker();
  fresh.observe('c/m', 5, false);
  fresh.observe('c/m', 500, false);
  assert.ok(fresh.get('c/m', false)!.ewmaMs > 100);
});

test('auto tiers: heuristic (tools, code, length), header override, custom classifier', async () => {
  assert.equal(await provider({ model: 'smart' }), 'cheap');
  assert.equal(await provider({ model: 'smart', messages: user('```js\nconst x = 1;\n```') }), 'big');
  assert.equal(await provider({ model: 'smart', tools: [{ type: 'function', function: { name: 'f' } }] }), 'big');
  assert.equal(await provider({ model: 'smart', messages: user('x '.repeat(3000)) }), 'big');
  assert.equal(await provider({ model: 'smart' }, { 'x-switchyard-tier': 'strong' }), 'big');
  assert.equal(
    await provider({ model: 'custom', messages: user('a fairly long question for the custom classifier '.repeat(4)) }),
    'big',
  );
  assert.equal(await provider({ model: 'custom', messages: user('hi') }), 'cheap');
});

test('rules on headers and params; no match uses the default targets', async () => {
  assert.equal(await provider({ model: 'ruled' }, { 'x-team': 'research' }), 'big');
  assert.equal(await provider({ model: 'ruled', temperature: 0 }), 'cheap');
  assert.equal(await provider({ model: 'ruled' }), 'mid');
});

test('per request: an ordered `models` list falls back in order; x-switchyard-target forces a target', async () => {
  const { data, response } = await t.client.chat.completions
    .create({ model: 'down/m', models: ['mid/m', 'big/m'], messages: user('echo: via list') } as any)
    .withResponse();
  assert.equal((data as any).choices[0].message.content, 'via list');
  assert.equal(response.headers.get('x-switchyard-provider'), 'mid');
  assert.equal(response.headers.get('x-switchyard-attempts'), '2');
  assert.equal(await provider({ model: 'thrifty' }, { 'x-switchyard-target': 'big/m' }), 'big');
  await assert.rejects(provider({ model: 'thrifty' }, { 'x-switchyard-target': 'ghost/m' }), /404/);
  await assert.rejects(provider({ model: 'thrifty', models: 'mid/m' }), /models/);
});
