/** Failover through HTTP with the openai client: error classes, retries, breakers, /health/targets. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { openai } from '../../index.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { startOpenAIEmulator, type OpenAIEmulator } from '../emulators/openai.js';
import { closedPort, user } from './helpers.js';

let bad: OpenAIEmulator;
let good: OpenAIEmulator;
let t: TestGateway;

before(async () => {
  bad = await startOpenAIEmulator();
  good = await startOpenAIEmulator();
  t = await startGateway({
    providers: [
      openai({ name: 'bad', apiKey: 'test-key', baseURL: bad.url, models: ['m'] }),
      openai({ name: 'good', apiKey: 'test-key', baseURL: good.url, models: ['m'] }),
      openai({ name: 'dns', apiKey: 'test-key', baseURL: 'http://no-such-host.invalid/v1', models: ['m'] }),
    ],
    routing: {
      aliases: {
        pair: ['bad/m', 'good/m'],
        dnspair: ['dns/m', 'good/m'],
        solo: 'bad/m',
        long: ['bad/m', 'good/m'],
        policy: ['bad/m', 'good/m'],
      },
    },
    failover: {
      retries: 1,
      backoffMs: 1,
      maxBackoffMs: 50,
      attemptTimeoutMs: 300,
      breaker: { failureThreshold: 100, minRequests: 1000, cooldownMs: 60_000, tripOnUnreachable: false },
      onContextTooLong: 'good/m',
      onContentPolicy: 'good/m',
    },
  });
});
after(async () => {
  await t.close();
  await bad.close();
  await good.close();
});

async function call(model = 'pair') {
  const b0 = bad.requests.length;
  const g0 = good.requests.length;
  const { data, response } = await t.client.chat.completions
    .create({ model, messages: user('echo: ok') })
    .withResponse();
  return {
    text: data.choices[0].message.content,
    provider: response.headers.get('x-switchyard-provider'),
    attempts: Number(response.headers.get('x-switchyard-attempts')),
    bad: bad.requests.length - b0,
    good: good.requests.length - g0,
  };
}

for (const [name, b] of [
  ['408', { status: 408 }],
  ['409', { status: 409 }],
  ['429', { status: 429 }],
  ['500', { status: 500 }],
  ['502', { status: 502 }],
  ['503', { status: 503 }],
  ['529', { status: 529 }],
  ['overloaded (400 "Overloaded")', { status: 400, message: 'Overloaded, try later' }],
  ['connection reset', { reset: true }],
  ['per-attempt timeout', { hang: true }],
] as const) {
  test(`retryable: ${name} -> one retry, then the next target`, async () => {
    bad.behaviour = b;
    const r = await call();
    assert.equal(r.text, 'ok');
    assert.equal(r.provider, 'good');
    assert.equal(r.bad, 2, 'first try plus one retry');
    assert.equal(r.attempts, 3);
  });
}

for (const status of [400, 401, 403, 404, 422]) {
  test(`not retryable: ${status} fails at once`, async () => {
    bad.behaviour = { status };
    const g0 = good.requests.length;
    const b0 = bad.requests.length;
    await assert.rejects(
      t.client.chat.completions.create({ model: 'pair', messages: user('hi') }),
      (e: unknown) => e instanceof OpenAI.APIError && e.status === status,
    );
    assert.equal(bad.requests.length - b0, 1);
    assert.equal(good.requests.length, g0);
  });
}

test('connection refused and DNS failures fail over (no retry of a host that is down)', async () => {
  const port = await closedPort();
  const { createGateway } = await import('../../index.js');
  const gw = await createGateway({
    providers: [
      openai({ name: 'dead', apiKey: 'test-key', baseURL: `http://127.0.0.1:${port}/v1`, models: ['m'] }),
      openai({ name: 'good', apiKey: 'test-key', baseURL: good.url, models: ['m'] }),
    ],
    routing: { aliases: { x: ['dead/m', 'good/m'] } },
    failover: { backoffMs: 1, breaker: false },
    logging: { level: 'silent' },
  });
  const { url } = await gw.listen({ port: 0 });
  const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'x', maxRetries: 0 });
  const { data, response } = await client.chat.completions
    .create({ model: 'x', messages: user('echo: up') })
    .withResponse();
  assert.equal(data.choices[0].message.content, 'up');
  assert.equal(response.headers.get('x-switchyard-attempts'), '2');
  await gw.close();
  const r = await call('dnspair');
  assert.equal(r.provider, 'good');
  assert.equal(r.attempts, 2, 'DNS failure: straight to the next target');
});

test('Retry-After is honoured up to maxBackoffMs; beyond the cap the next target is used at once', async () => {
  bad.behaviour = { status: 429, retryAfter: '0.2' }; // 200 ms > cap 50 -> next at once
  const t0 = performance.now();
  const r = await call();
  assert.equal(r.provider, 'good');
  assert.equal(r.bad, 1);
  assert.ok(performance.now() - t0 < 150);
  bad.behaviour = { status: 429, retryAfter: '0.03' }; // 30 ms <= cap: waited, then retried
  const t1 = performance.now();
  const r2 = await call();
  assert.equal(r2.bad, 2);
  assert.ok(performance.now() - t1 >= 28);
});

test('context too long -> the configured larger-context fallback; content policy -> its fallback', async () => {
  bad.behaviour = {
    status: 400,
    message: "This model's maximum context length is 8192 tokens.",
    code: 'context_length_exceeded',
  };
  const r = await call('solo');
  assert.equal(r.provider, 'good');
  assert.equal(r.bad, 1);
  bad.behaviour = {
    status: 400,
    message: 'The response was filtered due to our content management policy.',
    code: 'content_filter',
  };
  const p = await call('solo');
  assert.equal(p.provider, 'good');
  assert.equal(p.bad, 1);
});

test('the overall deadline bounds all attempts', async () => {
  const { createGateway } = await import('../../index.js');
  bad.behaviour = { hang: true };
  const gw = await createGateway({
    providers: [openai({ name: 'bad', apiKey: 'test-key', baseURL: bad.url, models: ['m'] })],
    failover: { deadlineMs: 150, breaker: false },
    logging: { level: 'silent' },
  });
  const { url } = await gw.listen({ port: 0 });
  const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'x', maxRetries: 0 });
  const t0 = performance.now();
  await assert.rejects(
    client.chat.completions.create({ model: 'bad/m', messages: user('hi') }),
    (e: unknown) => e instanceof OpenAI.APIError && e.status === 504,
  );
  assert.ok(performance.now() - t0 < 600);
  await gw.close();
});

test('a context-too-long fallback that fails the same way ends the request instead of looping', async () => {
  const emu = await startOpenAIEmulator();
  const g = await startGateway({
    providers: [openai({ apiKey: 'test-key', baseURL: emu.url })],
    failover: { retries: 0, breaker: false, onContextTooLong: 'openai/context-too-long' },
  });
  try {
    await assert.rejects(
      g.client.chat.completions.create({
        model: 'openai/context-too-long',
        messages: [{ role: 'user', content: 'hi' }],
      }),
      (e: unknown) =>
        (e as { status?: number; code?: string }).status === 400 &&
        (e as { code?: string }).code === 'context_length_exceeded',
    );
    assert.ok(emu.requests.length <= 2, `the fallback was tried at most once (${emu.requests.length} upstream calls)`);
  } finally {
    await g.close();
    await emu.close();
  }
});
