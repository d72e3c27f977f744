/**
 * The semantic tier: embed the last user turn, search the partition of its context key, and accept
 * the best candidate above the threshold that the guard lets through. Vectors live in process
 * memory (VectorIndex); the prompt and answer of each entry live in the gateway Store under the
 * entry's exact key, so a stale vector whose answer is gone is simply dropped.
 */
import type { RequestContext } from '../../core/context.js';
import { compare, features, type GuardOptions, type GuardReason } from './guard.js';
import type { Embedder } from './embedders/types.js';
import { VectorIndex } from './vector-index.js';

export interface SemanticTierOptions {
  /** Least cosine similarity for a candidate. Default 0.85 (tuned for the n-gram embedder). */
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
}

export type SemanticResult =
  | { kind: 'hit'; entry: StoredEntry; score: number }
  | { kind: 'miss'; rejected: GuardReason[] };

export class SemanticTier {
  readonly index: VectorIndex;
  readonly threshold: number;
  readonly #topK: number;
  readonly maxPromptChars: number;
  readonly #guard: GuardOptions;

  constructor(readonly embedder: Embedder, o: SemanticTierOptions, ttlMs: number) {
    this.threshold = o.threshold ?? 0.85;
    this.#topK = o.topK ?? 3;
    this.maxPromptChars = o.maxPromptChars ?? 2000;
    this.#guard = o.guard ?? {};
    this.index = new VectorIndex({
      maxEntries: o.maxEntries ?? 100_000, ttlMs, hnswThreshold: o.hnswThreshold ?? 2048,
      hnsw: { efSearch: o.efSearch ?? 48 },
    });
  }

  async embed(text: string, ctx: RequestContext): Promise<Float32Array> {
    const [v] = await this.embedder.embed([text], { signal: ctx.signal, ctx });
    return v;
  }

  async find(partition: string, vec: Float32Array, prompt: string, load: (ref: string) => Promise<StoredEntry | undefined>): Promise<SemanticResult> {
    const rejected: GuardReason[] = [];
    const candidates = this.index.search(partition, vec, this.#topK, this.threshold);
    if (!candidates.length) return { kind: 'miss', rejected };
    const mine = features(prompt);
    for (const c of candidates) {
      const entry = await load(c.ref);
      if (!entry?.prompt) {
        this.index.delete(c.label); // the answer expired or was evicted from the store
        continue;
      }
      const reason = compare(features(entry.prompt), mine, this.#guard);
      if (!reason) return { kind: 'hit', entry, score: c.score };
      rejected.push(reason);
    }
    return { kind: 'miss', rejected };
  }

  add(partition: string, vec: Float32Array, ref: string, ttlMs: number): void {
    this.index.add(partition, vec, ref, ttlMs);
  }
}
