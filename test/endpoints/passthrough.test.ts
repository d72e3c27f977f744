/**
 * /passthrough/{provider}/{path}: the provider's key injected from config, the gateway's key for the
 * client, the base URL from config (SSRF attempts refused before any upstream call), allow-lists,
 * budgets (estimate held), rate limits, usage metered from known formats, streams relayed as they come.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { eventually } from '../helpers/gateway.js';
import { KEYS, rawRequest, startForwardEnv, type ForwardEnv } from './forward-env.js';

let env: ForwardEnv;
before(async () => {
  env = await startForwardEnv();
});
after(async () => {
  await env?.close();
});

const CANARY = 'zqxpassthroughcanary';
const auth = (key: string) => ({ authorization: `Bearer ${key}` });

async function pass(path: string, init: RequestInit & { key?: string } = {}) {
  const { key = KEYS.a, ...rest } = init;
  return fetch(`${env.t.url}/passthrough/${path}`, {
    ...rest,
    headers: { ...auth(key), ...(rest.headers as Record<string, string>) },
  });
}

const recordOf = (id: string | null) => env.records.find((r) => r.requestId === id);
/** The usage chunk of an SSE chat completion stream. */
const streamUsage = (sse: string) =>
  sse
    .split('\n')
    .filter((l) => l.startsWith('data: {'))
    .map((l) => JSON.parse(l.slice(6)))
    .find((c) => c.usage)?.usage;
/** Requests seen by every upstream of the environment. */
const upstreamCount = () =>
  env.emu.requests.length + env.anth.requests.length + env.azure.requests.length + env.cohere.requests.length;

test('OpenAI: the provider key replaces the client key; client credentials and cookies never go upstream', async () => {
  const before = env.emu.requests.length;
  const res = await pass('openai/chat/completions', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      cookie: 'session=zzz',
      'x-api-key': 'client-x-key',
      'openai-beta': 'assistants=v2',
    },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: CANARY }] }),
  });
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.ok(body.usage.prompt_tokens > 0 && body.usage.completion_tokens > 0);
  assert.equal(res.headers.get('x-switchyard-provider'), 'openai');
  assert.equal(res.headers.get('set-cookie'), null, 'upstream cookies are not relayed');
  const up = env.emu.requests[before];
  assert.equal(up.path, '/v1/chat/completions');
  assert.equal(up.headers.authorization, 'Bearer test-key');
  assert.equal(up.headers['x-api-key'], undefined);
  assert.equal(up.headers.cookie, undefined);
  assert.equal(up.headers['openai-beta'], 'assistants=v2');
  const id = res.headers.get('x-request-id');
  await eventually(() => Boolean(recordOf(id)));
  const r = recordOf(id)!;
  assert.equal(r.operation, 'passthrough');
  assert.equal(r.principalId, 'key-a');
  assert.equal(r.model, 'gpt-4o-mini');
  assert.equal(r.promptTokens, body.usage.prompt_tokens);
  assert.equal(r.completionTokens, body.usage.completion_tokens);
  assert.ok((r.costUsd ?? 0) > 0 && r.costUsd !== 0.01, 'priced from the usage at catalog prices');
});

test('no usage format: zero tokens at the configured estimate; query strings pass', async () => {
  const res = await pass('openai/fine_tuning/jobs?limit=2&after=ftjob-1');
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { object: 'list', data: [], has_more: false });
  assert.equal(env.emu.requests.at(-1)!.path, '/v1/fine_tuning/jobs?limit=2&after=ftjob-1');
  const id = res.headers.get('x-request-id');
  await eventually(() => Boolean(recordOf(id)));
  const r = recordOf(id)!;
  assert.equal(r.totalTokens, 0);
  assert.equal(r.costUsd, 0.01);
  assert.equal(r.status, 200);
});

test('streams are relayed as they arrive, and their usage is metered', async () => {
  const res = await pass('openai/chat/completions', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'held-stream',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'echo: one two three four' }],
    }),
  });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /event-stream/);
  const reader = res.body!.getReader();
  const first = await reader.read();
  let rest = Buffer.from(first.value!).toString('utf8');
  assert.match(rest, /chat\.completion\.chunk/, 'the first event arrived while the upstream still held the stream');
  env.emu.release();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    rest += Buffer.from(value).toString('utf8');
  }
  assert.match(rest, /\[DONE\]/);
  const id = res.headers.get('x-request-id');
  await eventually(() => Boolean(recordOf(id)));
  assert.equal(recordOf(id)!.totalTokens, streamUsage(rest).total_tokens);
});

test('a streamed chat completion through passthrough keeps its SSE and meters the usage chunk', async () => {
  const res = await pass('openai/chat/completions', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'gpt-4o-mini',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'hi' }],
    }),
  });
  const text = await res.text();
  assert.match(text, /data: \[DONE\]/);
  const id = res.headers.get('x-request-id');
  await eventually(() => Boolean(recordOf(id)));
  assert.equal(recordOf(id)!.stream, true);
  assert.equal(recordOf(id)!.promptTokens, streamUsage(text).prompt_tokens);
});

test('Anthropic: x-api-key and anthropic-version from config, usage metered, errors in Anthropic format', async () => {
  const before = env.anth.requests.length;
  const res = await pass('anthropic/v1/messages', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'anthropic-beta': 'tools-2024-04-04' },
    body: JSON.stringify({
      model: 'claude-3-5-haiku-latest',
      max_tokens: 32,
      messages: [{ role: 'user', content: 'echo: hi' }],
    }),
  });
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.type, 'message');
  const up = env.anth.requests[before];
  assert.equal(up.headers['x-api-key'], 'test-key');
  assert.equal(up.headers['anthropic-version'], '2023-06-01');
  assert.equal(up.headers['anthropic-beta'], 'tools-2024-04-04');
  assert.equal(up.headers.authorization, undefined);
  const id = res.headers.get('x-request-id');
  await eventually(() => Boolean(recordOf(id)));
  assert.equal(recordOf(id)!.promptTokens, body.usage.input_tokens);
  assert.equal(recordOf(id)!.completionTokens, body.usage.output_tokens);

  const denied = await pass('anthropic/v1/messages', {
    key: 'sk-unknown-key',
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  assert.equal(denied.status, 401);
  assert.equal((await denied.json()).type, 'error', 'Anthropic error shape');
});

test('Azure: api-key header and the configured api-version', async () => {
  const res = await pass('azure-openai/deployments/mini/chat/completions', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
  });
  assert.equal(res.status, 200);
  const up = env.azure.requests.at(-1)!;
  assert.equal(up.path, '/openai/deployments/mini/chat/completions?api-version=2024-10-21');
  assert.equal(up.headers['api-key'], 'test-key');
  assert.equal(up.headers.authorization, undefined);
});

test('Cohere: rerank (not modelled yet) through passthrough, with the Bearer key from config', async () => {
  const res = await pass('cohere/v2/rerank', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'rerank-v3.5', query: 'q', documents: ['a', 'b'] }),
  });
  assert.equal(res.status, 200);
  assert.equal((await res.json()).results.length, 2);
  const up = env.cohere.requests.at(-1)!;
  assert.equal(up.path, '/v2/rerank');
  assert.equal(up.headers.authorization, 'Bearer test-key');
  const id = res.headers.get('x-request-id');
  await eventually(() => Boolean(recordOf(id)));
  assert.equal(recordOf(id)!.model, 'rerank-v3.5');
  assert.equal(recordOf(id)!.costUsd, 0.01, 'no usage format: the configured estimate');
});

test('unauthenticated requests get 401 and never reach the upstream', async () => {
  const before = env.emu.requests.length;
  const res = await fetch(`${env.t.url}/passthrough/openai/fine_tuning/jobs`);
  assert.equal(res.status, 401);
  assert.equal((await res.json()).error.code, 'missing_api_key');
  const wrong = await pass('openai/fine_tuning/jobs', { key: 'sk-not-a-key' });
  assert.equal(wrong.status, 401);
  assert.equal(env.emu.requests.length, before);
});

test('SSRF: traversal, encoded tricks, absolute URLs, unknown providers: refused before upstream', async () => {
  const before = upstreamCount();
  const attempts = [
    '/passthrough/openai/../../admin/keys',
    '/passthrough/openai/files/../../../etc/passwd',
    '/passthrough/openai/%2e%2e/%2e%2e/x',
    '/passthrough/openai/%2E%2E/x',
    '/passthrough/openai/%252e%252e/x',
    '/passthrough/openai/a%2fb',
    '/passthrough/openai/a%5c..%5cb',
    '/passthrough/openai//evil.example/x',
    '/passthrough/openai/http://evil.example/x',
    '/passthrough/openai/https:%2f%2fevil.example/x',
    '/passthrough/openai/./files',
    '/passthrough/openai/files%00',
    '/passthrough/openai/a\\b',
    '/passthrough/openai/',
    '/passthrough/evil.example/x',
    '/passthrough/mock/x',
  ];
  for (const path of attempts) {
    const res = await rawRequest(env.t.url, path, auth(KEYS.a));
    assert.ok(res.status === 400 || res.status === 404, `${path}: ${res.status} ${res.text}`);
    assert.doesNotMatch(res.text, /echo/, `${path} reached no upstream`);
  }
  assert.equal(upstreamCount(), before, 'no upstream saw any of them');
});

test('files and batches are not passed through (ownership lives on /v1/files, /v1/batches)', async () => {
  const before = upstreamCount();
  for (const path of [
    'openai/files',
    'openai/files/file-1/content',
    'openai/batches/batch_1',
    'anthropic/v1/messages/batches',
    'azure-openai/files',
    'azure-openai/v1/batches',
    'openai/uploads',
  ]) {
    const res = await pass(path);
    assert.equal(res.status, 403, path);
    const body = await res.json();
    assert.equal(
      body.error.code ?? body.error.type,
      path.startsWith('anthropic') ? 'permission_error' : 'passthrough_path_forbidden',
    );
  }
  assert.equal(upstreamCount(), before);
});

test('allow-lists: a key limited to anthropic/* cannot reach OpenAI, can reach Anthropic', async () => {
  const res = await pass('openai/chat/completions', {
    key: KEYS.anthropicOnly,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini' }),
  });
  assert.equal(res.status, 403);
  assert.equal((await res.json()).error.code, 'model_not_allowed');
  const noModel = await pass('openai/fine_tuning/jobs', { key: KEYS.anthropicOnly });
  assert.equal(noModel.status, 403);
  const ok = await pass('anthropic/v1/messages', {
    key: KEYS.anthropicOnly,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'claude-3-5-haiku-latest',
      max_tokens: 8,
      messages: [{ role: 'user', content: 'hi' }],
    }),
  });
  assert.equal(ok.status, 200);
});

test('budgets: the estimate is held; a key that cannot cover it gets 429 insufficient_quota', async () => {
  const before = env.emu.requests.length;
  const res = await pass('openai/fine_tuning/jobs', { key: KEYS.poor });
  assert.equal(res.status, 429);
  assert.equal((await res.json()).error.code, 'insufficient_quota');
  assert.equal(env.emu.requests.length, before);
});

test('rate limits apply: the third request in a minute is refused with 429', async () => {
  const statuses: number[] = [];
  for (let i = 0; i < 3; i++) statuses.push((await pass('openai/fine_tuning/jobs', { key: KEYS.slow })).status);
  assert.deepEqual(statuses, [200, 200, 429]);
});

test('a non-JSON body is streamed upstream byte for byte; a declared size past maxBodyBytes is refused', async () => {
  const form = new FormData();
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  form.append('image', new Blob([png, Buffer.alloc(70_000, 7)]), 'image.png');
  form.append('prompt', 'a cat');
  const res = await pass('openai/images/edits', { method: 'POST', body: form });
  assert.equal(res.status, 200);
  const up = env.emu.requests.at(-1)!;
  assert.match(String(up.headers['content-type']), /^multipart\/form-data; boundary=/);
  assert.ok(up.raw.includes(Buffer.concat([png, Buffer.alloc(70_000, 7)])), 'the upload arrived whole');
  const big = await rawRequest(
    env.t.url,
    '/passthrough/openai/audio/transcriptions',
    { ...auth(KEYS.a), 'content-type': 'application/octet-stream', 'content-length': String(1024 * 1024 + 1) },
    'POST',
  );
  assert.equal(big.status, 413);
});

test('bad JSON is refused in the OpenAI dialect; unsupported methods too', async () => {
  const bad = await pass('openai/chat/completions', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{nope',
  });
  assert.equal(bad.status, 400);
  assert.equal((await bad.json()).error.code, 'invalid_json');
  const options = await rawRequest(env.t.url, '/passthrough/openai/fine_tuning/jobs', { ...auth(KEYS.a) }, 'OPTIONS');
  assert.equal(options.status, 405);
});

test('a body model that breaks the model-name rule is a 400, metered as provider/*, never sent upstream', async () => {
  const before = upstreamCount();
  for (const model of ['m'.repeat(5000), 'gpt\u0000x', 'a model']) {
    const res = await pass('openai/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
    });
    assert.equal(res.status, 400);
    const body = await res.json();
    assert.equal(body.error.param, 'model');
    const id = res.headers.get('x-request-id');
    await eventually(() => recordOf(id) !== undefined);
    assert.equal(recordOf(id)?.requestedModel, 'openai/*');
    assert.equal(recordOf(id)?.status, 400);
  }
  assert.equal(upstreamCount(), before);
});

test('canary content and keys are absent from logs and the ledger', async () => {
  await env.t.gw.close();
  const files = [env.dbPath, `${env.dbPath}-wal`].filter(existsSync);
  const ledger = Buffer.concat(files.map((f) => readFileSync(f)));
  const logs = env.t.logs.join('');
  assert.ok(ledger.includes('passthrough'), 'the ledger holds the passthrough records');
  for (const secret of [CANARY, KEYS.a, 'test-key', 'client-x-key', 'session=zzz']) {
    assert.ok(!logs.includes(secret), `logs hold no ${secret}`);
    assert.ok(!ledger.includes(secret), `ledger holds no ${secret}`);
  }
});
