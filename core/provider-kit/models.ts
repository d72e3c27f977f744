/** The advertised model list of a provider and the bare names it claims. */
import type { ModelInfo } from '../types.js';

const RERANK = /rerank/i;

export class ModelList {
  readonly #list: ModelInfo[];
  readonly #claims: RegExp | undefined;

  /**
   * `embeddings`: ids matching it are embedding models (default /embed/i); false: none. Ids with "rerank" in
   * them are rerankers; the others chat models.
   */
  constructor(ids: readonly string[], claims?: RegExp, embeddings: RegExp | false = /embed/i) {
    this.#list = ids.map((id) => ({
      id,
      kind: RERANK.test(id) ? 'rerank' : embeddings && embeddings.test(id) ? 'embeddings' : 'chat',
    }));
    this.#claims = claims;
  }

  /** The same array on every call (callers may compare identities). */
  get models(): ModelInfo[] {
    return this.#list;
  }

  claims(model: string): boolean {
    return this.#claims?.test(model) ?? false;
  }
}
