/**
 * Cache benchmark: `tsx bench/cache.ts [--quick] [--sizes=1000,10000,100000] [--json=path]`.
 *
 * 1. Lookup latency (p50/p99) of the semantic tier's vector search at 1k, 10k, 100k and 1M entries
 *    in ONE partition (the worst case: every entry shares the context key), and of a whole semantic
 *    lookup with the default settings (WordNet embedding + search + store read + guard, through
 *    SemanticTier.find) up to 100k. Vectors: 256 dimensions (the default embedder's size); at 1M,
 *    64 dimensions and random unit vectors (a 256-d HNSW build of 1M vectors takes too long for a
 *    benchmark run on 2 cores), said in the report. Lookup queries: a third stored prompts, a third
 *    paraphrases of stored prompts (hits), a third fresh prompts (misses).
 * 2. Memory per entry (vector + graph + bookkeeping; the answer in the store is extra).
 * Quality (precision/recall per category) is bench/cache-quality.ts.
 *
 * Scale run: `node --expose-gc --import tsx bench/cache.ts --entries=1000000 --dim=32
 * [--ef-construction=32] [--max-build-s=900] [--json=path]` runs only one large partition of random
 * unit vectors (no quality sets, no default sizes): build time and rate, HNSW search p50/p99, memory
 * per entry (RSS delta / entries), then the same vectors in an exact flat scan (FlatIndex): its
 * p50/p99 and memory, and recall@1 of HNSW against the exact scan on stored, near-duplicate and
 * fresh queries. `--max-build-s` stops the build early and reports how far it got. Defaults in
 * this mode: 64 dimensions, efConstruction 64 (the index default). The 1M numbers in
 * docs/benchmarks.md used --dim=32 --ef-construction=32.
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { MemoryStore } from '../core/store.js';
import { wordnetEmbedder } from '../plugins/cache/embedders/wordnet.js';
import { wordnet } from '../plugins/cache/lexicon/wordnet.js';
import { SemanticTier, type StoredEntry } from '../plugins/cache/semantic.js';
import { FlatIndex, VectorIndex } from '../plugins/cache/vector-index.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const jsonOut = args.find((a) => a.startsWith('--json='))?.slice(7);

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
function randomUnit(dim: number, r: () => number): Float32Array {
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
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
};
const us = (ms: number) => Math.round(ms * 1000);
const mem = () => {
  global.gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

// Prompts for the latency runs: template prompts with random slots, embedded with the default embedder.
const WORDS = (
  'order invoice refund shipping password account plan weather capital recipe translate summary error code ' +
  'city store hours price ticket delivery'
).split(' ');
const VERBS = 'cancel track change reset find show explain book compare convert delete add rename list check'.split(
  ' ',
);
function prompt(r: () => number): string {
  const w = () => WORDS[Math.floor(r() * WORDS.length)];
  return (
    `How do I ${VERBS[Math.floor(r() * VERBS.length)]} my ${w()} ${w()} number ${Math.floor(r() * 1e6)} and ` +
    `the ${w()} for ${w()} ${Math.floor(r() * 1e4)}?`
  );
}
/** A paraphrase the guard accepts: another framing, lower case, politeness. */
const paraphrase = (p: string) => `please, what is the way to ${p.slice('How do I '.length, -1).toLowerCase()}`;

interface LatencyRow {
  entries: number;
  dim: number;
  kind: string;
  buildS: number;
  searchP50us: number;
  searchP99us: number;
  lookupP50us?: number;
  lookupP99us?: number;
  hitRate?: number;
  bytesPerEntry: number;
  recallAt1?: number;
  cpuPerQueryUs: number;
  loadAvg: number;
}

async function latency(n: number, dim: number, textual: boolean): Promise<LatencyRow> {
  const r = rng(n);
  const m0 = mem();
  const lexicon = wordnet();
  const embedder = wordnetEmbedder(lexicon, { dimensions: dim });
  const tier = new SemanticTier(embedder, { maxEntries: n + 10, hnswThreshold: 2048 }, 3_600_000, lexicon, 0.7);
  const idx = tier.index;
  const store = new MemoryStore({ maxEntries: n + 10 });
  const t0 = performance.now();
  const sample: Float32Array[] = [];
  const texts: string[] = [];
  for (let i = 0; i < n; i++) {
    const text = textual ? prompt(r) : '';
    const v = textual ? (await embedder.embed([text]))[0] : randomUnit(dim, r);
    idx.add('p', v, `k${i}`);
    if (textual) await store.set(`k${i}`, JSON.stringify({ v: 2, prompt: text, response: { id: 'x', choices: [] } }));
    if (i % Math.max(1, Math.floor(n / 200)) === 0) {
      sample.push(v);
      texts.push(text);
    }
  }
  const buildS = (performance.now() - t0) / 1000;
  const bytesPerEntry = Math.round((mem() - m0) / n);
  const indexBytes = Math.round(idx.bytes / n);
  const queries = quick ? 300 : 2000;
  const search: number[] = [];
  const lookup: number[] = [];
  let exactFound = 0,
    hits = 0,
    hitQueries = 0;
  const cpu0 = process.cpuUsage();
  const load = async (ref: string) => {
    const raw = await store.get<string>(ref);
    return raw === undefined ? undefined : (JSON.parse(raw) as StoredEntry);
  };
  const ctx = { signal: new AbortController().signal } as never;
  for (let q = 0; q < queries; q++) {
    const kind = q % 3; // 0 stored, 1 paraphrase of a stored prompt, 2 fresh
    const own = kind !== 2;
    const v = own ? sample[q % sample.length] : textual ? (await embedder.embed([prompt(r)]))[0] : randomUnit(dim, r);
    let t = performance.now();
    const found = idx.search('p', kind === 0 ? v : v, 3, 0.7);
    search.push(performance.now() - t);
    if (kind === 0 && found.length && found[0].score > 0.9999) exactFound++;
    if (textual) {
      const text = kind === 0 ? texts[q % texts.length] : kind === 1 ? paraphrase(texts[q % texts.length]) : prompt(r);
      t = performance.now();
      const qv = await tier.embed(text, ctx);
      const res = await tier.find('p', qv, text, load);
      lookup.push(performance.now() - t);
      if (own) {
        hitQueries++;
        if (res.kind === 'hit') hits++;
      }
    }
  }
  return {
    entries: n,
    dim,
    kind: n > 2048 ? 'HNSW' : 'exact scan',
    buildS: Math.round(buildS * 10) / 10,
    searchP50us: us(pct(search, 0.5)),
    searchP99us: us(pct(search, 0.99)),
    ...(textual
      ? {
          lookupP50us: us(pct(lookup, 0.5)),
          lookupP99us: us(pct(lookup, 0.99)),
          hitRate: Math.round((hits / hitQueries) * 1000) / 1000,
        }
      : {}),
    // CPU time per query (search + lookup), less sensitive to other processes than wall time
    cpuPerQueryUs: Math.round(((c) => c.user + c.system)(process.cpuUsage(cpu0)) / queries),
    loadAvg: Math.round(loadavg()[0] * 10) / 10,
    bytesPerEntry: textual ? indexBytes : Math.max(indexBytes, bytesPerEntry),
    recallAt1: Math.round((exactFound / Math.ceil(queries / 3)) * 1000) / 1000,
  };
}

const num = (name: string) => {
  const a = args.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.slice(name.length + 3)) : undefined;
};
const rss = () => {
  global.gc?.();
  global.gc?.();
  return process.memoryUsage().rss;
};

/** One partition of `n` random unit vectors: HNSW vs exact scan, memory, recall@1. */
async function scale(n: number, dim: number, efConstruction: number, maxBuildS: number) {
  const queries = quick ? 300 : 2000;
  const vecs = (seed: number) => {
    const r = rng(seed);
    return () => randomUnit(dim, r);
  };
  // near-duplicate of v: v plus noise, renormalised (cosine with v about 0.9: a paraphrase-like query)
  const qr = rng(7);
  const near = (v: Float32Array) => {
    const w = randomUnit(dim, qr),
      out = new Float32Array(dim);
    let m = 0;
    for (let i = 0; i < dim; i++) {
      out[i] = v[i] + 0.48 * w[i];
      m += out[i] * out[i];
    }
    for (let i = 0; i < dim; i++) out[i] /= Math.sqrt(m);
    return out;
  };
  const gen = vecs(n);
  const sampleEvery = Math.max(1, Math.floor(n / 1000));
  const sample: Array<{ i: number; v: Float32Array }> = [];
  const rss0 = rss();
  const idx = new VectorIndex({ maxEntries: n + 10, ttlMs: 3_600_000, hnswThreshold: 2048, hnsw: { efConstruction } });
  const t0 = performance.now();
  let tChunk = t0,
    built = 0,
    stopped = false;
  const progress: Array<{ entries: number; s: number; perS: number }> = [];
  const step = Math.max(1, Math.floor(n / 20));
  for (let i = 0; i < n; i++) {
    const v = gen();
    idx.add('p', v, `k${i}`);
    built = i + 1;
    if (i % sampleEvery === 0) sample.push({ i, v });
    if (built % step === 0) {
      const now = performance.now();
      progress.push({
        entries: built,
        s: Math.round((now - t0) / 100) / 10,
        perS: Math.round(step / ((now - tChunk) / 1000)),
      });
      console.log(JSON.stringify(progress[progress.length - 1]));
      tChunk = now;
      if ((now - t0) / 1000 > maxBuildS && built < n) {
        stopped = true;
        break;
      }
    }
  }
  const buildS = (performance.now() - t0) / 1000;
  const rss1 = rss();
  const hnswBytesPerEntry = Math.round((rss1 - rss0) / built);
  const hnswIndexBytes = Math.round(idx.bytes / built);

  // queries: a third stored vectors, a third near duplicates (cos ~0.9), a third fresh random vectors
  const fresh = vecs(99);
  const qs: Array<{ kind: 'stored' | 'near' | 'fresh'; v: Float32Array }> = [];
  for (let q = 0; q < queries; q++) {
    const s = sample[(q * 7) % sample.length].v;
    qs.push(
      q % 3 === 0
        ? { kind: 'stored', v: s }
        : q % 3 === 1
          ? { kind: 'near', v: near(s) }
          : { kind: 'fresh', v: fresh() },
    );
  }
  for (let q = 0; q < 200; q++) idx.search('p', qs[q].v, 3, 0.85); // warm-up
  const hnswT: number[] = [];
  for (const q of qs) {
    const t = performance.now();
    idx.search('p', q.v, 3, 0.85);
    hnswT.push(performance.now() - t);
  }
  const hnswTop = qs.map((q) => {
    const m = idx.search('p', q.v, 1, -2)[0];
    return m ? Number(m.ref.slice(1)) : -1;
  });
  const nearCos = qs
    .filter((q, j) => q.kind === 'near')
    .slice(0, 50)
    .map((q, j) => {
      const s = sample[((j * 3 + 1) * 7) % sample.length].v;
      let d = 0;
      for (let i = 0; i < dim; i++) d += s[i] * q.v[i];
      return d;
    });
  // idx is kept alive (not cleared: clearing disposes every entry, and tombstoning a 1M graph
  // rebuilds it several times); the exact scan's memory is measured as its own RSS delta.

  // the same vectors (same seed) in the exact scan
  const rss2 = rss();
  const flat = new FlatIndex(dim, 1024);
  const gen2 = vecs(n);
  for (let i = 0; i < built; i++) flat.add(gen2(), i);
  const rss3 = rss();
  const flatBytesPerEntry = Math.round((rss3 - rss2) / built);
  const exactQ = quick ? 60 : 300;
  const flatT: number[] = [];
  const hits = { stored: [0, 0], near: [0, 0], fresh: [0, 0] };
  for (let j = 0; j < exactQ; j++) {
    const q = qs[j];
    const t = performance.now();
    const e = flat.search(q.v, 3);
    flatT.push(performance.now() - t);
    hits[q.kind][1]++;
    if (e[0]?.label === hnswTop[j]) hits[q.kind][0]++;
  }
  const rate = (h: number[]) => Math.round((h[0] / h[1]) * 1000) / 1000;
  return {
    entries: built,
    requested: n,
    dim,
    efConstruction,
    stopped,
    buildS: Math.round(buildS * 10) / 10,
    buildPerS: Math.round(built / buildS),
    progress,
    hnsw: {
      searchP50us: us(pct(hnswT, 0.5)),
      searchP99us: us(pct(hnswT, 0.99)),
      rssBytesPerEntry: hnswBytesPerEntry,
      indexBytesPerEntry: hnswIndexBytes,
      queries,
    },
    exact: {
      searchP50us: us(pct(flatT, 0.5)),
      searchP99us: us(pct(flatT, 0.99)),
      rssBytesPerEntry: flatBytesPerEntry,
      indexBytesPerEntry: Math.round(flat.bytes / built),
      queries: exactQ,
    },
    recallAt1: { stored: rate(hits.stored), near: rate(hits.near), fresh: rate(hits.fresh), counts: hits },
    nearCosine: { min: Math.min(...nearCos), max: Math.max(...nearCos) },
  };
}

async function main() {
  const entries = num('entries');
  if (entries) {
    const res = await scale(entries, num('dim') ?? 64, num('ef-construction') ?? 64, num('max-build-s') ?? Infinity);
    console.log(JSON.stringify({ ...res, progress: undefined }, null, 2));
    if (jsonOut)
      writeFileSync(
        jsonOut,
        JSON.stringify(
          { node: process.version, date: new Date().toISOString(), gc: typeof global.gc === 'function', scale: res },
          null,
          2,
        ),
      );
    return;
  }
  const out: Record<string, unknown> = { node: process.version, date: new Date().toISOString(), quick };
  const lat: LatencyRow[] = [];
  const only = args
    .find((a) => a.startsWith('--sizes='))
    ?.slice(8)
    .split(',')
    .map(Number);
  const sizes: Array<[number, number, boolean]> = only
    ? only.map((n) => [n, n >= 1_000_000 ? 64 : 256, n < 1_000_000])
    : quick
      ? [
          [1000, 256, true],
          [10_000, 256, true],
        ]
      : [
          [1000, 256, true],
          [10_000, 256, true],
          [100_000, 256, true],
          [1_000_000, 64, false],
        ];
  for (const [n, dim, textual] of sizes) {
    const row = await latency(n, dim, textual);
    lat.push(row);
    console.log(JSON.stringify(row));
  }
  console.log(
    '\nLatency (one partition holding every entry; lookup = default WordNet embedding + search + store read + guard)',
  );
  console.table(lat);
  out.latency = lat;
  if (jsonOut) writeFileSync(jsonOut, JSON.stringify(out, null, 2));
}

await main();
