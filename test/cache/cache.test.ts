/** The exact-match cache: hits, stream replay, tenant scope and Cache-Control. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { openai } from '../../index.js';
import { startOpenAIEmulator, type OpenAIEmulator } from '../emulators/openai.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

let emu: OpenAIEmulator;
let t: TestGateway;

before(async () => {
  emu = await startOpenAIEmulator();
  t = await startGateway(
    {
      providers: [openai({ apiKey: 'test-key', baseURL: emu.url })],
      auth: {
        keys: [
          { id: 'a', key: 'key-for-team-a', project: 'team-a' },
          { id: 'b', key: 'key-for-team-b', project: 'team-b' },
        ],
      },
      cache: { ttlSeconds: 60, maxTemperature: 1 },
    },
    'key-for-team-a',
  );
});
after(async () => {
  await t.close();
  await emu.close();
});

const ask = (content: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
  t.client.chat.completions
    .create({ model: 'gpt-4o', messages: [{ role: 'user', content }], ...extra }, { headers })
    .withResponse();

test('the second identical request is a hit and costs no upstream call', async () => {
  const first = await ask('echo: cached answer');
  assert.equal(first.response.headers.get('x-switchyard-cache'), 'miss');
  const upstreamCalls = emu.requests.length;
  await new Promise((r) => setTimeout(r, 20)); // the store happens after the answer
  const second = await ask('echo: cached answer');
  assert.equal(second.response.headers.get('x-switchyard-cache'), 'hit');
  assert.equal(second.data.choices[0].message.content, 'cached answer');
  assert.equal(
    second.response.headers.get('x-switchyard-provider'),
    'openai',
    'a hit names the target whose answer it is',
  );
  assert.equal(second.response.headers.get('x-switchyard-model'), 'gpt-4o');
  assert.equal(emu.requests.length, upstreamCalls);
});

test('a cached answer is replayed to a streaming client as a proper SSE stream', async () => {
  await ask('echo: stream me from cache');
  await new Promise((r) => setTimeout(r, 20));
  const calls = emu.requests.length;
  const stream = await t.client.chat.completions.create({
    model: 'gpt-4o',
    stream: true,
    stream_options: { include_usage: true },
    messages: [{ role: 'user', content: 'echo: stream me from cache' }],
  });
  const chunks = [];
  for await (const c of stream) chunks.push(c);
  assert.equal(emu.requests.length, calls);
  assert.equal(chunks[0].choices[0].delta.role, 'assistant');
  assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''), 'stream me from cache');
  assert.equal(chunks[chunks.length - 1].usage?.completion_tokens, 4);
});

test('a streamed upstream answer is stored once complete', async () => {
  const s = await t.client.chat.completions.create({
    model: 'gpt-4o',
    stream: true,
    messages: [{ role: 'user', content: 'echo: streamed then cached' }],
  });
  for await (const _ of s) {
    /* drain */
  }
  await new Promise((r) => setTimeout(r, 20));
  const hit = await ask('echo: streamed then cached');
  assert.equal(hit.response.headers.get('x-switchyard-cache'), 'hit');
  assert.equal(hit.data.choices[0].message.content, 'streamed then cached');
});

test('entries never cross projects', async () => {
  await ask('echo: team a secret');
  await new Promise((r) => setTimeout(r, 20));
  const other = await t.client.chat.completions
    .create(
      { model: 'gpt-4o', messages: [{ role: 'user', content: 'echo: team a secret' }] },
      { headers: { authorization: 'Bearer key-for-team-b' } },
    )
    .withResponse();
  assert.equal(other.response.headers.get('x-switchyard-cache'), 'miss');
});

test('different sampling parameters are different entries', async () => {
  await ask('echo: params', { temperature: 0 });
  await new Promise((r) => setTimeout(r, 20));
  const r = await ask('echo: params', { temperature: 0.5 });
  assert.equal(r.response.headers.get('x-switchyard-cache'), 'miss');
});

test('Cache-Control: no-store bypasses; no-cache refreshes', async () => {
  await ask('echo: control');
  await new Promise((r) => setTimeout(r, 20));
  const bypass = await ask('echo: control', {}, { 'cache-control': 'no-store' });
  assert.equal(bypass.response.headers.get('x-switchyard-cache'), 'bypass');
  const refresh = await ask('echo: control', {}, { 'cache-control': 'no-cache' });
  assert.equal(refresh.response.headers.get('x-switchyard-cache'), 'refresh');
});

test('high temperature, errors and tool calls are not cached', async () => {
  const hot = await ask('echo: hot', { temperature: 1.5 });
  assert.equal(hot.response.headers.get('x-switchyard-cache'), 'bypass');
  const tools = [
    { type: 'function' as const, function: { name: 'f', parameters: { type: 'object', properties: {} } } },
  ];
  await ask('use f', { tools });
  await new Promise((r) => setTimeout(r, 20));
  const again = await ask('use f', { tools });
  assert.equal(again.response.headers.get('x-switchyard-cache'), 'miss');
});
