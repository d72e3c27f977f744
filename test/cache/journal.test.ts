/** The vector journal in the Store: int8 round trip, rebuild, sync between instances, bounds. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryStore, type Store } from '../../core/store.js';
import {
  decodeLinks,
  dequantise,
  Journal,
  quantise,
  roundTrip,
  type JournalRecord,
} from '../../plugins/cache/journal.js';
import { type EntryLinks, VectorIndex } from '../../plugins/cache/vector-index.js';

function unit(seed: number, d = 64): Float32Array {
  const v = new Float32Array(d);
  let n = 0;
  for (let i = 0; i < d; i++) {
    v[i] = Math.sin(seed * 12.9898 + i * 78.233);
    n += v[i] * v[i];
  }
  for (let i = 0; i < d; i++) v[i] /= Math.sqrt(n);
  return v;
}
const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i], 0);

test('int8 round trip: a quarter of the bytes, cosine within 1e-3, and stable (what every instance sees)', () => {
  for (let s = 0; s < 50; s++) {
    const v = unit(s, 256);
    const q = quantise(v);
    assert.equal(Buffer.from(q.v, 'base64').length, 256);
    const w = dequantise(q.v, q.s);
    assert.ok(dot(v, w) > 0.999);
    assert.ok(Math.abs(dot(w, w) - 1) < 1e-5);
    const again = roundTrip(w);
    assert.deepEqual(Array.from(again), Array.from(w), 'a round-tripped vector round-trips to itself');
  }
});

test('rebuild reads the newest records oldest first and skips expired, foreign and malformed ones', async () => {
  const store = new MemoryStore();
  const writer = new Journal(store, { embedderId: 'e1', maxEntries: 3 });
  for (let i = 1; i <= 5; i++) await writer.append('p', roundTrip(unit(i)), `k${i}`, 60_000);
  await store.set(
    'cache:sem:j:4',
    { p: 'p', k: 'k4', e: 'other-embedder', v: quantise(unit(4)).v, s: 1, x: Date.now() + 60_000 },
    60_000,
  );
  const seen: string[] = [];
  const fresh = new Journal(store, { embedderId: 'e1', maxEntries: 3 });
  const r = await fresh.rebuild((_p, _v, ref) => seen.push(ref));
  assert.deepEqual(seen, ['k3', 'k5'], 'only the newest maxEntries records, oldest first, foreign embedders skipped');
  assert.equal(r.read, 3);
  assert.equal(r.entries, 2);
  await store.set(
    'cache:sem:j:5',
    { p: 'p', k: 'k5', e: 'e1', v: quantise(unit(5)).v, s: 1, x: Date.now() - 1 },
    60_000,
  );
  const seen2: string[] = [];
  await new Journal(store, { embedderId: 'e1', maxEntries: 3 }).rebuild((_p, _v, ref) => seen2.push(ref));
  assert.deepEqual(seen2, ['k3'], 'an expired record is not loaded');
});

test('poll: an instance picks up what others wrote, not its own; waits for a record counted, not written', async () => {
  const store = new MemoryStore();
  const a = new Journal(store, { embedderId: 'e', maxEntries: 100 });
  const b = new Journal(store, { embedderId: 'e', maxEntries: 100 });
  await a.rebuild(() => undefined);
  await b.rebuild(() => undefined);
  const ia = new VectorIndex(),
    ib = new VectorIndex();
  const addTo = (idx: VectorIndex) => (p: string, v: Float32Array, ref: string, ttl: number) => {
    idx.add(p, v, ref, ttl);
  };
  ia.add('p', roundTrip(unit(1)), 'x1', 60_000);
  await a.append('p', roundTrip(unit(1)), 'x1', 60_000);
  assert.equal(await b.poll(addTo(ib)), 1);
  assert.equal(ib.search('p', roundTrip(unit(1)), 1, 0.99)[0]?.ref, 'x1');
  assert.equal(await a.poll(addTo(ia)), 0, 'its own record is not added twice');
  // another writer has counted seq 2 but not written it yet
  await store.increment('cache:sem:seq', 1);
  assert.equal(await b.poll(addTo(ib)), 0);
  await store.set('cache:sem:j:2', { p: 'p', k: 'x2', e: 'e', ...quantise(unit(2)), x: Date.now() + 60_000 }, 60_000);
  assert.equal(await b.poll(addTo(ib)), 1, 'the late record is picked up on a later poll');
  assert.equal(ib.size, 2);
});

test('records written with links as JSON arrays (before the binary form) are still replayed', async () => {
  const store = new MemoryStore();
  const j = new Journal(store, { embedderId: 'e', maxEntries: 100 });
  await j.append('p', roundTrip(unit(1)), 'k1', 60_000);
  const legacy: JournalRecord = {
    p: 'p',
    k: 'k2',
    e: 'e',
    ...quantise(unit(2)),
    x: Date.now() + 60_000,
    l: [[[1], [255]]],
  };
  await store.set('cache:sem:seq', 2);
  await store.set('cache:sem:j:2', legacy, 60_000);
  const got: Array<{ ref: string; links?: unknown }> = [];
  await new Journal(store, { embedderId: 'e', maxEntries: 100 }).rebuild((_p, _v, ref, _t, _id, links) =>
    got.push({ ref, links: links?.map((l) => ({ ids: Array.from(l.ids), scores: Array.from(l.scores) })) }),
  );
  assert.deepEqual(got, [
    { ref: 'k1', links: undefined },
    { ref: 'k2', links: [{ ids: [1], scores: [1] }] },
  ]);
});

test('rebuild: many batches in flight, in order, each vector its own (the decode buffer is reused)', async () => {
  const store = new MemoryStore();
  const w = new Journal(store, { embedderId: 'e', maxEntries: 1000 });
  const vs = Array.from({ length: 250 }, (_, i) => roundTrip(unit(i + 1)));
  for (const [i, v] of vs.entries()) await w.append(`p${i % 7}`, v, `k${i}`, 60_000);
  const idx = new VectorIndex();
  const refs: string[] = [];
  const r = await new Journal(store, { embedderId: 'e', maxEntries: 1000, batch: 16, ahead: 4 }).rebuild(
    (p, v, ref, ttl, id) => {
      refs.push(ref);
      idx.add(p, v, ref, ttl, { id });
    },
  );
  assert.equal(r.entries, 250);
  assert.deepEqual(
    refs,
    vs.map((_, i) => `k${i}`),
  );
  for (const [i, v] of vs.entries()) assert.equal(idx.search(`p${i % 7}`, v, 1, 0.999)[0]?.ref, `k${i}`);
});

test('a store without getMany works the same (get one by one)', async () => {
  const base = new MemoryStore();
  const plain: Store = {
    get: (k) => base.get(k),
    set: (k, v, t) => base.set(k, v, t),
    delete: (k) => base.delete(k),
    increment: (k, b, t) => base.increment(k, b, t),
    close: () => base.close(),
  };
  const j = new Journal(plain, { embedderId: 'e', maxEntries: 10 });
  await j.append('p', roundTrip(unit(7)), 'k7', 60_000);
  const seen: string[] = [];
  await new Journal(plain, { embedderId: 'e', maxEntries: 10 }).rebuild((_p, _v, ref) => seen.push(ref));
  assert.deepEqual(seen, ['k7']);
  assert.deepEqual(await base.getMany(['cache:sem:seq', 'missing']), [1, undefined]);
});

test('a graph partition journals its links; a rebuild replays them and answers like the writer', async () => {
  const store = new MemoryStore();
  const j = new Journal(store, { embedderId: 'e', maxEntries: 10_000 });
  const writer = new VectorIndex({ hnswThreshold: 64, maxEntries: 10_000 });
  const vs = Array.from({ length: 600 }, (_, i) => roundTrip(unit(i + 1, 32)));
  let own: EntryLinks | undefined;
  for (const [i, v] of vs.entries()) {
    writer.add('p', v, `k${i}`, 60_000);
    const links = writer.linksOf(`k${i}`);
    if (i === 499) own = links;
    const seq = await j.append('p', v, `k${i}`, 60_000, links);
    writer.setId(`k${i}`, seq);
  }
  const first = await store.get<JournalRecord>('cache:sem:j:10');
  const late = await store.get<JournalRecord>('cache:sem:j:500');
  assert.equal(first?.L, undefined, 'no links while the partition was an exact scan');
  assert.equal(typeof late?.L, 'string', 'links travel in binary (base64)');
  const decoded = decodeLinks(late!)!;
  assert.ok(decoded[0].ids.length >= 8);
  assert.deepEqual(
    decoded.map((l) => Array.from(l.ids)),
    own!.map((l) => Array.from(l.ids)),
  );
  decoded.forEach((l, i) =>
    Array.from(l.scores).forEach((x, k) => assert.ok(Math.abs(x - own![i].scores[k]) <= 1 / 127.5 + 1e-6)),
  );
  const reader = new VectorIndex({ hnswThreshold: 64, maxEntries: 10_000 });
  await new Journal(store, { embedderId: 'e', maxEntries: 10_000 }).rebuild((p, v, ref, ttl, id, links) => {
    reader.add(p, v, ref, ttl, { id, links });
  });
  assert.equal(reader.size, 600);
  let same = 0;
  for (let q = 0; q < 100; q++) {
    const v = unit(10_000 + q, 32);
    if (reader.search('p', v, 1, -1)[0]?.ref === writer.search('p', v, 1, -1)[0]?.ref) same++;
  }
  assert.ok(same >= 95, `top-1 agreement ${same}/100`);
  for (let i = 0; i < 600; i += 50) assert.equal(reader.search('p', vs[i], 1, 0.99)[0]?.ref, `k${i}`);
});
