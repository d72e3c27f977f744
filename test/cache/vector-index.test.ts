/** The cache's vector index: HNSW recall against exact search, partitions, LRU and TTL bounds. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Hnsw } from '../../plugins/cache/hnsw.js';
import { FlatIndex, VectorIndex } from '../../plugins/cache/vector-index.js';

function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomUnit(dim: number, r: () => number): Float32Array {
  const v = new Float32Array(dim);
  let n = 0;
  for (let i = 0; i < dim; i++) {
    v[i] = r() * 2 - 1;
    n += v[i] * v[i];
  }
  const inv = 1 / Math.sqrt(n);
  for (let i = 0; i < dim; i++) v[i] *= inv;
  return v;
}

test('HNSW recall@10 against exact search on random vectors is at least 0.95', () => {
  const r = rng(7);
  const dim = 32,
    n = 5000,
    queries = 100,
    k = 10;
  const g = new Hnsw({ dim, M: 16, efConstruction: 100, efSearch: 96 });
  const flat = new FlatIndex(dim);
  for (let i = 0; i < n; i++) {
    const v = randomUnit(dim, r);
    g.add(v, i);
    flat.add(v, i);
  }
  let found = 0;
  for (let q = 0; q < queries; q++) {
    const v = randomUnit(dim, r);
    const truth = new Set(flat.search(v, k).map((x) => x.label));
    const got = g.search(v, k);
    assert.equal(got.length, k);
    for (let i = 1; i < got.length; i++) assert.ok(got[i - 1].score >= got[i].score, 'sorted best first');
    for (const x of got) if (truth.has(x.label)) found++;
  }
  const recall = found / (queries * k);
  assert.ok(recall >= 0.95, `recall ${recall}`);
});

test('HNSW finds an inserted vector exactly and never returns a removed one', () => {
  const r = rng(3);
  const g = new Hnsw({ dim: 16 });
  const vs = Array.from({ length: 500 }, (_, i) => {
    const v = randomUnit(16, r);
    g.add(v, i);
    return v;
  });
  const top = g.search(vs[42], 1)[0];
  assert.equal(top.label, 42);
  assert.ok(Math.abs(top.score - 1) < 1e-5);
  g.remove(42);
  assert.notEqual(g.search(vs[42], 1)[0].label, 42);
  assert.equal(g.live, 499);
});

test('flat index: exact top-k and swap-remove', () => {
  const f = new FlatIndex(4);
  const e = (i: number) => {
    const v = new Float32Array(4);
    v[i] = 1;
    return v;
  };
  for (let i = 0; i < 4; i++) f.add(e(i), i + 10);
  assert.deepEqual(
    f.search(e(2), 1).map((x) => x.label),
    [12],
  );
  f.remove(10);
  assert.equal(f.size, 3);
  assert.deepEqual(
    f.search(e(3), 1).map((x) => x.label),
    [13],
  );
  assert.equal(
    f.search(e(0), 3).every((x) => x.label !== 10),
    true,
  );
});

test('vector index: partitions never mix, and a dimension change is refused', () => {
  const idx = new VectorIndex();
  const v = new Float32Array([1, 0, 0, 0]);
  idx.add('tenant-a', v, 'ref-a');
  assert.equal(idx.search('tenant-b', v, 3, 0).length, 0);
  assert.equal(idx.search('tenant-a', v, 3, 0)[0].ref, 'ref-a');
  assert.throws(() => idx.add('tenant-a', new Float32Array(8), 'ref-x'));
  assert.equal(idx.search('tenant-a', new Float32Array(8), 3, 0).length, 0);
});

test('vector index: LRU bound holds, and the least recently used go first', () => {
  const r = rng(11);
  const idx = new VectorIndex({ maxEntries: 100 });
  const first = randomUnit(8, r);
  idx.add('p', first, 'ref-0');
  for (let i = 1; i < 1000; i++) {
    idx.add(`p${i % 3}`, randomUnit(8, r), `ref-${i}`);
    if (i % 10 === 0) idx.search('p', first, 1, 0.99); // keep ref-0 recently used
    assert.ok(idx.size <= 100);
  }
  assert.equal(idx.size, 100);
  assert.equal(idx.search('p', first, 1, 0.99)[0]?.ref, 'ref-0');
});

test('vector index: entries expire after their TTL', async () => {
  // a TTL long enough for a loaded machine to search before it passes, then wait for the expiry
  const idx = new VectorIndex({ ttlMs: 500 });
  const v = new Float32Array([0, 1]);
  idx.add('p', v, 'short');
  idx.add('p', new Float32Array([1, 0]), 'long', 60_000);
  assert.equal(idx.search('p', v, 1, 0.5)[0]?.ref, 'short');
  const end = Date.now() + 5000;
  while (idx.search('p', v, 1, 0.5).length && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
  assert.equal(idx.search('p', v, 1, 0.5).length, 0);
  idx.purge();
  assert.equal(idx.size, 1);
});

test('vector index: a large partition switches to HNSW and keeps answering', () => {
  const r = rng(5);
  const idx = new VectorIndex({ hnswThreshold: 200, maxEntries: 1000 });
  const vs = Array.from({ length: 600 }, (_, i) => {
    const v = randomUnit(16, r);
    idx.add('p', v, `r${i}`);
    return v;
  });
  for (const i of [0, 199, 250, 599]) assert.equal(idx.search('p', vs[i], 1, 0.99)[0]?.ref, `r${i}`);
  idx.deleteRef('r250');
  assert.notEqual(idx.search('p', vs[250], 1, 0)[0]?.ref, 'r250');
  assert.equal(idx.size, 599);
});

test('clear() drops graph partitions whole instead of removing entries one by one', (t) => {
  const idx = new VectorIndex({ hnswThreshold: 64 });
  for (let i = 0; i < 300; i++)
    idx.add(
      'p',
      new Float32Array(16).map(() => Math.random() - 0.5),
      `ref-${i}`,
    );
  assert.equal(idx.partitions, 1);
  const remove = t.mock.method(Hnsw.prototype, 'remove');
  idx.clear();
  assert.equal(remove.mock.callCount(), 0, 'no per-entry graph surgery at shutdown');
  assert.equal(idx.size, 0);
  assert.equal(idx.partitions, 0);
});

test('graph replay: a graph rebuilt from the links chosen at insertion is the same graph, without search', async () => {
  const { Hnsw } = await import('../../plugins/cache/hnsw.js');
  const { VectorIndex } = await import('../../plugins/cache/vector-index.js');
  const dim = 32;
  let seed = 7;
  const rnd = () => {
    seed = (seed * 16807) % 2147483647;
    return seed / 2147483647 - 0.5;
  };
  const vec = () => {
    const v = Float32Array.from({ length: dim }, rnd);
    const n = Math.hypot(...v);
    return v.map((x) => x / n);
  };
  const vs = Array.from({ length: 1500 }, vec);
  // Hnsw level: identical neighbour lists
  const g = new Hnsw({ dim, seed: 1 });
  const chosen = vs.map((v, i) => {
    const node = g.add(v, i);
    return g.links(node);
  });
  const g2 = new Hnsw({ dim, seed: 99 });
  vs.forEach((v, i) => g2.addLinked(v, i, chosen[i]));
  for (let n = 0; n < vs.length; n += 37) assert.deepEqual(g2.links(n), g.links(n), `node ${n}`);
  // VectorIndex level: ids name the links; the replayed index answers like the original
  const a = new VectorIndex({ hnswThreshold: 100, maxEntries: 10_000 });
  const links = vs.map((v, i) => {
    a.add('p', v, `r${i}`, undefined, { id: i + 1 });
    return a.linksOf(`r${i}`);
  });
  assert.equal(links[50], undefined, 'no links while the partition is an exact scan');
  assert.ok(links[1000]!.length >= 1 && links[1000]![0].ids.length >= 8);
  const b = new VectorIndex({ hnswThreshold: 100, maxEntries: 10_000 });
  const t0 = performance.now();
  vs.forEach((v, i) => b.add('p', v, `r${i}`, undefined, { id: i + 1, links: links[i] }));
  const replayMs = performance.now() - t0;
  const qs = Array.from({ length: 100 }, vec);
  for (const q of qs)
    assert.deepEqual(
      b.search('p', q, 3, -1).map((m) => m.ref),
      a.search('p', q, 3, -1).map((m) => m.ref),
    );
  assert.ok(replayMs >= 0);
});
