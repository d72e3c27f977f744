/**
 * The offline embedder: no network, no model file. Feature hashing of
 *   - character n-grams (3 to 5) of each word padded with boundary marks ("#cancel#"),
 *   - the words themselves and adjacent word pairs,
 * into `dimensions` signed buckets, with sublinear term frequency (log(1 + weight)) and an IDF-like weight that
 * discounts function words (a fixed list, weight 0.25) so content words dominate.
 *
 * What it is good at: the same request written differently in surface form (case, punctuation,
 * contractions, word order, inflections, typos, filler words added or dropped). What it cannot do:
 * it knows no meaning. "Purchase" and "buy" share nothing; a paraphrase with different words scores
 * low, and two different requests with most words in common score high (the guard exists for that).
 * Use a provider embedder (a real embedding model) for true paraphrase recall.
 */
import { normalise, type Embedder } from './types.js';

const FUNCTION_WORDS = new Set(
  (
    'a an the is are was were be been am do does did can could would should will ' +
    'i me my you your we our it its this that these those there here what which of in on at to for from by ' +
    'with about as and or but if so please tell how not'
  ).split(' '),
);

/** FNV-1a, 32-bit. */
function fnv(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Expand contractions so "what's" and "what is", "don't" and "do not" share their words. */
function expand(t: string): string {
  return t
    .replace(/\bcan't\b/g, 'can not')
    .replace(/\bwon't\b/g, 'will not')
    .replace(/n't\b/g, ' not')
    .replace(/'re\b/g, ' are')
    .replace(/'m\b/g, ' am')
    .replace(/'ll\b/g, ' will')
    .replace(/'ve\b/g, ' have')
    .replace(/'d\b/g, ' would')
    .replace(/\b(what|where|who|how|when|why|that|there|it|he|she)'s\b/g, '$1 is');
}

export interface NgramEmbedderOptions {
  /** Vector size. Default 256. */
  dimensions?: number;
}

export function embedNgrams(text: string, dims: number): Float32Array {
  const v = new Float32Array(dims);
  const counts = new Map<string, number>();
  const add = (f: string, w: number) => counts.set(f, (counts.get(f) ?? 0) + w);
  const words = expand(text.toLowerCase().replace(/[’‘]/g, "'")).match(/[\p{L}\p{N}]+/gu) ?? [];
  let prev = '';
  for (const word of words) {
    const w = FUNCTION_WORDS.has(word) ? 0.25 : 1;
    add(`w:${word}`, w);
    if (prev) add(`b:${prev} ${word}`, 0.5 * w);
    prev = word;
    const p = `#${word}#`;
    for (let n = 3; n <= 5; n++) {
      for (let i = 0; i + n <= p.length; i++) add(p.slice(i, i + n), 0.5 * w);
    }
  }
  for (const [f, c] of counts) {
    const h = fnv(f);
    v[h % dims] += (h & 0x80000000 ? -1 : 1) * Math.log1p(c);
  }
  return normalise(v);
}

export function ngramEmbedder(options: NgramEmbedderOptions = {}): Embedder {
  const dims = options.dimensions ?? 256;
  return {
    id: `ngram-v1-${dims}`,
    async embed(texts) {
      return texts.map((t) => embedNgrams(t, dims));
    },
  };
}
