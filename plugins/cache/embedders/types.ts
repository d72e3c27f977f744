/**
 * Embedders turn prompts into L2-normalised vectors for the semantic tier. The `id` names the model
 * and its settings: it is part of every index partition key, so vectors of different embedders (or
 * of one provider model at different dimensions) never meet in one search.
 */
import type { RequestContext } from '../../../core/context.js';

export interface Embedder {
  readonly id: string;
  /** One L2-normalised vector per text, in order. */
  embed(texts: string[], options?: { signal?: AbortSignal; ctx?: RequestContext }): Promise<Float32Array[]>;
}

/** Scale a vector to unit length in place (a zero vector stays zero). */
export function normalise(v: Float32Array): Float32Array {
  let n = 0;
  for (let i = 0; i < v.length; i++) n += v[i] * v[i];
  if (n > 0) {
    const inv = 1 / Math.sqrt(n);
    for (let i = 0; i < v.length; i++) v[i] *= inv;
  }
  return v;
}
