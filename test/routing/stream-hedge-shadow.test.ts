/** Streaming failover before the first byte, first-chunk timeouts, hedging and shadow traffic. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { openai, type Plugin } from '../../index.js';
import type { UsageRecord } from '../../core/usage.js';
import { eventually, startGateway, type TestGateway } from '../helpers/gateway.js';
import { startOpenAIEmulator, type OpenAIEmulator } from '../emulators/openai.js';
import { user } from './helpers.js';

let bad: OpenAIEmulator;
let good: OpenAIEmulator;
let slow: OpenAIEmulator;
let cand: OpenAIEmulator;
let t: TestGateway;
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
  bad = await startOpenAIEmulator({ behaviour: { status: 503 } });
  good = await startOpenAIEmulator({ behaviour: { delayMs: 5 } });
  // far beyond every timeout below: timing asserts stay robust under load
  slow = await startOpenAIEmulator({ behaviour: { delayMs: 3000 } });
  cand = await startOpenAIEmulator();
  const p = (name: string, up: OpenAIEmulator) => openai({ name, apiKey: 'test-key', baseURL: up.url, models: ['m'] });
  t = await startGateway({
    providers: [p('bad', bad), p('good', good), p('slow', slow), p('cand', cand)],
    routing: {
      aliases: { resilient: ['bad/m', 'good/m'] },
      models: {
        impatient: { targets: ['slow/m', 'good/m'], firstChunkTimeoutMs: 100, attemptTimeoutMs: 100 },
        hedged: { targets: ['slow/m', 'good/m'], hedgeDelayMs: 30 },
        hedgedfast: { targets: ['good/m', 'slow/m'], hedgeDelayMs: 200 },
        mirrored: { targets: ['good/m'], shadow: { target: 'cand/m', percent: 100 } },
      },
    },
    catalog: { models: { 'cand/m': { prices: { input: 1, output: 2 }, contextWindow: 10_000 } } },
    failover: { retries: 1, backoffMs: 1, breaker: false },
    plugins: [capture],
  });
});
after(async () => {
  await t.close();
  for (const u of [bad, good, slow, cand]) await u.close();
});

async function streamText(model: string) {
  const t0 = performance.now();
  const { data: stream, response } = await t.client.chat.completions
    .create({ model, stream: true, messages: user('echo: one two three') })
    .withResponse();
  let text = '';
  for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
  return {
    text,
    ms: performance.now() - t0,
    provider: response.headers.get('x-switchyard-provider'),
    attempts: response.headers.get('x-switchyard-attempts'),
  };
}

test('a stream whose upstream fails before its first byte fails over invisibly', async () => {
  const r = await streamText('resilient');
  assert.equal(r.text, 'one two three');
  assert.equal(r.provider, 'good');
  assert.equal(r.attempts, '3');
});

test('no first chunk within firstChunkTimeoutMs: the stream switches target before the first byte', async () => {
  const r = await streamText('impatient');
  assert.equal(r.text, 'one two three');
  assert.equal(r.provider, 'good');
  assert.ok(r.ms < 2000, `${r.ms} ms: switched at the first-chunk timeout, not after the slow upstream's 3 s`);
  const { data, response } = await t.client.chat.completions
    .create({ model: 'impatient', messages: user('echo: whole') })
    .withResponse();
  assert.equal(data.choices[0].message.content, 'whole');
  assert.equal(response.headers.get('x-switchyard-provider'), 'good');
});

test('hedging: the faster answer wins and the slower attempt is cancelled', async () => {
  const aborted0 = slow.aborted.length;
  const t0 = performance.now();
  const { data, response } = await t.client.chat.completions
    .create({ model: 'hedged', messages: user('echo: fast') })
    .withResponse();
  assert.equal(data.choices[0].message.content, 'fast');
  assert.equal(response.headers.get('x-switchyard-provider'), 'good');
  const ms = performance.now() - t0;
  assert.ok(ms < 2000, `${ms} ms: answered by the hedge, not after the slow upstream's 3 s`);
  await eventually(() => slow.aborted.length > aborted0);
  const s = await streamText('hedged');
  assert.equal(s.text, 'one two three');
  assert.equal(s.provider, 'good');
  await eventually(() => slow.aborted.length > aborted0 + 1);
});

test('hedging: an attempt answering before the hedge delay never starts the second', async () => {
  const slow0 = slow.requests.length;
  const { response } = await t.client.chat.completions
    .create({ model: 'hedgedfast', messages: user('echo: x') })
    .withResponse();
  assert.equal(response.headers.get('x-switchyard-provider'), 'good');
  assert.equal(response.headers.get('x-switchyard-attempts'), '1');
  assert.equal(slow.requests.length, slow0);
});

test('hedging: a first attempt failing before the hedge delay moves on to the very next target', async () => {
  const p = (name: string, up: OpenAIEmulator) => openai({ name, apiKey: 'test-key', baseURL: up.url, models: ['m'] });
  const g = await startGateway({
    providers: [p('bad', bad), p('good', good), p('slow', slow)],
    routing: { models: { hedgedfailing: { targets: ['bad/m', 'good/m', 'slow/m'], hedgeDelayMs: 200 } } },
    failover: { retries: 0, breaker: false },
  });
  try {
    const slow0 = slow.requests.length;
    const { response } = await g.client.chat.completions
      .create({ model: 'hedgedfailing', messages: user('echo: x') })
      .withResponse();
    assert.equal(response.headers.get('x-switchyard-provider'), 'good', 'the hedge target was not skipped');
    assert.equal(response.headers.get('x-switchyard-attempts'), '2');
    assert.equal(slow.requests.length, slow0);
  } finally {
    await g.close();
  }
});

test('shadow traffic reaches the candidate, is metered with shadow: true, never changes the answer', async () => {
  const c0 = cand.requests.length;
  records.length = 0;
  const { data, response } = await t.client.chat.completions
    .create({ model: 'mirrored', messages: user('echo: real') })
    .withResponse();
  assert.equal(data.choices[0].message.content, 'real');
  assert.equal(response.headers.get('x-switchyard-provider'), 'good');
  await eventually(() => records.some((r) => r.shadow));
  assert.equal(cand.requests.length - c0, 1);
  const shadow = records.find((r) => r.shadow)!;
  const main = records.find((r) => !r.shadow)!;
  assert.equal(shadow.provider, 'cand');
  assert.equal(main.provider, 'good');
  assert.ok(shadow.requestId.startsWith(main.requestId));
  assert.ok(shadow.promptTokens > 0 && shadow.costUsd! > 0);

  cand.behaviour = { status: 500 };
  records.length = 0;
  const s = await streamText('mirrored');
  assert.equal(s.text, 'one two three');
  await eventually(() => records.some((r) => r.shadow));
  assert.equal(records.find((r) => r.shadow)!.status, 500);
  cand.behaviour = {};
});
