/**
 * The output transforms apply to every delivery, and the native routes honour them:
 * - transformStream wraps streamed answers, upstream and cache replays alike;
 * - transformResponse runs on non-streamed cache hits, and the cache keeps the provider's answer;
 * - /v1/responses to a native upstream and the Anthropic passthrough go canonical when a transform
 *   rewrote the request or works on answers.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { anthropic, definePlugin, openai, openaiCompatible, type ChatCompletionChunk } from '../../index.js';
import { startAnthropicEmulator, type AnthropicEmulator } from '../emulators/anthropic.js';
import { startOpenAIEmulator, type OpenAIEmulator } from '../emulators/openai.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

/**
 * Appends the caller's x-suffix header to every non-streamed answer, in place: per-caller output
 * (as PII restoration is), so a hit must be transformed for its own caller, never replayed as stored.
 */
const suffix = definePlugin({
  name: 'suffix',
  apply(gw) {
    gw.hooks.transformResponse.tap('suffix', (res, ctx) => {
      res.choices[0].message.content = `${res.choices[0].message.content} ${String(ctx.headers['x-suffix'])}`;
      return res;
    });
  },
});

/** Upper-cases streamed text through the stream hook, and counts the streams it wrapped. */
let wrapped = 0;
const shoutStream = definePlugin({
  name: 'shout-stream',
  apply(gw) {
    gw.hooks.transformStream.tap('shout-stream', (chunks) => {
      wrapped++;
      return (async function* (): AsyncGenerator<ChatCompletionChunk> {
        for await (const c of chunks) {
          const choices = c.choices.map((ch) => ({ ...ch, delta: { ...ch.delta } }));
          for (const ch of choices) if (ch.delta.content) ch.delta.content = ch.delta.content.toUpperCase();
          yield { ...c, choices };
        }
      })();
    });
  },
});

/** Rewrites the last user turn (what a masking plugin does). */
const rewrite = definePlugin({
  name: 'rewrite',
  apply(gw) {
    gw.hooks.transformRequest.tap('rewrite', (req) => ({
      ...req,
      messages: req.messages.map((m) => (m.role === 'user' ? { ...m, content: 'echo: rewritten' } : m)),
    }));
  },
});

let oai: OpenAIEmulator;
let chatOnly: OpenAIEmulator;
let anth: AnthropicEmulator;
let cached: TestGateway;
let native: TestGateway;

before(async () => {
  [oai, anth, chatOnly] = await Promise.all([startOpenAIEmulator(), startAnthropicEmulator(), startOpenAIEmulator()]);
  cached = await startGateway({
    providers: [openai({ apiKey: 'test-key', baseURL: oai.url }), anthropic({ apiKey: 'test-key', baseURL: anth.url })],
    cache: { ttlSeconds: 60 },
    plugins: [suffix(), shoutStream()],
  });
  // One provider with the Responses API on: its chat endpoint is the chat emulator (which has no
  // /responses, so a native call would fail), its built-in tools would need the native route.
  native = await startGateway({
    providers: [openaiCompatible({ name: 'openai', apiKey: 'test-key', baseURL: chatOnly.url, responsesApi: true })],
    plugins: [rewrite()],
  });
});
after(async () => {
  await cached.close();
  await native.close();
  await Promise.all([oai.close(), anth.close(), chatOnly.close()]);
});

test('transformResponse runs on a cache hit too, and the cache keeps the provider answer', async () => {
  const ask = (who: string) =>
    cached.client.chat.completions
      .create(
        { model: 'gpt-4o', messages: [{ role: 'user', content: 'echo: cached words' }] },
        { headers: { 'x-suffix': who } },
      )
      .withResponse();
  const first = await ask('alice');
  assert.equal(first.data.choices[0].message.content, 'cached words alice');
  assert.equal(first.response.headers.get('x-switchyard-cache'), 'miss');
  let second = await ask('bob');
  // stored in the background: ask until it is there
  for (let i = 0; i < 100 && second.response.headers.get('x-switchyard-cache') !== 'hit'; i++) {
    second = await ask('bob');
  }
  assert.equal(second.response.headers.get('x-switchyard-cache'), 'hit');
  const content = second.data.choices[0].message.content;
  assert.equal(content, 'cached words bob', 'the hit is transformed for its own caller, once');
});

test('transformStream wraps upstream streams and cache replays', async () => {
  const before = wrapped;
  const read = async () => {
    const stream = await cached.client.chat.completions
      .create({
        model: 'gpt-4o',
        stream: true,
        messages: [{ role: 'user', content: 'echo: quiet stream' }],
      })
      .withResponse();
    let text = '';
    for await (const c of stream.data) text += c.choices[0]?.delta.content ?? '';
    return { text, cache: stream.response.headers.get('x-switchyard-cache') };
  };
  const first = await read();
  assert.deepEqual(first, { text: 'QUIET STREAM', cache: 'miss' });
  let again = await read();
  for (let i = 0; i < 100 && again.cache !== 'hit'; i++) again = await read();
  assert.deepEqual(again, { text: 'QUIET STREAM', cache: 'hit' });
  assert.ok(wrapped - before >= 2);
});

test('Anthropic ingress: a transformStream tap turns the raw passthrough off, so its work shows', async () => {
  const client = new Anthropic({ baseURL: cached.url, apiKey: 'unused', maxRetries: 0 });
  const stream = client.messages.stream({
    model: 'anthropic/claude-haiku-4-5',
    max_tokens: 100,
    messages: [{ role: 'user', content: 'echo: loud please' }],
  });
  let text = '';
  for await (const ev of stream) {
    if (ev.type === 'content_block_delta' && ev.delta.type === 'text_delta') text += ev.delta.text;
  }
  assert.equal(text, 'LOUD PLEASE');
  assert.equal((await stream.finalMessage()).stop_reason, 'end_turn');
});

test('/v1/responses: a native-capable upstream gets the rewritten request, not the client body', async () => {
  const res = await native.client.responses.create({ model: 'openai/gpt-4o', input: 'echo: original words' });
  assert.equal(res.output_text, 'rewritten');
  const up = chatOnly.requests[chatOnly.requests.length - 1];
  assert.equal(up.path, '/v1/chat/completions');
  assert.ok(!JSON.stringify(up.body).includes('original words'), 'the client text never went upstream');
  let text = '';
  for await (const ev of native.client.responses.stream({ model: 'openai/gpt-4o', input: 'echo: original stream' })) {
    if (ev.type === 'response.output_text.delta') text += ev.delta;
  }
  assert.equal(text, 'rewritten');
  assert.ok(!JSON.stringify(chatOnly.requests[chatOnly.requests.length - 1].body).includes('original stream'));
});

test('/v1/responses: built-in tools say why the native route is off', async () => {
  const tools = [{ type: 'web_search_preview' as const }];
  const withTool = native.client.responses.create({ model: 'openai/gpt-4o', input: 'hi', tools });
  await assert.rejects(withTool, (e: any) => {
    assert.equal(e.status, 400);
    assert.equal(e.code, 'unsupported_tool');
    assert.match(e.message, /transforms requests or answers/);
    return true;
  });
});
