/**
 * The lexical embedder: offline, no model file, synonym-aware through WordNet. It embeds the
 * canonical form of a prompt (canon.ts), the same form the guard compares, so a prompt and its
 * rewordings land close together when the guard would accept them:
 *
 * - each content word contributes its dictionary form and the ids of its most frequent meanings
 *   (one per part of speech) from the lexicon, so synonyms share a feature (buy / purchase share
 *   the verb synset "buy, purchase"), plus a few character trigrams (typos, derivations);
 * - numbers with their units (`5|mi`), identifiers, quoted text, units and operators as they are;
 * - each directional word with the word it governs ("to>km"), so "miles to km" and "km to miles"
 *   differ a little even before the guard looks;
 * - framings, fillers and function words contribute nothing ("how do I X" = "X").
 *
 * Features are hashed into `dimensions` signed buckets with sublinear weights; the vector is
 * L2-normalised. Cost: about 20-60 µs per prompt once the lexicon's memo is warm.
 */
import { analyse, initials } from '../canon.js';
import type { Lexicon } from '../lexicon/types.js';
import { normalise, type Embedder } from './types.js';

export interface WordNetEmbedderOptions {
  /** Vector size. Default 256. */
  dimensions?: number;
}

/** FNV-1a, 32-bit. */
function fnv(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function embedLexical(text: string, dims: number, lexicon: Lexicon): Float32Array {
  const counts = new Map<string, number>();
  const add = (f: string, w: number) => counts.set(f, (counts.get(f) ?? 0) + w);
  const { tokens, negations } = analyse(text, lexicon);
  for (const t of tokens) {
    const weight = t.free && t.kind === 'word' && !t.prep && !t.marker ? 0.5 : 1;
    if (t.marker) add(`m:${t.marker}>${t.key}`, 0.4);
    if (t.kind !== 'word') {
      add(`${t.kind}:${t.key}`, weight);
      continue;
    }
    const lemmas = lexicon.lemmas(t.key);
    const concepts = lexicon.concepts(t.key);
    add(`w:${lemmas[0]?.lemma ?? t.key}`, 0.6 * weight);
    for (const c of concepts) add(`c:${c}`, (0.8 * weight) / concepts.length);
    // an acronym and the term it abbreviates share a feature (WWII / World War II: `ww2`)
    for (const a of initials(t)) add(`a:${a}`, 0.8 * weight);
    const p = `#${t.key}#`;
    for (let i = 0; i + 3 <= p.length; i++) add(p.slice(i, i + 3), 0.08 * weight);
  }
  if (negations) add(`neg:${negations}`, 0.5);
  const v = new Float32Array(dims);
  for (const [f, c] of counts) {
    const h = fnv(f);
    v[h % dims] += (h & 0x80000000 ? -1 : 1) * Math.log1p(c);
  }
  return normalise(v);
}

export function wordnetEmbedder(lexicon: Lexicon, options: WordNetEmbedderOptions = {}): Embedder {
  const dims = options.dimensions ?? 256;
  return {
    id: `lexical-v2-${dims}-${lexicon.id}`,
    async embed(texts) {
      return texts.map((t) => embedLexical(t, dims, lexicon));
    },
  };
}
