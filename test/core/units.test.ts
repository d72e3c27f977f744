/** Unit tests of the small core pieces: SSE parsing, chunk assembly, the memory store, validation paths. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChunkAccumulator, responseToChunks } from '../../core/chunks.js';
import { parseSse } from '../../core/sse.js';
import { MemoryStore } from '../../core/store.js';
import { splitUrl } from '../../core/upstream.js';
import { jsonPointerToPath } from '../../core/validation.js';
import { retryAfterMs } from '../../plugins/failover/retry-failover.js';
import { simulateChat, wordPieces } from '../../plugins/providers/mock/simulate.js';

async function collect(pieces: string[]) {
  const enc = new TextEncoder();
  const out = [];
  for await (const ev of parseSse(
    (async function* () {
      for (const p of pieces) yield enc.encode(p);
    })(),
  ))
    out.push(ev);
  return out;
}

test('parseSse: events split anywhere, CRLF, comments, multi-line data, named events', async () => {
  const text =
    ': keep-alive\r\n\r\nevent: message_start\r\ndata: {"a":1}\r\n\r\ndata: line1\ndata: line2\n\ndata: [DONE]\n\n';
  // Split at every possible position, including between \r and \n.
  for (let i = 1; i < text.length; i++) {
    const evs = await collect([text.slice(0, i), text.slice(i)]);
    assert.deepEqual(
      evs.map((e) => [e.event, e.data]),
      [
        ['message_start', '{"a":1}'],
        [undefined, 'line1\nline2'],
        [undefined, '[DONE]'],
      ],
      `split at ${i}`,
    );
  }
  // Multi-byte UTF-8 characters split across chunks survive.
  const bytes = new TextEncoder().encode('data: héllo → ✓\n\n');
  const evs = [];
  for await (const ev of parseSse(
    (async function* () {
      for (const b of bytes) yield new Uint8Array([b]);
    })(),
  ))
    evs.push(ev);
  assert.equal(evs[0].data, 'héllo → ✓');
  // A last event without its blank line is still delivered.
  assert.deepEqual(
    (await collect(['data: tail'])).map((e) => e.data),
    ['tail'],
  );
});

test('ChunkAccumulator rebuilds the response that responseToChunks replays', () => {
  const tools = [
    {
      type: 'function' as const,
      function: { name: 'a', parameters: { type: 'object', properties: { x: { type: 'integer' } } } },
    },
    { type: 'function' as const, function: { name: 'b', parameters: { type: 'object', properties: {} } } },
  ];
  for (const req of [
    { model: 'm', messages: [{ role: 'user' as const, content: 'echo: some words here' }] },
    { model: 'm', tools, messages: [{ role: 'user' as const, content: 'call a and b' }] },
  ]) {
    const res = simulateChat(req, { created: 1 });
    const acc = new ChunkAccumulator();
    for (const c of responseToChunks(res, wordPieces)) acc.add(c);
    assert.ok(acc.finished);
    const rebuilt = acc.toResponse();
    assert.deepEqual(rebuilt.choices[0].message.content, res.choices[0].message.content);
    assert.deepEqual(rebuilt.choices[0].message.tool_calls, res.choices[0].message.tool_calls);
    assert.equal(rebuilt.choices[0].finish_reason, res.choices[0].finish_reason);
    assert.deepEqual(rebuilt.usage, res.usage);
  }
});

test('MemoryStore: get/set/delete, TTL expiry, atomic increments keep their TTL', async () => {
  const s = new MemoryStore({ maxEntries: 3 });
  await s.set('a', { x: 1 });
  assert.deepEqual(await s.get('a'), { x: 1 });
  assert.equal(await s.delete('a'), true);
  assert.equal(await s.get('a'), undefined);
  await s.set('short', 1, 30);
  assert.equal(await s.increment('n', 2, 40), 2);
  assert.equal(await s.increment('n', 3, 10_000), 5);
  const all = await Promise.all(Array.from({ length: 100 }, () => s.increment('c')));
  assert.equal(Math.max(...all), 100);
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(await s.get('short'), undefined);
  assert.equal(await s.get('n'), undefined, 'the counter expired with the TTL set at creation');
  for (const k of ['k1', 'k2', 'k3', 'k4']) await s.set(k, k);
  assert.equal(s.size, 3, 'bounded by maxEntries');
  assert.equal(await s.get('k1'), undefined);
});

test('MemoryStore: least recently used goes first; a read, an increment or a rewrite counts as use', async () => {
  const s = new MemoryStore({ maxEntries: 3 });
  for (const k of ['a', 'b', 'c']) await s.set(k, k);
  assert.equal(await s.get('a'), 'a');
  await s.set('d', 'd'); // pushes out b, the least recently used
  assert.deepEqual(await s.getMany(['a', 'b', 'c', 'd']), ['a', undefined, 'c', 'd']);
  await s.increment('n'); // pushes out a (c and d were read after it)
  assert.equal(await s.get('a'), undefined);
  await s.set('c', 'c2'); // a rewrite of a held key pushes out nothing
  assert.equal(s.size, 3);
  assert.deepEqual(await s.getMany(['c', 'd', 'n']), ['c2', 'd', 1]);
  await s.set('x', 'x', 1);
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(await s.delete('x'), false, 'an expired entry is not there to delete');
  assert.equal(await s.increment('x', 4), 4, 'an expired entry restarts a counter');
  await s.set('s', 'not a number');
  assert.equal(await s.increment('s', 2), 2, 'a counter replaces a value that is not a number');
});

test('MemoryStore: the same answers as a plain LRU model over 20 000 random operations', async () => {
  const max = 50;
  const s = new MemoryStore({ maxEntries: max });
  const model: Array<[string, unknown]> = []; // oldest first
  let seed = 7;
  const rand = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  const use = (k: string, v: unknown) => {
    const i = model.findIndex(([key]) => key === k);
    if (i >= 0) model.splice(i, 1);
    else if (model.length >= max) model.shift();
    model.push([k, v]);
  };
  for (let n = 0; n < 20_000; n++) {
    const k = `k${rand(80)}`;
    const i = model.findIndex(([key]) => key === k);
    switch (rand(4)) {
      case 0:
        await s.set(k, n);
        use(k, n);
        break;
      case 1: {
        const want = i >= 0 ? model[i][1] : undefined;
        assert.equal(await s.get(k), want, `get ${k} at step ${n}`);
        if (i >= 0) use(k, want);
        break;
      }
      case 2:
        assert.equal(await s.delete(k), i >= 0, `delete ${k} at step ${n}`);
        if (i >= 0) model.splice(i, 1);
        break;
      default: {
        const before = i >= 0 && typeof model[i][1] === 'number' ? (model[i][1] as number) : 0;
        assert.equal(await s.increment(k, 2), before + 2, `increment ${k} at step ${n}`);
        use(k, before + 2);
      }
    }
    assert.equal(s.size, model.length);
  }
});

test('MemoryStore: nothing allocated up front for its 100 000-entry bound', async () => {
  const before = process.memoryUsage().arrayBuffers;
  const stores = Array.from({ length: 8 }, () => new MemoryStore());
  for (const s of stores) await s.set('k', 1, 1000);
  // lru-cache sized for the bound took ~1.2 MB of typed arrays per store (plus 1.6 MB once a TTL was used).
  assert.ok(process.memoryUsage().arrayBuffers - before < 1 << 20);
});

test('jsonPointerToPath and Retry-After parsing', () => {
  assert.equal(jsonPointerToPath('/messages/0/content/1/image_url'), 'messages[0].content[1].image_url');
  assert.equal(jsonPointerToPath('/a~1b'), 'a/b');
  assert.equal(retryAfterMs('2'), 2000);
  assert.equal(retryAfterMs(undefined), undefined);
  const inTwo = new Date(Date.now() + 2000).toUTCString();
  const ms = retryAfterMs(inTwo)!;
  assert.ok(ms > 500 && ms <= 2000);
});

test('splitUrl: origin and path as the upstream dispatcher takes them', () => {
  assert.deepEqual(splitUrl('https://api.openai.com/v1/chat/completions'), {
    origin: 'https://api.openai.com',
    path: '/v1/chat/completions',
  });
  assert.deepEqual(splitUrl('http://127.0.0.1:8080'), { origin: 'http://127.0.0.1:8080', path: '/' });
  assert.deepEqual(
    splitUrl('https://x.openai.azure.com/openai/deployments/d/chat/completions?api-version=2024-10-21'),
    { origin: 'https://x.openai.azure.com', path: '/openai/deployments/d/chat/completions?api-version=2024-10-21' },
  );
  assert.deepEqual(splitUrl('http://h:1?q=1#frag'), { origin: 'http://h:1', path: '/?q=1' });
  assert.deepEqual(splitUrl('http://[::1]:9000/v1#x'), { origin: 'http://[::1]:9000', path: '/v1' });
  assert.throws(() => splitUrl('/relative/path'), /Not an absolute URL/);
  // the same (frozen) answer for a URL seen before: a caller cannot change what the next one gets
  const first = splitUrl('https://api.openai.com/v1/embeddings');
  assert.equal(splitUrl('https://api.openai.com/v1/embeddings'), first);
  assert.throws(() => {
    (first as { path: string }).path = '/elsewhere';
  }, TypeError);
  assert.deepEqual(splitUrl('https://api.openai.com/v1/embeddings'), {
    origin: 'https://api.openai.com',
    path: '/v1/embeddings',
  });
  // past the memo's bound it starts over and still answers right
  for (let i = 0; i < 600; i++) assert.equal(splitUrl(`http://h${i}:1/p${i}`).path, `/p${i}`);
  assert.equal(splitUrl('https://api.openai.com/v1/embeddings').origin, 'https://api.openai.com');
});
