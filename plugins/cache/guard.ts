/**
 * The false-hit guard of the semantic tier. Similarity alone cannot tell "track order 48213" from
 * "track order 48231", "can I cancel" from "can't I cancel", or "Germany beat Brazil" from "Brazil
 * beat Germany": embeddings place them close together. After the similarity threshold, a
 * candidate is accepted only when its prompt and the new one agree on every check below, compared
 * on their canonical forms (canon.ts: "15%" = "fifteen percent", "5 mi" = "5 miles", "$100" =
 * "100 dollars", "how do I X" = "how can I X" = "X"). Each check can be switched off; all are on
 * by default.
 *
 * - numbers: the numbers with what they measure (`5|mi`, `100|usd`, `#1` for "first"), in order;
 * - identifiers: e-mails, URLs, code-like tokens (letters with digits, snake_case, camelCase, #123);
 * - negation: the count of negation cues (not, n't, no, never, without, except ...);
 * - entities: names (capitalised words, acronyms) and quoted text: each must be in the other prompt,
 *   as the same word or a synonym the lexicon knows (US / USA), never a look-alike;
 * - lexical: every other content word must be matched by the same word, an inflection of it
 *   (orders / order, wrote / write), a synonym from the lexicon (buy / purchase, big / large), or a
 *   derivation (cancel / cancellation) - in both directions, so nothing is added or dropped;
 * - relations: the roles of the matched words agree. A word after a directional word (to, from,
 *   than, before, after, over, under) keeps it ("to" may stay implicit: "send maria the report");
 *   no two words swap sides around another ("A beat B" / "B beat A"), and no name moves across a
 *   verb ("who beat Germany" / "who did Germany beat"). Question words, time words and words
 *   inside a prepositional phrase may move freely ("Paris weather" / "weather in Paris").
 */
import { analyse, initials, type Token } from './canon.js';
import type { Lexicon } from './lexicon/types.js';
import { wordnet } from './lexicon/wordnet.js';

export interface GuardOptions {
  numbers?: boolean;
  identifiers?: boolean;
  negation?: boolean;
  entities?: boolean;
  lexical?: boolean;
  relations?: boolean;
  /** Accept synonyms from the lexicon (lexical and entity checks). Default true. */
  synonyms?: boolean;
}

export type GuardReason = 'numbers' | 'identifiers' | 'negation' | 'entities' | 'lexical' | 'relations';

export interface PromptFeatures {
  tokens: Token[];
  negations: number;
}

/** Extract what the guard compares. Pure; about 20-60 µs for a short prompt. */
export function features(text: string, lexicon: Lexicon | null = wordnet()): PromptFeatures {
  return analyse(text, lexicon ?? undefined);
}

/** Light stemming for words the lexicon does not know (or without a lexicon). */
export function stem(w: string): string {
  if (w.length > 5 && w.endsWith('ing')) return w.slice(0, -3);
  if (w.length > 4 && w.endsWith('ied')) return w.slice(0, -3) + 'y';
  if (w.length > 4 && w.endsWith('ies')) return w.slice(0, -3) + 'y';
  if (w.length > 4 && w.endsWith('ed')) return w.slice(0, -2);
  if (w.length > 4 && w.endsWith('es') && /(?:ss|x|ch|sh)es$/.test(w)) return w.slice(0, -2);
  if (w.length > 3 && w.endsWith('s') && !w.endsWith('ss')) return w.slice(0, -1);
  return w;
}

const DERIVATIONS = new Set([
  'ation',
  'ition',
  'ion',
  'tion',
  'ment',
  'ments',
  'al',
  'ance',
  'ence',
  'ity',
  'ness',
  'er',
  'ers',
  'or',
  'ors',
  'ive',
  'able',
  'ible',
  'ization',
  'isation',
  'ly',
  'ing',
  'ings',
  'ed',
  's',
  'es',
]);

/** cancel / cancellation, install / installation, compress / compression, reverse / reversal. */
function derived(x: string, y: string): boolean {
  const [long, short] = x.length >= y.length ? [x, y] : [y, x];
  for (const base of short.endsWith('e') ? [short, short.slice(0, -1)] : [short]) {
    if (base.length < 5 || !long.startsWith(base)) continue;
    let rest = long.slice(base.length);
    if (rest[0] === base[base.length - 1]) rest = rest.slice(1);
    if (DERIVATIONS.has(rest)) return true;
  }
  return false;
}

function sameWord(a: string, b: string, lx: Lexicon | undefined): boolean {
  if (a === b) return true;
  if (stem(a) === stem(b)) return true;
  if (!lx) return false;
  const la = lx.lemmas(a);
  if (!la.length) return false;
  const lb = lx.lemmas(b);
  return la.some((x) => lb.some((y) => x.lemma === y.lemma));
}

type Level = (a: Token, b: Token) => boolean;

interface Alignment {
  /** [index in a, index in b] */
  pairs: Array<[number, number]>;
  unmatchedA: number[];
  unmatchedB: number[];
}

/**
 * An acronym written for a multi-word term the lexicon knows, by its initials: "WWII" / "World War
 * II" (world_war_ii), "WWI" / "World War 1" (canon.ts `initials`). Only a whole term of the lexicon
 * qualifies, never a run of words that happen to share initials.
 */
function initialism(acr: Token, term: Token): boolean {
  if (!acr.acronym || acr.kind !== 'word' || term.kind !== 'word' || !term.key.includes('_')) return false;
  const spelled = initials(term)[0];
  return spelled !== undefined && initials(acr).includes(spelled);
}

/** Match tokens of a to tokens of b, most certain matches first. */
function align(a: Token[], b: Token[], lx: Lexicon | undefined, synonyms: boolean): Alignment {
  const usedA = new Array<boolean>(a.length).fill(false),
    usedB = new Array<boolean>(b.length).fill(false);
  const pairs: Array<[number, number]> = [];
  const words = (x: Token, y: Token) =>
    (x.kind === 'word' || x.kind === 'id') && (y.kind === 'word' || y.kind === 'id');
  const plain = (x: Token, y: Token) => x.kind === 'word' && y.kind === 'word' && !x.acronym && !y.acronym;
  const levels: Level[] = [
    (x, y) => x.key === y.key && (x.kind === y.kind || words(x, y)),
    (x, y) => plain(x, y) && sameWord(x.key, y.key, lx),
  ];
  // an acronym's synonym must be a dictionary word as written (US / USA), not an inflection (HTTPS)
  const asWritten = (t: Token) => !t.acronym || lx!.lemmas(t.key).some((l) => l.lemma === t.key);
  if (synonyms && lx) {
    levels.push(
      (x, y) => x.kind === 'word' && y.kind === 'word' && asWritten(x) && asWritten(y) && lx.synonyms(x.key, y.key),
    );
  }
  levels.push((x, y) => x.kind === 'word' && y.kind === 'word' && !x.entity && !y.entity && derived(x.key, y.key));
  if (lx) levels.push((x, y) => initialism(x, y) || initialism(y, x));
  for (const level of levels) {
    for (let i = 0; i < a.length; i++) {
      if (usedA[i]) continue;
      for (let j = 0; j < b.length; j++) {
        if (usedB[j] || !level(a[i], b[j])) continue;
        usedA[i] = usedB[j] = true;
        pairs.push([i, j]);
        break;
      }
    }
  }
  return {
    pairs: pairs.sort((p, q) => p[0] - q[0]),
    unmatchedA: a.map((_, i) => i).filter((i) => !usedA[i]),
    unmatchedB: b.map((_, j) => j).filter((j) => !usedB[j]),
  };
}

/** Prepositions that "to" may stand for: "5 miles to km" / "5 miles in km". */
const TO_LIKE = new Set(['in', 'into', 'on', 'at']);

/** Do two matched tokens play the same role, as far as directional words tell? */
function sameRole(x: Token, y: Token, xs: Token[], ys: Token[]): boolean {
  if (x.marker && y.marker) return x.marker === y.marker;
  if (!x.marker && !y.marker) return true;
  // a target may be implicit ("send maria the report"), a source or a comparison may not
  const [m, other, otherSide] = x.marker ? [x.marker, y, ys] : [y.marker!, x, xs];
  if (m !== 'to') return false;
  if (other.prep && !TO_LIKE.has(other.prep)) return false;
  return !otherSide.some((t) => t.marker === 'to');
}

/**
 * Order: no two matched words swap sides around a third, and no (non-free) word moves across a
 * word that is most likely a verb.
 */
function sameOrder(a: Token[], b: Token[], pairs: Array<[number, number]>, lx: Lexicon | undefined): boolean {
  for (const [ip, jp] of pairs) {
    const pivot = a[ip];
    if (pivot.free && b[jp].free) continue;
    const verb = lx ? lx.likelyVerb(pivot.key) || lx.likelyVerb(b[jp].key) : false;
    let rightward = false,
      leftward = false;
    for (const [ix, jx] of pairs) {
      if (ix === ip || a[ix].free || b[jx].free) continue;
      const leftInA = ix < ip,
        leftInB = jx < jp;
      if (leftInA === leftInB) continue;
      // two coordinated nouns ("RAM and ROM" / "ROM and RAM") swap without changing roles: the
      // pivot is coordinated with a word that is no verb, so it is no verb either ("ram" is one
      // in WordNet). Coordinated verbs keep their order ("encrypt and compress").
      const coordinated =
        pivot.coord !== undefined &&
        pivot.coord === a[ix].coord &&
        b[jp].coord !== undefined &&
        b[jp].coord === b[jx].coord &&
        !lx?.likelyVerb(a[ix].key) &&
        !lx?.likelyVerb(b[jx].key);
      if (verb && pivot.kind === 'word' && !coordinated) return false;
      if (leftInA) rightward = true;
      else leftward = true;
      if (rightward && leftward) return false;
    }
  }
  return true;
}

/** Compare two prompts' features; the first failing check's name, or undefined when they agree. */
export function compare(
  a: PromptFeatures,
  b: PromptFeatures,
  o: GuardOptions = {},
  lexicon: Lexicon | null = wordnet(),
): GuardReason | undefined {
  const lx = lexicon ?? undefined;
  const na = a.tokens.filter((t) => t.kind === 'number'),
    nb = b.tokens.filter((t) => t.kind === 'number');
  if (o.numbers !== false && (na.length !== nb.length || na.some((t, i) => t.key !== nb[i].key))) return 'numbers';
  const ta = a.tokens.filter((t) => t.kind !== 'number'),
    tb = b.tokens.filter((t) => t.kind !== 'number');
  const m = align(ta, tb, lx, o.synonyms !== false);
  const left = [...m.unmatchedA.map((i) => ta[i]), ...m.unmatchedB.map((j) => tb[j])];
  if (o.identifiers !== false && left.some((t) => t.kind === 'id')) return 'identifiers';
  if (o.negation !== false && a.negations !== b.negations) return 'negation';
  if (o.entities !== false && left.some((t) => t.entity || t.kind === 'quote')) return 'entities';
  if (o.lexical !== false && left.some((t) => t.kind !== 'id' && !t.entity && t.kind !== 'quote')) return 'lexical';
  if (o.relations !== false) {
    if (na.length === nb.length && na.some((t, i) => !sameRole(t, nb[i], a.tokens, b.tokens))) return 'relations';
    if (m.pairs.some(([i, j]) => !sameRole(ta[i], tb[j], a.tokens, b.tokens))) return 'relations';
    if (!sameOrder(ta, tb, m.pairs, lx)) return 'relations';
  }
  return undefined;
}

/** Convenience: would the guard let `cached` answer `incoming`? */
export function guard(
  cached: string,
  incoming: string,
  o: GuardOptions = {},
  lexicon: Lexicon | null = wordnet(),
): GuardReason | undefined {
  return compare(features(cached, lexicon), features(incoming, lexicon), o, lexicon);
}
