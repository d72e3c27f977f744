/**
 * Defect 10 (issue 14): the gateway relayed an upstream answer of any size (300 MB: RSS 1.7 GB). Now
 * `upstream.maxResponseBytes` (default 32 MiB) caps a whole JSON answer and each event of a stream;
 * past it the attempt fails with 502 upstream_response_too_large, in the client's dialect, and
 * failover may try the next target.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { ConfigError, createGateway, openaiCompatible, type UsageRecord } from '../../index.js';
import { definePlugin } from '../../core/plugin.js';
import { startHostileUpstream, type HostileUpstream } from '../emulators/hostile.js';
import { eventually, startGateway, type TestGateway } from '../helpers/gateway.js';

const LIMIT = 1024 * 1024;
let emu: HostileUpstream;
let t: TestGateway;
let dflt: TestGateway; // the default limit
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
  const providers = [openaiCompatible({ name: 'emu', baseURL: emu.url, apiKey: 'k' })];
  t = await startGateway({
    providers,
    upstream: { maxResponseBytes: LIMIT },
    failover: { retries: 0, backoffMs: 1 },
    plugins: [collect()],
  });
  dflt = await startGateway({ providers });
});

after(async () => {
  await t.close();
  await dflt.close();
  await emu.close();
});

const ask = (client: OpenAI, model: string, extra: Record<string, unknown> = {}) =>
  client.chat.completions.create({ model, messages: [{ role: 'user', content: 'echo: hello' }], ...extra } as never);

test(
  'a JSON answer past maxResponseBytes is a 502 in OpenAI shape, ' + 'and the upstream body is not read to its end',
  async () => {
    const err = await ask(t.client, `emu/big-json-${40 * 1024 * 1024}`).then(
      () => undefined,
      (e) => e,
    );
    assert.ok(err instanceof OpenAI.APIError, String(err));
    assert.equal(err.status, 502);
    assert.equal((err.error as { code?: string }).code, 'upstream_response_too_large');
    assert.match(err.message, /larger than the limit of 1048576 bytes/);
    await eventually(() => emu.cut.includes(`big-json-${40 * 1024 * 1024}`), 5000);
    const rec = records.find((r) => r.requestedModel === `emu/big-json-${40 * 1024 * 1024}`);
    assert.equal(rec?.status, 502);
  },
);

test('a too-large answer is failover-able: the `models` fallback answers', async () => {
  const res = await ask(t.client, `emu/big-json-${2 * LIMIT}`, { models: ['emu/fine'] });
  assert.match(res.choices[0].message.content ?? '', /hello/);
  assert.equal(res.model, 'fine');
});

test('Anthropic clients get the same refusal in Anthropic shape', async () => {
  const client = new Anthropic({ baseURL: t.url, apiKey: 'unused', maxRetries: 0 });
  const err = await client.messages
    .create({ model: `emu/big-json-${2 * LIMIT}`, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] })
    .then(
      () => undefined,
      (e) => e,
    );
  assert.ok(err instanceof Anthropic.APIError, String(err));
  assert.equal(err.status, 502);
  const body = err.error as { type: string; error: { type: string; message: string } };
  assert.equal(body.type, 'error');
  assert.equal(body.error.type, 'api_error');
  assert.match(body.error.message, /larger than the limit/);
});

test('the default limit (32 MiB) refuses a declared 300 MB answer before reading it', async () => {
  const err = await ask(dflt.client, 'emu/big-declared').then(
    () => undefined,
    (e) => e,
  );
  assert.ok(err instanceof OpenAI.APIError, String(err));
  assert.equal(err.status, 502);
  assert.match(err.message, /larger than the limit of 33554432 bytes/);
});

test('a stream whose first event is too large fails over before the first byte', async () => {
  const stream = (await ask(t.client, `emu/big-event-${2 * LIMIT}`, {
    stream: true,
    models: ['emu/fine'],
  })) as unknown as AsyncIterable<OpenAI.ChatCompletionChunk>;
  let text = '';
  for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
  assert.match(text, /hello/);
});

test('a too-large event mid-stream ends the stream with an error event (OpenAI and Anthropic shapes)', async () => {
  const stream = (await ask(t.client, `emu/late-big-event-${2 * LIMIT}`, {
    stream: true,
  })) as unknown as AsyncIterable<OpenAI.ChatCompletionChunk>;
  let text = '';
  const err = await (async () => {
    for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
  })().then(
    () => undefined,
    (e) => e,
  );
  assert.equal(text, 'first ');
  assert.ok(err instanceof OpenAI.APIError, String(err));
  assert.match(err.message, /larger than the limit/);

  const client = new Anthropic({ baseURL: t.url, apiKey: 'unused', maxRetries: 0 });
  const s = client.messages.stream({
    model: `emu/late-big-event-${2 * LIMIT}`,
    max_tokens: 10,
    messages: [{ role: 'user', content: 'hi' }],
  });
  const aerr = await s.finalMessage().then(
    () => undefined,
    (e) => e,
  );
  assert.ok(aerr instanceof Anthropic.APIError, String(aerr));
  assert.match(aerr.message, /larger than the limit/);
});

test('upstream.maxResponseBytes is validated', async () => {
  await assert.rejects(createGateway({ upstream: { maxResponseBytes: 0 } }), ConfigError);
});

test('the limit holds for calls an observer watches too (a JSON answer read through send())', async () => {
  // An upstream observer (as the otel plugin registers) used to send calls down a path that did not
  // record the client's limit, so their answers were read up to the 32 MiB default instead.
  const watcher = definePlugin({
    name: 'watcher',
    apply(gw) {
      gw.upstream.observe(() => undefined);
    },
  });
  const w = await startGateway({
    providers: [openaiCompatible({ name: 'emu', baseURL: emu.url, apiKey: 'k' })],
    upstream: { maxResponseBytes: LIMIT },
    failover: { retries: 0, backoffMs: 1 },
    plugins: [watcher()],
  });
  try {
    const model = `emu/big-json-${4 * 1024 * 1024}`;
    const err = await w.client.moderations.create({ model, input: 'x' }).then(
      () => undefined,
      (e) => e,
    );
    assert.ok(err instanceof OpenAI.APIError, String(err));
    assert.equal(err.status, 502);
    assert.equal((err.error as { code?: string }).code, 'upstream_response_too_large');
    assert.match(err.message, /larger than the limit of 1048576 bytes/);
  } finally {
    await w.close();
  }
});
