/**
 * The cache through the HTTP surface with the official openai client: exact and semantic hits,
 * scope (projects, models, system prompt, history), the guard (numbers, negation), stream replay,
 * per-request headers, nothing stored on errors or aborts, eviction bounds, stats and metering.
 */
import assert from 'node:assert/strict';
import { Catalog } from '../../plugins/catalog/catalog.js';
import { after, before, test } from 'node:test';
import { mock, openai, type Plugin, type UsageRecord } from '../../index.js';
import { cache, type CachePlugin } from '../../plugins/cache/index.js';
import { startOpenAIEmulator, type OpenAIEmulator } from '../emulators/openai.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

let emu: OpenAIEmulator;
let t: TestGateway;
let plugin: CachePlugin;
const records: UsageRecord[] = [];
const recorder: Plugin = {
  name: 'test-recorder',
  apply(gw) {
    gw.hooks.meter.tapPromise({ name: 'test-recorder', stage: gw.Stage.LAST }, async (r) => {
      records.push({ ...r });
    });
  },
};
const settle = () => new Promise((r) => setTimeout(r, 25)); // stores happen after the answer

before(async () => {
  emu = await startOpenAIEmulator();
  plugin = cache({ ttlSeconds: 60, semantic: { maxEntries: 1000 } });
  t = await startGateway(
    {
      providers: [openai({ apiKey: 'test-key', baseURL: emu.url }), mock({ chunkDelayMs: 30 })],
      auth: {
        keys: [
          { id: 'a', key: 'key-for-team-a', project: 'team-a' },
          { id: 'b', key: 'key-for-team-b', project: 'team-b' },
        ],
      },
      plugins: [plugin, recorder],
    },
    'key-for-team-a',
  );
});
after(async () => {
  await t.close();
  await emu.close();
});

type Msg = { role: 'system' | 'user' | 'assistant'; content: string };
const chat = (messages: Msg[], extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
  t.client.chat.completions
    .create({ model: 'gpt-4o', messages, ...extra } as never, { headers })
    .withResponse() as Promise<{
    data: { choices: Array<{ message: { content: string | null } }> };
    response: Response;
  }>;
const ask = (content: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
  chat([{ role: 'user', content }], extra, headers);
const status = (r: { response: Response }) => r.response.headers.get('x-switchyard-cache');

test('exact hit, then a semantic hit on a paraphrase with its similarity, and no upstream call', async () => {
  const first = await ask('What is the capital of France?');
  assert.equal(status(first), 'miss');
  await settle();
  assert.equal(status(await ask('What is the capital of France?')), 'hit');
  const calls = emu.requests.length;
  const para = await ask("what's the capital of France, please");
  assert.equal(status(para), 'semantic-hit');
  const sim = Number(para.response.headers.get('x-switchyard-cache-similarity'));
  assert.ok(sim >= 0.9 && sim <= 1, `similarity ${sim}`);
  assert.equal(para.data.choices[0].message.content, first.data.choices[0].message.content);
  assert.equal(emu.requests.length, calls);
});

test('no hit across projects or models', async () => {
  await ask('How do I rotate my API credentials?');
  await settle();
  const other = await t.client.chat.completions
    .create(
      { model: 'gpt-4o', messages: [{ role: 'user', content: 'How do I rotate my API credentials?' }] },
      { headers: { authorization: 'Bearer key-for-team-b' } },
    )
    .withResponse();
  assert.equal(status(other), 'miss');
  assert.equal(status(await ask('How do I rotate my API credentials?', { model: 'gpt-4o-mini' })), 'miss');
});

test('no hit when a number, an identifier or a negation changes', async () => {
  // a low threshold, so that every near-miss reaches the guard and the guard alone decides
  const loose = cache({ semantic: { threshold: 0.3 } });
  const g = await startGateway({ providers: [mock()], plugins: [loose] });
  const q = (content: string) =>
    g.client.chat.completions.create({ model: 'mock-small', messages: [{ role: 'user', content }] }).withResponse();
  try {
    for (const p of [
      'Where is my order 48213?',
      'Can I cancel my subscription?',
      'Send the invoice to anna@example.com',
      'What is the capital of France?',
      'how do i bake bread',
    ])
      await q(p);
    await settle();
    for (const p of [
      'Where is my order 48231?',
      "Can't I cancel my subscription?",
      'Send the invoice to anne@example.com',
      'What is the capital of Germany?',
      'how do i bake a cake',
    ]) {
      assert.equal(status(await q(p)), 'miss', p);
    }
    assert.equal(status(await q('where is my order 48213')), 'semantic-hit');
    const r = loose.stats().all.guardRejections;
    for (const k of ['numbers', 'negation', 'identifiers', 'entities', 'lexical'] as const)
      assert.ok(r[k] > 0, `the ${k} check refused a candidate`);
  } finally {
    await g.close();
  }
  // and with the default threshold through the shared gateway
  await ask('Where is my order 48213?');
  await settle();
  assert.equal(status(await ask('Where is my order 48231?')), 'miss');
});

test('a semantic match needs the same system prompt and the same earlier turns', async () => {
  const sys = (s: string): Msg => ({ role: 'system', content: s });
  await chat([sys('You are a pirate.'), { role: 'user', content: 'Describe the weather today' }]);
  await chat([
    { role: 'user', content: 'Cancel order A' },
    { role: 'assistant', content: 'Are you sure?' },
    { role: 'user', content: 'yes, cancel it' },
  ]);
  await settle();
  assert.equal(
    status(await chat([sys('You are a poet.'), { role: 'user', content: 'describe the weather today please' }])),
    'miss',
  );
  assert.equal(
    status(await chat([sys('You are a pirate.'), { role: 'user', content: 'describe the weather today please' }])),
    'semantic-hit',
  );
  assert.equal(
    status(
      await chat([
        { role: 'user', content: 'Cancel order B' },
        { role: 'assistant', content: 'Are you sure?' },
        { role: 'user', content: 'Yes, cancel it.' },
      ]),
    ),
    'miss',
  );
});

test('a semantic hit is replayed to a streaming client as SSE with usage', async () => {
  const first = await ask('Explain what a gateway does');
  await settle();
  const calls = emu.requests.length;
  const { data: stream, response } = await t.client.chat.completions
    .create({
      model: 'gpt-4o',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'explain what a gateway does, please' }],
    })
    .withResponse();
  assert.equal(response.headers.get('x-switchyard-cache'), 'semantic-hit');
  const chunks = [];
  for await (const c of stream) chunks.push(c);
  assert.equal(emu.requests.length, calls);
  assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''), first.data.choices[0].message.content);
  assert.ok(chunks[chunks.length - 1].usage?.total_tokens);
});

test('Cache-Control no-store bypasses and stores nothing; no-cache refreshes and stores', async () => {
  assert.equal(status(await ask('echo: private', {}, { 'cache-control': 'no-store' })), 'bypass');
  await settle();
  assert.equal(status(await ask('echo: private')), 'miss');
  assert.equal(status(await ask('echo: refreshed', {}, { 'cache-control': 'no-cache' })), 'refresh');
  await settle();
  assert.equal(status(await ask('echo: refreshed')), 'hit');
  assert.equal(status(await ask('echo: hot', { temperature: 1.7 })), 'bypass');
});

test('TTL and namespace headers', async () => {
  await ask('echo: short lived', {}, { 'x-switchyard-cache-ttl': '1' });
  await ask('echo: not kept', {}, { 'x-switchyard-cache-ttl': '0' });
  await ask('echo: namespaced', {}, { 'x-switchyard-cache-namespace': 'tests-a' });
  await settle();
  assert.equal(status(await ask('echo: not kept')), 'miss');
  assert.equal(status(await ask('echo: namespaced', {}, { 'x-switchyard-cache-namespace': 'tests-b' })), 'miss');
  assert.equal(status(await ask('echo: namespaced')), 'miss');
  assert.equal(status(await ask('echo: namespaced', {}, { 'x-switchyard-cache-namespace': 'tests-a' })), 'hit');
  assert.equal(
    status(await ask('echo: namespaced', {}, { 'x-switchyard-cache-namespace': 'bad namespace!' })),
    'bypass',
  );
  assert.equal(status(await ask('echo: short lived')), 'hit');
  await new Promise((r) => setTimeout(r, 1100));
  assert.equal(status(await ask('echo: short lived')), 'miss');
});

test('nothing is stored on an error, a truncated stream or a client abort', async () => {
  await assert.rejects(ask('echo: failing', { model: 'openai/error-500' }));
  const s = await t.client.chat.completions.create({
    model: 'openai/stream-truncated',
    stream: true,
    messages: [{ role: 'user', content: 'echo: a b c' }],
  });
  await assert.rejects(async () => {
    for await (const _ of s) {
      /* drain */
    }
  });
  // client abort mid-stream (mock provider: 30 ms between chunks)
  const controller = new AbortController();
  const aborted = await t.client.chat.completions.create(
    { model: 'mock-small', stream: true, messages: [{ role: 'user', content: 'echo: one two three four five six' }] },
    { signal: controller.signal },
  );
  let seen = 0;
  try {
    for await (const _ of aborted) {
      seen++;
      controller.abort();
    }
  } catch {
    /* aborted by us */
  }
  assert.ok(seen < 3, 'the stream was cut short');
  await new Promise((r) => setTimeout(r, 300));
  const failed = await ask('echo: failing', { model: 'openai/error-500' }).then(
    () => undefined,
    (e: { headers?: Headers }) => e,
  );
  assert.equal(failed?.headers?.get('x-switchyard-cache'), 'miss');
  const again = await t.client.chat.completions
    .create({ model: 'mock-small', messages: [{ role: 'user', content: 'echo: one two three four five six' }] })
    .withResponse();
  assert.equal(again.response.headers.get('x-switchyard-cache'), 'miss');
  const truncated = await t.client.chat.completions
    .create({ model: 'openai/stream-truncated', messages: [{ role: 'user', content: 'echo: a b c' }] })
    .withResponse()
    .catch(() => undefined);
  if (truncated) assert.notEqual(truncated.response.headers.get('x-switchyard-cache'), 'hit');
});

test('a hit costs no upstream tokens: the meter record carries what it saved; stats show hit rate', async () => {
  await ask('echo: metered');
  await settle();
  await ask('echo: metered');
  await settle();
  const rec = records.filter((r) => r.cache === 'hit').at(-1)!;
  assert.equal(rec.totalTokens, 0);
  assert.ok((rec.cacheSavedTokens ?? 0) > 0);
  // The catalog prices what the hit saved, exactly, at the target's prices.
  const entry = new Catalog().lookup(rec.provider!, rec.model!)!;
  assert.equal(rec.costUsd, 0);
  const p = entry.effectivePrices;
  const expected =
    ((rec.cacheSavedPromptTokens ?? 0) * Math.round(p.input * 1e6) +
      (rec.cacheSavedCompletionTokens ?? 0) * Math.round((p.output ?? p.input) * 1e6)) /
    1e12;
  assert.ok(expected > 0);
  assert.equal(rec.costSavedUsd, expected);
  const s = plugin.stats();
  assert.ok(s.all.hitRate > 0 && s.all.hitRate < 1);
  assert.ok(s.all.savedTokens > 0);
  assert.ok(s.tenants['p:team-a'].hits > 0);
  const res = await fetch(`${t.url}/cache/stats`, { headers: { authorization: 'Bearer key-for-team-b' } });
  const body = (await res.json()) as { tenant: string; hits: number; lookups: number };
  assert.equal(body.tenant, 'p:team-b');
  assert.equal(body.hits, 0);
  assert.equal((await fetch(`${t.url}/cache/stats`)).status, 401);
});

test('eviction bounds: the semantic index never holds more than maxEntries', async () => {
  const small = cache({ semantic: { maxEntries: 5 } });
  const g = await startGateway({ providers: [mock()], plugins: [small] });
  try {
    for (let i = 0; i < 12; i++) {
      await g.client.chat.completions.create({
        model: 'mock-small',
        messages: [{ role: 'user', content: `Tell me about topic ${'abcdefghijklmnop'[i]} now` }],
      });
      await settle();
      assert.ok(small.stats().semantic!.entries <= 5);
    }
    assert.equal(small.stats().semantic!.entries, 5);
  } finally {
    await g.close();
  }
});

test("the provider embedder calls the embeddings endpoint through the gateway's providers", async () => {
  const p = cache({
    semantic: { embedder: { provider: 'openai', model: 'text-embedding-3-small', dimensions: 256 }, threshold: 0.8 },
  });
  const g = await startGateway({ providers: [openai({ apiKey: 'test-key', baseURL: emu.url })], plugins: [p] });
  try {
    const q = (content: string) =>
      g.client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content }] }).withResponse();
    const before = emu.requests.filter((r) => r.path === '/v1/embeddings').length;
    await q('How do I reset my password?');
    await settle();
    const hit = await q('how do i reset my password');
    assert.equal(hit.response.headers.get('x-switchyard-cache'), 'semantic-hit');
    assert.ok(emu.requests.filter((r) => r.path === '/v1/embeddings').length > before);
    assert.ok(p.stats().all.embeddingTokens > 0);
  } finally {
    await g.close();
  }
});

test('bad options are refused at boot, naming the plugin and the option', async () => {
  await assert.rejects(
    startGateway({ providers: [mock()], cache: { semantic: { threshold: 2 } } as never }),
    /Plugin "cache": option "semantic/,
  );
  await assert.rejects(
    startGateway({ providers: [mock()], cache: { scope: 'team' } as never }),
    /Plugin "cache": option "scope"/,
  );
  await assert.rejects(
    startGateway({ providers: [mock()], cache: { semantic: { embedder: 'word2vec' } } as never }),
    /Plugin "cache": option "semantic/,
  );
  await assert.rejects(
    startGateway({ providers: [mock()], cache: { semantic: { verifier: { timeoutMs: 100 } } } as never }),
    /Plugin "cache": option "semantic/,
  );
  await assert.rejects(
    startGateway({ providers: [mock()], cache: { semantic: { verifier: { model: 'm', minScore: 1.5 } } } as never }),
    /Plugin "cache": option "semantic/,
  );
  await assert.rejects(
    startGateway({ providers: [mock()], cache: { semantic: { guard: { synonyms: 'yes' } } } as never }),
    /Plugin "cache": option "semantic/,
  );
});
