/**
 * Precision/recall of the semantic tier on a labelled set, per category, through the tier's own
 * code (SemanticTier.find: index search, store read, guard, optional verifier), in two modes:
 * - pair: each group's partition holds only its cached prompt (does this query hit that entry?);
 * - crowded: one partition holds every cached prompt of the set; the query is served the first
 *   candidate (top-k, best first) that is accepted, as in production.
 * In crowded mode an answer served for a query is judged by the labels: right when the served
 * prompt is the query itself or labelled a paraphrase of it, wrong when labelled a near miss of it
 * (a near miss served its own group's prompt is always wrong), and otherwise "unjudged" (listed,
 * to be checked by hand; the hand-written sets have none).
 */
import type { ChatCompletionResponse } from '../../core/types.js';
import type { Embedder } from '../../plugins/cache/embedders/types.js';
import type { GuardOptions } from '../../plugins/cache/guard.js';
import type { Lexicon } from '../../plugins/cache/lexicon/types.js';
import { SemanticTier, type StoredEntry, type VerifyBand } from '../../plugins/cache/semantic.js';
import type { LabelledPair } from './sets.js';

export interface EvalOptions {
  embedder: Embedder;
  threshold: number;
  topK?: number;
  /** Guard options; false: no guard at all (similarity alone). */
  guard?: GuardOptions | false;
  lexicon: Lexicon | null;
  /** A judge that knows the labels (an upper bound for any verifier model). */
  oracleVerifier?: { minScore: number };
}

export interface KindRow {
  kind: string;
  same: boolean;
  n: number;
  pairHits: number;
  crowdedRight: number;
  crowdedWrong: number;
  crowdedUnjudged: number;
}

export interface EvalResult {
  rows: KindRow[];
  paraphrases: { n: number; pairRecall: number; crowdedRecall: number; crowdedWrong: number };
  nearMisses: { n: number; pairWrong: number; crowdedWrong: number; crowdedRight: number };
  /** Answers served in crowded mode that no label judges (see wrongExamples). */
  unjudged: number;
  /** right answers / all answers served (crowded mode) */
  crowdedPrecision: number;
  verifierCalls: number;
  wrongExamples: string[];
}

const OFF: GuardOptions = {
  numbers: false,
  identifiers: false,
  negation: false,
  entities: false,
  lexical: false,
  relations: false,
};
const response = {
  id: 'x',
  object: 'chat.completion',
  created: 0,
  model: 'm',
  choices: [],
} as unknown as ChatCompletionResponse;

export async function evaluate(set: LabelledPair[], o: EvalOptions): Promise<EvalResult> {
  const tier = new SemanticTier(
    o.embedder,
    { threshold: o.threshold, topK: o.topK ?? 3, guard: o.guard === false ? OFF : o.guard, maxEntries: 1e6 },
    3_600_000,
    o.lexicon,
  );
  const vec = new Map<string, Float32Array>();
  const v = async (t: string) => {
    let x = vec.get(t);
    if (!x) vec.set(t, (x = (await o.embedder.embed([t]))[0]));
    return x;
  };
  const entries = new Map<string, StoredEntry>();
  const load = async (ref: string) => entries.get(ref);
  // one reference per (partition, prompt): the index keeps one vector per reference
  for (const p of set) {
    if (entries.has(`c:${p.stored}`)) continue;
    entries.set(`c:${p.stored}`, { v: 2, prompt: p.stored, response });
    entries.set(`g${p.group}:${p.stored}`, { v: 2, prompt: p.stored, response });
    tier.add(`g${p.group}`, await v(p.stored), `g${p.group}:${p.stored}`, 3_600_000);
    tier.add('all', await v(p.stored), `c:${p.stored}`, 3_600_000);
  }
  let verifierCalls = 0;
  const band = (p: LabelledPair): VerifyBand | undefined =>
    o.oracleVerifier && {
      minScore: o.oracleVerifier.minScore,
      lexical: true,
      ask: async (cached) => {
        verifierCalls++;
        return p.same && cached === p.stored;
      },
    };
  const labels = new Map<string, boolean>();
  for (const p of set) {
    labels.set(`${p.stored}\0${p.query}`, p.same);
    labels.set(`${p.query}\0${p.stored}`, p.same);
  }
  const rows = new Map<string, KindRow>();
  const wrongExamples: string[] = [];
  let right = 0,
    wrong = 0;
  for (const p of set) {
    const key = `${p.same ? '+' : '-'}${p.kind}`;
    let r = rows.get(key);
    if (!r)
      rows.set(
        key,
        (r = { kind: p.kind, same: p.same, n: 0, pairHits: 0, crowdedRight: 0, crowdedWrong: 0, crowdedUnjudged: 0 }),
      );
    r.n++;
    const q = await v(p.query);
    const pair = await tier.find(`g${p.group}`, q, p.query, load, band(p));
    if (pair.kind === 'hit') {
      r.pairHits++;
      if (!p.same) wrongExamples.push(`pair ${p.kind}: "${p.query}" served "${p.stored}"`);
    }
    const crowd = await tier.find('all', q, p.query, load, band(p));
    if (crowd.kind !== 'hit') continue;
    const served = crowd.entry.prompt!;
    const label = served === p.query ? true : served === p.stored ? p.same : labels.get(`${served}\0${p.query}`);
    if (label === true) {
      r.crowdedRight++;
      right++;
      continue;
    }
    if (label === undefined) {
      r.crowdedUnjudged++;
      wrongExamples.push(`crowded, unjudged ${p.kind}: "${p.query}" served "${served}"`);
      continue;
    }
    r.crowdedWrong++;
    wrong++;
    wrongExamples.push(`crowded ${p.same ? 'paraphrase' : 'near miss'} ${p.kind}: "${p.query}" served "${served}"`);
  }
  const all = [...rows.values()].sort((a, b) => Number(b.same) - Number(a.same) || a.kind.localeCompare(b.kind));
  const para = all.filter((r) => r.same),
    near = all.filter((r) => !r.same);
  const sum = (xs: KindRow[], k: keyof KindRow) => xs.reduce((s, r) => s + (r[k] as number), 0);
  const np = sum(para, 'n');
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return {
    rows: all,
    paraphrases: {
      n: np,
      pairRecall: round(sum(para, 'pairHits') / np),
      crowdedRecall: round(sum(para, 'crowdedRight') / np),
      crowdedWrong: sum(para, 'crowdedWrong'),
    },
    nearMisses: {
      n: sum(near, 'n'),
      pairWrong: sum(near, 'pairHits'),
      crowdedWrong: sum(near, 'crowdedWrong'),
      crowdedRight: sum(near, 'crowdedRight'),
    },
    unjudged: sum(all, 'crowdedUnjudged'),
    crowdedPrecision: right + wrong ? round(right / (right + wrong)) : 1,
    verifierCalls,
    wrongExamples,
  };
}
