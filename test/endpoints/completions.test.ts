/** POST /v1/completions through the gateway with the official SDK: native upstream, chat translation, governance. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type OpenAI from 'openai';
import type { Plugin } from '../../index.js';
import { POOR_KEY, RPM_KEY, failure, ledgerByModel, startEnv, type Env } from './helpers.js';

const CANARY = 'zqxcompletioncanary';
let env: Env;

before(async () => {
  env = await startEnv();
});
after(async () => {
  await env.close();
});

test('a native completions upstream gets the body as sent; the answer is relayed, metered and priced', async () => {
  const { data, response } = await env
    .client()
    .completions.create({
      model: 'gpt-3.5-turbo-instruct',
      prompt: `Say this is a test ${CANARY}`,
      max_tokens: 5,
      logprobs: 2,
    })
    .withResponse();
  assert.equal(data.object, 'text_completion');
  assert.equal(data.choices[0].text, 'once upon a time there');
  assert.equal(data.choices[0].finish_reason, 'length');
  assert.ok(data.choices[0].logprobs, 'logprobs relayed from the native answer');
  assert.equal(response.headers.get('x-switchyard-provider'), 'openai');
  const up = env.emu.requests.at(-1)!;
  assert.equal(up.path, '/v1/completions');
  assert.equal(up.body.logprobs, 2);
  assert.equal(up.body.max_tokens, 5);
  const rec = await env.record(response.headers.get('x-request-id')!);
  assert.equal(rec.dialect, 'completions');
  assert.equal(rec.status, 200);
  assert.equal(rec.completionTokens, 5);
  // gpt-3.5-turbo-instruct: $1.50 in, $2.00 out per 1M tokens
  assert.equal(rec.costUsd, (rec.promptTokens * 1.5 + 5 * 2) / 1e6);
});

test('streamed from a native upstream: text chunks, usage when asked, [DONE]', async () => {
  const stream = await env.client().completions.create({
    model: 'gpt-3.5-turbo-instruct',
    prompt: 'Tell a story',
    max_tokens: 4,
    stream: true,
    stream_options: { include_usage: true },
  });
  let text = '';
  let usage: OpenAI.CompletionUsage | undefined;
  let finish: string | null = null;
  for await (const c of stream) {
    text += c.choices[0]?.text ?? '';
    finish = c.choices[0]?.finish_reason ?? finish;
    if (c.usage) usage = c.usage;
  }
  assert.equal(text, 'once upon a time');
  assert.equal(finish, 'length');
  assert.equal(usage?.completion_tokens, 4);
  assert.equal(env.emu.requests.at(-1)!.body.stream, true);
});

test('a chat-only provider serves a prompt string through chat, plain and streamed', async () => {
  const { data, response } = await env
    .client()
    .completions.create({ model: 'mock-small', prompt: 'echo: hello there' })
    .withResponse();
  assert.equal(data.object, 'text_completion');
  assert.match(data.id, /^cmpl-/);
  assert.equal(data.choices[0].text, 'hello there');
  assert.ok(data.usage!.total_tokens > 0);
  assert.equal(response.headers.get('x-switchyard-provider'), 'mock');
  const stream = await env
    .client()
    .completions.create({ model: 'mock-small', prompt: 'echo: one two three', stream: true });
  let text = '';
  for await (const c of stream) {
    assert.equal(c.object, 'text_completion');
    text += c.choices[0]?.text ?? '';
  }
  assert.equal(text, 'one two three');
});

test('fields chat cannot honour are refused for a chat-only provider with a clear 400', async () => {
  for (const extra of [{ suffix: 'end' }, { echo: true }, { logprobs: 1 }, { best_of: 2 }]) {
    const r = await failure(env.client().completions.create({ model: 'mock-small', prompt: 'hi', ...extra }));
    assert.equal(r.status, 400);
    assert.equal(r.error.type, 'invalid_request_error');
    assert.match(r.error.message, /no native text completions/);
    assert.equal(r.error.param, Object.keys(extra)[0]);
  }
  const tokens = await failure(env.client().completions.create({ model: 'mock-small', prompt: [1, 2, 3] }));
  assert.equal(tokens.status, 400);
  assert.equal(tokens.error.param, 'prompt');
  // the native upstream takes them
  const ok = await env
    .client()
    .completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: [[1, 2, 3]], echo: true });
  assert.equal(ok.object, 'text_completion');
});

test('bad input -> 400 in OpenAI format; no key -> 401', async () => {
  // @ts-expect-error deliberately invalid
  const bad = await failure(env.client().completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 42 }));
  assert.equal(bad.status, 400);
  assert.equal(bad.error.param, 'prompt');
  const res = await fetch(`${env.t.url}/v1/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-3.5-turbo-instruct', prompt: 'x' }),
  });
  assert.equal(res.status, 401);
  assert.equal((await res.json()).error.code, 'missing_api_key');
});

test('governance: a budget that cannot hold the estimate refuses; a rate limit refuses the second call', async () => {
  const complete = (key: string) =>
    env.client(key).completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'hi' });
  const poor = await failure(complete(POOR_KEY));
  assert.equal(poor.status, 429);
  assert.equal(poor.error.code, 'insufficient_quota');
  await complete(RPM_KEY).catch(() => undefined);
  const limited = await failure(complete(RPM_KEY));
  assert.equal(limited.status, 429);
  assert.equal(limited.error.code, 'rate_limit_exceeded');
});

test('the ledger has the requests with their cost; the canary prompt is in no log line nor in the ledger', async () => {
  const byModel = await ledgerByModel(env, 'app', 1);
  assert.ok(byModel['gpt-3.5-turbo-instruct'].costUsd > 0);
  assert.ok(!env.t.logs.join('\n').includes(CANARY));
  assert.ok(!JSON.stringify(await env.admin('/admin/usage?key=app&group_by=model,status')).includes(CANARY));
});

test('with the cache on: plain prompts are cached, requests with native-only fields bypass it', async () => {
  const cached = await startEnv({}, { cache: { ttlSeconds: 60 } });
  try {
    const c = cached.client();
    const ask = (extra: Record<string, unknown> = {}) =>
      c.completions
        .create({ model: 'gpt-3.5-turbo-instruct', prompt: 'cache me', max_tokens: 3, ...extra })
        .withResponse();
    await ask();
    let hit = await ask();
    // The store happens after the first answer: ask until it is served from the cache.
    for (let i = 0; i < 100 && hit.response.headers.get('x-switchyard-cache') !== 'hit'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      hit = await ask();
    }
    assert.equal(hit.response.headers.get('x-switchyard-cache'), 'hit');
    assert.equal(hit.data.object, 'text_completion');
    assert.equal(hit.data.choices[0].text, 'once upon a');
    const withLogprobs = await ask({ logprobs: 1 });
    assert.equal(withLogprobs.response.headers.get('x-switchyard-cache'), 'bypass');
    assert.ok(withLogprobs.data.choices[0].logprobs);
  } finally {
    await cached.close();
  }
});

test('transform plugins: the upstream gets the rewritten prompt, the answer comes after the transforms', async () => {
  const masking: Plugin = {
    name: 'masking',
    apply(gw) {
      gw.hooks.transformRequest.tap('masking', (req) => ({
        ...req,
        messages: req.messages.map((m) => ({ ...m, content: String(m.content).replace(/secret-\w+/g, '[x]') })),
      }));
      gw.hooks.transformResponse.tap('masking', (res) => ({
        ...res,
        choices: res.choices.map((c) => ({ ...c, message: { ...c.message, content: `${c.message.content}!` } })),
      }));
    },
  };
  const masked = await startEnv({}, { plugins: [masking] });
  try {
    const r = await masked
      .client()
      .completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'tell secret-abc', max_tokens: 2 });
    assert.equal(masked.emu.requests.at(-1)!.path, '/v1/completions');
    assert.equal(masked.emu.requests.at(-1)!.body.prompt, 'tell [x]');
    assert.equal(r.object, 'text_completion');
    assert.equal(r.choices[0].text, 'once upon!');
    const refused = await failure(
      masked.client().completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'hi', logprobs: 1 }),
    );
    assert.equal(refused.status, 400);
    assert.match(refused.error.message, /cannot be relayed/);
  } finally {
    await masked.close();
  }
});
