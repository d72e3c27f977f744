/**
 * Restart of the semantic tier over a durable store: `node --expose-gc --import tsx
 * bench/cache-restart.ts [--entries=100000] [--layout=many|one] [--partitions=100] [--json=path]
 * [--keep] [--reuse=<prefix>]`.
 *
 * Writes `entries` semantic entries (journal records with int8 vectors of real prompts, embedded
 * with the default 'wordnet' embedder, the links a writer's graph chose for them, and their
 * answers) into the local Redis under a unique key prefix, then starts a gateway on that store and
 * times how long until its index is rebuilt (the `cache-index` readiness check turns ready), with
 * the RSS it costs, the longest the event loop was blocked meanwhile (a 5 ms timer's worst delay:
 * the gateway answers between slices) and the load average; then the vector search latency on an
 * index rebuilt the same way (see searchLatency). `many`: the entries spread over `partitions` context
 * keys (exact-scan partitions, the common case); `one`: a single partition (one HNSW graph, the worst
 * case). The prefix is deleted afterwards (unless `--keep`: then `--reuse=<prefix>` restarts on the
 * same records in a fresh process, which is how the median of 3 is taken); the shared Redis is never
 * flushed.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { createGateway, mock } from '../index.js';
import { wordnetEmbedder } from '../plugins/cache/embedders/wordnet.js';
import { cache } from '../plugins/cache/index.js';
import { encodeLinks, Journal, quantise, roundTrip, type JournalRecord } from '../plugins/cache/journal.js';
import { VectorIndex } from '../plugins/cache/vector-index.js';
import { wordnet } from '../plugins/cache/lexicon/wordnet.js';
import { RedisStore } from '../plugins/scaleout/redis-store.js';

const args = process.argv.slice(2);
const arg = (n: string) => args.find((a) => a.startsWith(`--${n}=`))?.slice(n.length + 3);
const N = Number(arg('entries') ?? 100_000);
const layout = (arg('layout') ?? 'many') as 'many' | 'one';
const partitions = layout === 'one' ? 1 : Number(arg('partitions') ?? 100);
const url = process.env.SY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = arg('reuse') ?? `sy-bench-restart-${process.pid}-${randomBytes(3).toString('hex')}:`;
const rss = () => {
  global.gc?.();
  global.gc?.();
  return process.memoryUsage().rss;
};

const WORDS = (
  'order invoice refund shipping password account plan weather capital recipe translate summary error code city ' +
  'store hours price ticket delivery laptop flight hotel train booking subscription report column table branch commit'
).split(' ');
const VERBS = 'cancel track change reset find show explain book compare convert delete add rename list check'.split(
  ' ',
);
function prompt(i: number): string {
  const w = (k: number) => WORDS[(i * 7 + k * 13) % WORDS.length];
  return `How do I ${VERBS[i % VERBS.length]} the ${w(1)} ${w(2)} for ${w(3)} ${i}?`;
}

async function fill(store: RedisStore): Promise<number> {
  const t = performance.now();
  const embedder = wordnetEmbedder(wordnet());
  const ttl = 3_600_000;
  const expires = Date.now() + ttl;
  // the writer's own index, as on a live instance: graph partitions record the links they chose
  const writer = new VectorIndex({ maxEntries: N + 10, ttlMs: ttl, hnswThreshold: 2048 });
  let pipe = store.client.pipeline();
  let lastLog = performance.now();
  for (let i = 0; i < N; i++) {
    const p = prompt(i);
    const vec = roundTrip((await embedder.embed([p]))[0]);
    const ref = `cache:v2:bench-${i}`;
    const part = `part-${i % partitions}`;
    writer.add(part, vec, ref, ttl, { id: i + 1 });
    const links = writer.linksOf(ref);
    const rec: JournalRecord = { p: part, k: ref, e: embedder.id, ...quantise(vec), x: expires };
    if (links?.length && links[0].ids.length) rec.L = encodeLinks(links);
    if (performance.now() - lastLog > 30_000) {
      lastLog = performance.now();
      console.log(`  writing: ${i} entries`);
    }
    pipe.set(`cache:sem:j:${i + 1}`, JSON.stringify(rec), 'PX', ttl);
    pipe.set(
      ref,
      JSON.stringify(
        JSON.stringify({
          v: 2,
          prompt: p,
          response: { id: `r${i}`, object: 'chat.completion', created: 0, model: 'm', choices: [] },
        }),
      ),
      'PX',
      ttl,
    );
    if (i % 1000 === 999) {
      await pipe.exec();
      pipe = store.client.pipeline();
    }
  }
  pipe.set('cache:sem:seq', String(N));
  await pipe.exec();
  return Math.round(performance.now() - t);
}

/**
 * Search latency on an index rebuilt the way the gateway rebuilds it (Journal.rebuild into a
 * VectorIndex, links replayed): 2 000 queries, half stored prompts, half unseen ones, top-3 above
 * 0.7. Wall time per query, and the least of 3 runs of each query (what the search costs when the
 * shared machine does not preempt it).
 */
async function searchLatency(): Promise<Record<string, number>> {
  const store = new RedisStore({ url, prefix, commandTimeoutMs: 10_000 });
  await store.ready();
  const embedder = wordnetEmbedder(wordnet());
  const idx = new VectorIndex({ maxEntries: N, ttlMs: 3_600_000 });
  await new Journal(store, { embedderId: embedder.id, maxEntries: N }).rebuild((p, v, ref, ttl, id, links) =>
    idx.add(p, v, ref, ttl, { id, links }),
  );
  await store.close();
  const wall: number[] = [],
    least: number[] = [];
  let found = 0;
  for (let q = 0; q < 2000; q++) {
    const i = (q * 7919) % N;
    const text = q % 2 ? prompt(i) : `How do I ${prompt(i + N).slice(9)}`;
    const v = roundTrip((await embedder.embed([text]))[0]);
    const part = `part-${i % partitions}`;
    let best = Number.POSITIVE_INFINITY;
    for (let k = 0; k < 3; k++) {
      const t = performance.now();
      const r = idx.search(part, v, 3, 0.7);
      const ms = performance.now() - t;
      if (k === 0) {
        wall.push(ms);
        if (q % 2 && r[0]?.ref === `cache:v2:bench-${i}`) found++;
      }
      best = Math.min(best, ms);
    }
    least.push(best);
  }
  idx.clear();
  const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.floor(p * (xs.length - 1))];
  const us = (ms: number) => Math.round(ms * 1000);
  return {
    p50us: us(pct(wall, 0.5)),
    p99us: us(pct(wall, 0.99)),
    leastOf3P50us: us(pct(least, 0.5)),
    leastOf3P99us: us(pct(least, 0.99)),
    storedFoundAt1: Math.round((found / 1000) * 1000) / 1000,
    loadAverage1m: Math.round(loadavg()[0] * 100) / 100,
  };
}

async function drop(store: RedisStore): Promise<void> {
  const raw = store.client.duplicate({ keyPrefix: '', enableOfflineQueue: true });
  let cursor = '0';
  do {
    const [next, keys] = await raw.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await raw.del(...keys);
  } while (cursor !== '0');
  raw.disconnect();
}

async function main() {
  const writer = new RedisStore({ url, prefix, commandTimeoutMs: 10_000 });
  await writer.ready();
  const out: Record<string, unknown> = {
    node: process.version,
    date: new Date().toISOString(),
    entries: N,
    layout,
    partitions,
    gc: typeof global.gc === 'function',
  };
  try {
    if (arg('reuse')) console.log(`reusing ${prefix}`);
    else {
      out.fillMs = await fill(writer);
      console.log(`wrote ${N} entries (${layout}, ${partitions} partitions) in ${out.fillMs} ms under ${prefix}`);
    }
    const load0 = loadavg()[0];
    const rss0 = rss();
    const t0 = performance.now();
    const plugin = cache({ ttlSeconds: 3600, semantic: { maxEntries: N } });
    const gw = await createGateway({
      providers: [mock()],
      store: new RedisStore({ url, prefix, commandTimeoutMs: 2000 }),
      plugins: [plugin],
      logging: { level: 'silent' },
    });
    const createdMs = performance.now() - t0;
    let lastLog = performance.now();
    let stall = 0;
    while (!plugin.stats().semantic!.rebuilt) {
      const t = performance.now();
      await new Promise((r) => setTimeout(r, 5));
      stall = Math.max(stall, performance.now() - t - 5);
      if (performance.now() - lastLog > 10_000) {
        lastLog = performance.now();
        console.log(
          `  ... ${plugin.stats().semantic!.entries} entries after ${Math.round((performance.now() - t0) / 1000)} s`,
        );
      }
    }
    const readyMs = performance.now() - t0;
    const s = plugin.stats().semantic!;
    const rss1 = rss();
    out.restart = {
      gatewayCreatedMs: Math.round(createdMs),
      readyMs: Math.round(readyMs),
      rebuild: s.rebuild,
      entries: s.entries,
      partitions: s.partitions,
      indexBytes: s.bytes,
      rssDeltaMiB: Math.round((rss1 - rss0) / 1048576),
      maxEventLoopStallMs: Math.round(stall),
      loadAverage1m: [Math.round(load0 * 100) / 100, Math.round(loadavg()[0] * 100) / 100],
      lexiconLoadMs: s.lexicon?.loadMs,
    };
    console.log(JSON.stringify(out.restart));
    await gw.close();
    out.search = await searchLatency();
    console.log(JSON.stringify({ search: out.search }));
  } finally {
    if (args.includes('--keep')) console.log(`kept ${prefix} (restart again with --reuse=${prefix})`);
    else await drop(writer);
    await writer.close();
  }
  const json = arg('json');
  if (json) writeFileSync(json, JSON.stringify(out, null, 2));
}

await main();
