/**
 * A measured proposal, not adopted: let the guard accept, as synonyms, two plain content words that a
 * neural embedding model places close together (cosine of the words' own embeddings >= `minSimilarity`),
 * on top of WordNet's synonyms. It would apply only with a provider (neural) embedder configured, and
 * every other check (numbers, identifiers, negation, entities, relations, nothing added or dropped)
 * still applies to the words it pairs.
 *
 * Built here, in the bench, as a Lexicon whose `synonyms` also answers from a table of word vectors
 * embedded beforehand by the same provider embedder the tier uses (so the guard stays synchronous):
 * the tier's own code (SemanticTier.find, guard.ts) runs unchanged. Only words that occur in the set
 * as plain words (never as a name) are related, so names are never bridged (France / Germany).
 */
import type { Embedder } from '../../plugins/cache/embedders/types.js';
import { features } from '../../plugins/cache/guard.js';
import type { Lexicon } from '../../plugins/cache/lexicon/types.js';

export interface NeuralWords {
  /** Unit vectors of the plain content words of the prompts given. */
  vectors: Map<string, Float32Array>;
}

/** Embed every plain content word (not a name, identifier, quote or number) of the prompts. */
export async function neuralWords(prompts: string[], embedder: Embedder, lexicon: Lexicon): Promise<NeuralWords> {
  const plain = new Set<string>(),
    named = new Set<string>();
  for (const p of new Set(prompts))
    for (const t of features(p, lexicon).tokens) {
      if (t.kind !== 'word') continue;
      (t.entity ? named : plain).add(t.key);
    }
  const words = [...plain].filter((w) => !named.has(w));
  const vectors = new Map<string, Float32Array>();
  for (let i = 0; i < words.length; i += 64) {
    const batch = words.slice(i, i + 64);
    const vs = await embedder.embed(batch.map((w) => w.replace(/_/g, ' ')));
    batch.forEach((w, k) => vectors.set(w, vs[k]));
  }
  return { vectors };
}

function cosine(a: Float32Array, b: Float32Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d += a[i] * b[i];
  return d;
}

/** `lexicon` with synonyms widened to word pairs whose neural similarity reaches `minSimilarity`. */
export function withNeuralSynonyms(lexicon: Lexicon, words: NeuralWords, minSimilarity: number): Lexicon {
  const related = (a: string, b: string) => {
    if (lexicon.synonyms(a, b)) return true;
    const va = words.vectors.get(a),
      vb = words.vectors.get(b);
    return !!va && !!vb && cosine(va, vb) >= minSimilarity;
  };
  return new Proxy(lexicon, {
    get(target, key) {
      if (key === 'synonyms') return related;
      if (key === 'id') return `${target.id}+neural@${minSimilarity}`;
      const v = Reflect.get(target, key, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}
