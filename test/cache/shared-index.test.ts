/**
 * The semantic index in a shared, durable store: two gateways on the real local Redis (a unique key
 * prefix, removed afterwards; the shared Redis is never flushed). A semantic entry written through
 * instance A is served by instance B; a restarted instance rebuilds its index from the store and
 * serves paraphrases of entries written before the restart. Through HTTP with the openai client.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { openai, redis } from '../../index.js';
import { cache, type CachePlugin } from '../../plugins/cache/index.js';
import { startOpenAIEmulator } from '../emulators/openai.js';
import { eventually, startGateway, type TestGateway } from '../helpers/gateway.js';
import { dropRedisPrefix, REDIS_URL, runId, services } from '../scaleout/helpers.js';

const skip = await services();
const prefix = `${runId('sy-semcache')}:`;
after(async () => {
  if (!skip) await dropRedisPrefix(prefix);
});

const settle = () => new Promise((r) => setTimeout(r, 30));

test('a semantic entry written on instance A is served on instance B, and survives a restart', { skip }, async () => {
  const emu = await startOpenAIEmulator();
  const gateways: TestGateway[] = [];
  const start = async (plugin: CachePlugin) => {
    const g = await startGateway({
      providers: [openai({ apiKey: 'test-key', baseURL: emu.url })],
      store: redis({ url: REDIS_URL, prefix, commandTimeoutMs: 2000 }),
      plugins: [plugin],
    });
    gateways.push(g);
    return g;
  };
  // chat completions only: model discovery (GET /v1/models) may refresh at any time
  const chatCalls = () => emu.requests.filter((r) => r.path.endsWith('/chat/completions')).length;
  const ask = (g: TestGateway, content: string) =>
    g.client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content }] }).withResponse();
  try {
    const pa = cache({ semantic: { syncMs: 50 } });
    const pb = cache({ semantic: { syncMs: 50 } });
    const a = await start(pa);
    const b = await start(pb);
    await eventually(() => pa.stats().semantic!.rebuilt === true && pb.stats().semantic!.rebuilt === true, 5000);

    const first = await ask(a, 'How do I sort a list in Python?');
    assert.equal(first.response.headers.get('x-switchyard-cache'), 'miss');
    await settle();
    // B learns A's vector through the store's journal (no request to B in between: a miss would store its own entry)
    await eventually(() => pb.stats().semantic!.entries === 1, 5000);
    const calls = chatCalls();
    const onB = await ask(b, 'How can I sort a list using Python?');
    assert.equal(onB.response.headers.get('x-switchyard-cache'), 'semantic-hit');
    assert.equal(onB.data.choices[0].message.content, first.data.choices[0].message.content);
    assert.equal(chatCalls(), calls, "B answered from A's entry without an upstream call");
    // and the other way round
    const second = await ask(b, 'Convert 5 miles to kilometers');
    await settle();
    await eventually(() => pa.stats().semantic!.entries === 2, 5000);
    const onA = await ask(a, 'How many kilometers is 5 miles?');
    assert.equal(onA.response.headers.get('x-switchyard-cache'), 'semantic-hit');
    assert.equal(onA.data.choices[0].message.content, second.data.choices[0].message.content);
    // a near miss is still refused across instances
    assert.equal((await ask(a, 'Convert 5 kilometers to miles')).response.headers.get('x-switchyard-cache'), 'miss');

    // restart A: the new process rebuilds its index from the store before it reports ready
    await a.close();
    const pa2 = cache({ semantic: { syncMs: 50 } });
    const a2 = await start(pa2);
    await eventually(() => pa2.stats().semantic!.rebuilt === true, 10_000);
    const ready = (await (await fetch(`${a2.url}/ready`)).json()) as {
      checks: Record<string, { ready: boolean; entries: number }>;
    };
    assert.equal(ready.checks['cache-index'].ready, true);
    assert.ok(pa2.stats().semantic!.rebuild!.entries >= 3);
    const before = chatCalls();
    const after = await ask(a2, 'What is the way to sort a list in Python?');
    assert.equal(after.response.headers.get('x-switchyard-cache'), 'semantic-hit');
    assert.equal(after.data.choices[0].message.content, first.data.choices[0].message.content);
    assert.equal(chatCalls(), before);
    // the journal holds vectors and references only: no prompt or answer text
    const { RedisStore } = await import('../../plugins/scaleout/redis-store.js');
    // (a private connection to read the journal as any other instance would)
    const probe = new RedisStore({ url: REDIS_URL, prefix });
    await probe.ready();
    try {
      const rec = await probe.get<Record<string, unknown>>('cache:sem:j:1');
      assert.ok(rec && typeof rec.v === 'string' && typeof rec.k === 'string');
      assert.ok(!JSON.stringify(rec).includes('sort a list'));
      // getMany: one MGET, values in order, missing keys undefined
      const many = await probe.getMany<Record<string, unknown>>([
        'cache:sem:j:1',
        'cache:sem:missing',
        'cache:sem:j:2',
      ]);
      assert.equal(many.length, 3);
      assert.deepEqual(many[0], rec);
      assert.equal(many[1], undefined);
      assert.equal(typeof many[2]?.v, 'string');
    } finally {
      await probe.close();
    }
  } finally {
    for (const g of gateways) await g.close().catch(() => undefined);
    await emu.close();
  }
});

test('with the in-memory store nothing is journaled (nothing outlives the process anyway)', async () => {
  const p = cache({ semantic: true });
  const g = await startGateway({
    providers: [openai({ apiKey: 'test-key', baseURL: 'http://127.0.0.1:9' })],
    plugins: [p],
  });
  try {
    assert.equal(p.stats().semantic!.rebuilt, undefined);
    const ready = (await (await fetch(`${g.url}/ready`)).json()) as { checks?: Record<string, unknown> };
    assert.equal(ready.checks?.['cache-index'], undefined);
  } finally {
    await g.close();
  }
});
