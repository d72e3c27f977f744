/**
 * Defect 14 (issue 14): error shaping. Hostile bodies and misbehaving upstreams got 500s, bogus
 * statuses, "[object Object]" codes, relayed garbage and negative costs. Each case: a clean error in
 * the client's dialect with the right status, and a meter record that makes sense.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { openaiCompatible, type UsageRecord } from '../../index.js';
import { definePlugin } from '../../core/plugin.js';
import { startHostileUpstream, type HostileUpstream } from '../emulators/hostile.js';
import { eventually, startGateway, type TestGateway } from '../helpers/gateway.js';

let emu: HostileUpstream;
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

before(async () => {
  emu = await startHostileUpstream();
  t = await startGateway({
    providers: [openaiCompatible({ name: 'emu', baseURL: emu.url, apiKey: 'k' })],
    cache: {},
    failover: false,
    catalog: { models: { 'emu/negative-usage': { prices: { input: 1, output: 2 } } } },
    plugins: [collect()],
  });
});

after(async () => {
  await t.close();
  await emu.close();
});

const ask = (model: string, extra: Record<string, unknown> = {}) =>
  t.client.chat.completions.create({
    model,
    messages: [{ role: 'user', content: 'echo: hello there' }],
    ...extra,
  } as never);
const failure = (p: Promise<unknown>) =>
  p.then(
    () => assert.fail('expected an error'),
    (e) => e,
  );
const recordOf = async (model: string) => {
  await eventually(() => records.some((r) => r.requestedModel === model));
  return records.filter((r) => r.requestedModel === model).at(-1)!;
};

function deep(n: number): string {
  return '['.repeat(n) + ']'.repeat(n);
}

test('a 50k-deep JSON body is a 400 in the client dialect on every ingress (not a 500)', async () => {
  const cases: Array<[string, string, (j: any) => void]> = [
    [
      '/v1/chat/completions',
      `{"model":"emu/ok","messages":[{"role":"user","content":"hi"}],"metadata":{"x":${deep(50_000)}}}`,
      (j) => assert.equal(j.error.type, 'invalid_request_error'),
    ],
    [
      '/v1/chat/completions',
      `{"model":"emu/ok","messages":[{"role":"user","content":"hi"}],"tools":${deep(50_000)}}`,
      (j) => assert.equal(j.error.type, 'invalid_request_error'),
    ],
    [
      '/v1/messages',
      `{"model":"emu/ok","max_tokens":5,"messages":[{"role":"user","content":"hi"}],"metadata":${deep(50_000)}}`,
      (j) => {
        assert.equal(j.type, 'error');
        assert.equal(j.error.type, 'invalid_request_error');
      },
    ],
    [
      '/v1/responses',
      `{"model":"emu/ok","input":"hi","metadata":${deep(50_000)}}`,
      (j) => assert.equal(j.error.type, 'invalid_request_error'),
    ],
    [
      '/v1/embeddings',
      `{"model":"emu/ok","input":${deep(50_000)}}`,
      (j) => assert.equal(j.error.type, 'invalid_request_error'),
    ],
    [
      '/v1/messages/count_tokens',
      `{"model":"emu/ok","messages":[{"role":"user","content":"hi"}],"tools":${deep(50_000)}}`,
      (j) => {
        assert.equal(j.type, 'error');
        assert.equal(j.error.type, 'invalid_request_error');
      },
    ],
  ];
  for (const [path, body, check] of cases) {
    const res = await fetch(`${t.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    const j = await res.json();
    assert.equal(res.status, 400, `${path}: ${JSON.stringify(j).slice(0, 300)}`);
    assert.match(JSON.stringify(j), /nested/, path);
    check(j);
  }
  // Nesting at the limit still works (a deep but legal tool schema).
  let schema: Record<string, unknown> = { type: 'string' };
  for (let i = 0; i < 20; i++) schema = { type: 'object', properties: { a: schema } };
  const ok = await ask('emu/ok', {
    tools: [{ type: 'function', function: { name: 'f', parameters: schema } }],
    tool_choice: 'none',
  });
  assert.ok(ok.choices.length);
});

test('an upstream `null` body is a 502 upstream_bad_response, not a 500', async () => {
  const err = await failure(ask('emu/null-body'));
  assert.ok(err instanceof OpenAI.APIError);
  assert.equal(err.status, 502);
  assert.equal((err.error as any).code, 'upstream_bad_response');
  const emb = await failure(t.client.embeddings.create({ model: 'emu/null-body', input: 'x' }));
  assert.equal(emb.status, 502);
  assert.equal((emb.error as any).code, 'upstream_bad_response');
});

test('`data: null` in a stream is a malformed event, not a lost connection', async () => {
  const stream = (await ask('emu/data-null', { stream: true })) as unknown as AsyncIterable<OpenAI.ChatCompletionChunk>;
  let text = '';
  const err = await (async () => {
    for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
  })().then(
    () => undefined,
    (e) => e,
  );
  assert.equal(text, 'one ');
  assert.ok(err instanceof OpenAI.APIError, String(err));
  assert.match(err.message, /malformed/);
  assert.doesNotMatch(err.message, /connection/);
  const rec = await recordOf('emu/data-null');
  assert.equal(rec.status, 502);
  assert.equal(rec.errorCode, 'upstream_bad_response');
});

test('an upstream status outside 400-599 (600, 999) becomes 502', async () => {
  for (const s of [600, 999]) {
    const err = await failure(ask(`emu/status-${s}`));
    assert.ok(err instanceof OpenAI.APIError);
    assert.equal(err.status, 502, `status ${s}`);
    const rec = await recordOf(`emu/status-${s}`);
    assert.equal(rec.status, 502);
  }
  const anth = new Anthropic({ baseURL: t.url, apiKey: 'x', maxRetries: 0 });
  const aerr = await failure(
    anth.messages.create({ model: 'emu/status-999', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }),
  );
  assert.equal(aerr.status, 502);
  assert.equal(aerr.error.type, 'error');
});

test('a nested upstream error `code` is dropped, never "[object Object]"', async () => {
  const err = await failure(ask('emu/nested-code'));
  assert.equal(err.status, 400);
  assert.equal(err.message.includes('[object Object]'), false);
  assert.equal((err.error as any).code, null);
  assert.equal((err.error as any).message, 'Bad thing.');
});

test('`choices: "nope"` is a 502, plain and streamed', async () => {
  const err = await failure(ask('emu/choices-nope'));
  assert.equal(err.status, 502);
  assert.equal((err.error as any).code, 'upstream_bad_response');
  const serr = await failure(ask('emu/stream-choices-nope', { stream: true }));
  assert.equal(serr.status, 502, 'a malformed first chunk fails the attempt before the stream starts');
  assert.equal((serr.error as any).code, 'upstream_bad_response');
});

test('negative upstream usage never gives a negative cost or token count', async () => {
  const res = await ask('emu/negative-usage');
  assert.ok(res.choices.length);
  const rec = await recordOf('emu/negative-usage');
  assert.equal(rec.promptTokens, 0);
  assert.equal(rec.completionTokens, 0);
  assert.equal(rec.totalTokens, 0);
  assert.equal(rec.costUsd, 0);
  const s = (await ask('emu/negative-usage', {
    stream: true,
    stream_options: { include_usage: true },
    messages: [{ role: 'user', content: 'echo: streamed' }],
  })) as unknown as AsyncIterable<OpenAI.ChatCompletionChunk>;
  for await (const _ of s) {
    /* drain */
  }
  await eventually(() => records.filter((r) => r.requestedModel === 'emu/negative-usage').length === 2);
  const srec = records.filter((r) => r.requestedModel === 'emu/negative-usage')[1];
  assert.ok(srec.costUsd !== undefined && srec.costUsd >= 0, `cost ${srec.costUsd}`);
  assert.ok(srec.promptTokens >= 0 && srec.completionTokens >= 0);
});

test('jsonNestsDeeperThan: brackets in strings and escaped quotes do not count; the limit is exact', async () => {
  const { jsonNestsDeeperThan } = await import('../../core/json-depth.js');
  const nest = (n: number) => JSON.stringify(Array.from({ length: n }).reduce<unknown>((acc) => ({ a: acc }), 1));
  assert.equal(jsonNestsDeeperThan(nest(10), 10), false);
  assert.equal(jsonNestsDeeperThan(nest(11), 10), true);
  assert.equal(jsonNestsDeeperThan(JSON.stringify({ s: '[[[[[[[[[[[[{{{{{{{{' }), 3), false);
  assert.equal(jsonNestsDeeperThan(JSON.stringify({ s: 'a\\"[[[[\\\\', t: '"[[[[' }), 2), false);
  assert.equal(
    jsonNestsDeeperThan(`{"s":"\\\\"}${'['.repeat(5)}`, 4),
    true,
    'an escaped backslash ends the string before the quote',
  );
});

test('a 10 MB body of brackets is refused before JSON.parse sees it (parsing it cost ~8 s of CPU)', async () => {
  const body = `{"model":"emu/ok","messages":[],"x":${deep(4_000_000)}}`;
  const original = JSON.parse;
  let parsedBig = 0;
  JSON.parse = ((text: string, reviver?: never) => {
    if (typeof text === 'string' && text.length > 1_000_000) parsedBig++;
    return original(text, reviver);
  }) as typeof JSON.parse;
  try {
    const res = await fetch(`${t.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    assert.equal(res.status, 400);
    assert.match((await res.json()).error.message, /nested deeper than 128 levels/);
  } finally {
    JSON.parse = original;
  }
  assert.equal(parsedBig, 0);
});
