/**
 * The semantic tier: embed the last user turn, search the partition of its context key, and accept
 * the best candidate above the threshold that the guard lets through (optionally, a candidate the
 * guard cannot settle is put to the verifier). Vectors live in process memory (VectorIndex) and,
 * with a shared or durable store, in the store's journal too (journal.ts); the prompt and answer of
 * each entry live in the gateway Store under the entry's exact key, so a stale vector whose answer
 * is gone is simply dropped.
 */
import type { RequestContext } from '../../core/context.js';
import { compare, features, type GuardOptions, type GuardReason, type PromptFeatures } from './guard.js';
import type { Embedder } from './embedders/types.js';
import type { Lexicon } from './lexicon/types.js';
import { VectorIndex } from './vector-index.js';

export interface SemanticTierOptions {
  /** Least cosine similarity for a candidate. Default 0.7 with 'wordnet', 0.85 with other embedders. */
  threshold?: number;
  /** Candidates above the threshold tried through the guard, best first. Default 3. */
  topK?: number;
  /** Most vectors kept (LRU beyond). Default 100 000. */
  maxEntries?: number;
  /** A partition larger than this is searched with HNSW instead of an exact scan. Default 2 048. */
  hnswThreshold?: number;
  /** HNSW search beam. Default 48. */
  efSearch?: number;
  /** Last user turns longer than this skip the semantic tier. Default 2 000 characters. */
  maxPromptChars?: number;
  guard?: GuardOptions;
}

/** What the Store holds under an exact key. */
export interface StoredEntry {
  v: 2;
  /** The last user turn (only for entries the semantic tier may serve). */
  prompt?: string;
  response: import('../../core/types.js').ChatCompletionResponse;
  /** The target that produced the answer (absent in entries written before it was recorded). */
  target?: { provider: string; model: string };
}

/** Ask the verifier about a candidate; undefined = no verdict (a miss). */
export interface VerifyBand {
  minScore: number;
  /** Also for candidates refused on the lexical check alone. */
  lexical: boolean;
  ask(cachedPrompt: string): Promise<boolean>;
}

export type SemanticResult =
  | { kind: 'hit'; entry: StoredEntry; score: number; verified?: boolean }
  | { kind: 'miss'; rejected: GuardReason[]; refusedByVerifier?: boolean };

export class SemanticTier {
  readonly index: VectorIndex;
  readonly threshold: number;
  readonly #topK: number;
  readonly maxPromptChars: number;
  readonly #guard: GuardOptions;

  constructor(
    readonly embedder: Embedder,
    o: SemanticTierOptions,
    ttlMs: number,
    readonly lexicon: Lexicon | null,
    defaultThreshold = 0.85,
  ) {
    this.threshold = o.threshold ?? defaultThreshold;
    this.#topK = o.topK ?? 3;
    this.maxPromptChars = o.maxPromptChars ?? 2000;
    this.#guard = o.guard ?? {};
    this.index = new VectorIndex({
      maxEntries: o.maxEntries ?? 100_000,
      ttlMs,
      hnswThreshold: o.hnswThreshold ?? 2048,
      hnsw: { efSearch: o.efSearch ?? 48 },
    });
  }

  async embed(text: string, ctx: RequestContext): Promise<Float32Array> {
    const [v] = await this.embedder.embed([text], { signal: ctx.signal, ctx });
    return v;
  }

  /** The guard's view of a prompt (memoised in canon.ts: the embedder analysed it already). */
  features(prompt: string): PromptFeatures {
    return features(prompt, this.lexicon);
  }

  async find(
    partition: string,
    vec: Float32Array,
    prompt: string,
    load: (ref: string) => Promise<StoredEntry | undefined>,
    verify?: VerifyBand,
  ): Promise<SemanticResult> {
    const rejected: GuardReason[] = [];
    const floor = verify ? Math.min(verify.minScore, this.threshold) : this.threshold;
    const candidates = this.index.search(partition, vec, this.#topK, floor);
    if (!candidates.length) return { kind: 'miss', rejected };
    const mine = this.features(prompt);
    let asked = false,
      refusedByVerifier = false;
    for (const c of candidates) {
      const entry = await load(c.ref);
      if (!entry?.prompt) {
        this.index.delete(c.label); // the answer expired or was evicted from the store
        continue;
      }
      const theirs = this.features(entry.prompt);
      const reason = compare(theirs, mine, this.#guard, this.lexicon);
      if (!reason && c.score >= this.threshold) return { kind: 'hit', entry, score: c.score };
      if (reason) rejected.push(reason);
      // the verifier settles what the guard cannot: a low similarity, or only words the lexicon does not relate
      if (!verify || asked) continue;
      const unsure =
        !reason ||
        (verify.lexical &&
          reason === 'lexical' &&
          !compare(theirs, mine, { ...this.#guard, lexical: false }, this.lexicon));
      if (!unsure) continue;
      asked = true;
      if (await verify.ask(entry.prompt)) return { kind: 'hit', entry, score: c.score, verified: true };
      refusedByVerifier = true;
    }
    return { kind: 'miss', rejected, ...(refusedByVerifier ? { refusedByVerifier } : {}) };
  }

  add(partition: string, vec: Float32Array, ref: string, ttlMs: number): void {
    this.index.add(partition, vec, ref, ttlMs);
  }
}
