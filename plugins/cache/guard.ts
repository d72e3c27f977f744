/**
 * The false-hit guard of the semantic tier. Similarity alone cannot tell "track order 48213" from
 * "track order 48231", or "can I cancel" from "can't I cancel": embeddings place them close
 * together. After the similarity threshold, a candidate is accepted only when its prompt and the
 * new one agree on every check below (each can be switched off; all are on by default):
 *
 * - numbers: the digit sequences (thousands separators removed) and number words, in order;
 * - identifiers: e-mail addresses, URLs, and tokens that look like codes (letters mixed with digits,
 *   `snake_case`, `camelCase`, `#123`, `v2.3`), case-sensitive, as sets;
 * - negation: the count of negation cues (not, n't, no, never, none, nothing, nobody, neither, nor,
 *   without, cannot, except, unless ...), so "do not" and "don't" agree but an added "not" does not;
 * - entities: capitalised words (not sentence-initial function words, not "I"), all-caps acronyms
 *   and quoted strings; each must occur (case-insensitively) in the other prompt;
 * - lexical: the content words (lower-cased, minus function words and request fillers such as
 *   "please", "tell me", "explain", lightly stemmed, a few conservative synonyms folded) must be
 *   the same set, allowing a word to match another it is a prefix of (cancel / cancellation). This
 *   catches swaps the other checks cannot see in lower-case text ("capital of france" vs "capital of
 *   germany"), at the price of recall on paraphrases that use different content words;
 * - relations: for each directional word both prompts use (to, from, into, than, vs, before, after
 *   ...), the content word that follows it must be the same, so "convert miles to km" does not
 *   answer "convert km to miles" although both hold the same words.
 */

export interface GuardOptions {
  numbers?: boolean;
  identifiers?: boolean;
  negation?: boolean;
  entities?: boolean;
  lexical?: boolean;
  relations?: boolean;
}

export type GuardReason = 'numbers' | 'identifiers' | 'negation' | 'entities' | 'lexical' | 'relations';

export interface PromptFeatures {
  numbers: string[];
  identifiers: string[];
  negations: number;
  entities: string[];
  content: string[];
  /** "marker>word" for each directional word and the content word after it, sorted. */
  relations: string[];
  /** Lower-cased words of the prompt, to look entities up in. */
  lower: string;
}

const NUMBER_WORDS = new Set(('zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen ' +
  'sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand million ' +
  'billion trillion first second third fourth fifth sixth seventh eighth ninth tenth half quarter twice dozen').split(' '));

const NEGATIONS = new Set(('not no never none nobody nothing nowhere neither nor without cannot cant dont doesnt didnt isnt ' +
  'arent wasnt werent wont wouldnt shouldnt couldnt hasnt havent hadnt mustnt neednt aint except excluding unless ' +
  'neither barely hardly').split(' '));

/** Words that carry no content of their own in a request (function words and request fillers). */
const FILLERS = new Set(('a an the is are was were be been being am do does did done can could would should will shall may ' +
  'might must i me my mine myself you your yours we our us it its this that these those there here what whats which ' +
  'of in on at to for from by with about as into than then so and or but if please kindly tell explain describe show ' +
  'give know let want like need just really actually simply briefly quickly exactly thanks thank hi hello hey some any ' +
  'okay ok also s t d ll re ve m is has have had say said mean means meaning way ways help able possible wondering ' +
  'wonder curious question answer quick short brief').split(' '));

/** Sentence-initial words that are not names even when capitalised. */
const COMMON_STARTERS = new Set(('what whats which who whom whose how hows why when where is are was were do does did can ' +
  'could would should will shall may might must please tell give explain describe show list write summarize summarise ' +
  'translate help make create find compare calculate convert define i im ive id ill my we our you your it its this that ' +
  'these those there here the a an and or but so if hi hello hey dear thanks thank ok okay yes no not never none ' +
  'in on at for from to with about after before during since until get set send check track cancel change update ' +
  'delete remove add let lets i\'m is\'nt any some all every each one two three first second next last now then also ' +
  'just only still again').split(' '));

/** Conservative synonym groups folded to their first word by the lexical check. */
const SYNONYMS: Record<string, string> = {};
for (const group of ['buy purchase', 'price cost', 'big large', 'small little', 'begin start', 'quick fast',
  'automobile car', 'assist help', 'reply respond', 'modify change alter', 'erase delete remove']) {
  const [head, ...rest] = group.split(' ');
  for (const w of rest) SYNONYMS[w] = head;
}

const DIRECTIONAL = new Set('to from into onto than vs versus before after over under above below'.split(' '));

const URL = /\b(?:https?:\/\/|www\.)[^\s<>"'`]+/gi;
const EMAIL = /[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g;
const QUOTED = /"([^"\n]{1,200})"|“([^”\n]{1,200})”|`([^`\n]{1,200})`|(?:^|\s)'([^'\n]{1,200})'(?=[\s.,!?;:)]|$)/g;
const TOKEN = /#?[\p{L}\p{N}][\p{L}\p{N}'_\-./#:]*[\p{L}\p{N}]|#?[\p{L}\p{N}]/gu;
const NUMBER = /\d+(?:[.,:]\d+)*/g;

function stem(w: string): string {
  if (w.length > 5 && w.endsWith('ing')) return w.slice(0, -3);
  if (w.length > 4 && w.endsWith('ied')) return w.slice(0, -3) + 'y';
  if (w.length > 4 && w.endsWith('ies')) return w.slice(0, -3) + 'y';
  if (w.length > 4 && w.endsWith('ed')) return w.slice(0, -2);
  if (w.length > 4 && w.endsWith('es') && /(?:ss|x|ch|sh)es$/.test(w)) return w.slice(0, -2);
  if (w.length > 3 && w.endsWith('s') && !w.endsWith('ss')) return w.slice(0, -1);
  return w;
}

function isIdentifier(tok: string): boolean {
  if (tok.length < 2) return false;
  const hasDigit = /\d/.test(tok);
  const hasLetter = /\p{L}/u.test(tok);
  return (hasDigit && hasLetter) || tok.includes('_') || /\p{Ll}\p{Lu}/u.test(tok) || /^#\d/.test(tok) ||
    (/^[0-9a-f]{8,}$/i.test(tok) && hasLetter);
}

/** Extract what the guard compares. Pure; about 10-30 µs for a short prompt. */
export function features(text: string): PromptFeatures {
  const identifiers = new Set<string>();
  const entities = new Set<string>();
  let rest = text.replace(/[’‘]/g, "'").replace(/(\d),(?=\d{3}\b)/g, '$1');
  rest = rest.replace(URL, (u) => { identifiers.add(u.replace(/[.,;:!?)\]]+$/, '')); return ' '; });
  rest = rest.replace(EMAIL, (e) => { identifiers.add(e.toLowerCase()); return ' '; });
  rest = rest.replace(QUOTED, (m, a, b, c, d) => {
    const q = String(a ?? b ?? c ?? d).trim().toLowerCase();
    if (q) entities.add(q);
    return ' , ';
  });

  const numbers: string[] = [];
  const content = new Set<string>();
  const relations: string[] = [];
  let pendingMarker = '';
  let negations = 0;
  let sentenceStart = true;
  const tokens = rest.match(new RegExp(`${TOKEN.source}|[.!?:;\\n]`, 'gu')) ?? [];
  for (const raw of tokens) {
    if (/^[.!?:;\n]$/.test(raw)) { sentenceStart = true; pendingMarker = ''; continue; }
    const tok = raw.replace(/[.:/-]+$/, '');
    if (!tok) continue;
    if (isIdentifier(tok)) identifiers.add(tok);
    for (const n of tok.match(NUMBER) ?? []) numbers.push(n.replace(/(\d),(?=\d{3}\b)/g, '$1'));
    const lower = tok.toLowerCase();
    const bare = lower.replace(/'/g, '');
    if (NUMBER_WORDS.has(bare)) numbers.push(bare);
    if (NEGATIONS.has(bare) || lower.endsWith("n't")) negations++;
    // entities: capitalised words, acronyms
    if (/^\p{Lu}/u.test(tok) && tok !== 'I' && !/\d/.test(tok)) {
      const word = lower.replace(/'s$/, '');
      if (!(sentenceStart && COMMON_STARTERS.has(bare)) && !(sentenceStart && FILLERS.has(bare))) entities.add(word);
    }
    sentenceStart = false;
    // content words (a negated auxiliary such as "don't" counts as a negation only)
    if (lower.endsWith("n't")) continue;
    if (/\d/.test(tok) && pendingMarker) { relations.push(`${pendingMarker}>${tok}`); pendingMarker = ''; }
    for (const part of lower.split(/'/)) {
      if (!/^\p{L}+$/u.test(part) || FILLERS.has(part) || NEGATIONS.has(part) || NUMBER_WORDS.has(part) || part === 'nt') continue;
      const s = stem(part);
      const word = SYNONYMS[s] ?? SYNONYMS[part] ?? s;
      content.add(word);
      if (pendingMarker) { relations.push(`${pendingMarker}>${word}`); pendingMarker = ''; }
    }
    if (DIRECTIONAL.has(lower)) pendingMarker = lower;
  }
  const lowerText = ` ${text.toLowerCase().replace(/[’‘]/g, "'").replace(/[^\p{L}\p{N}'_@.#-]+/gu, ' ')} `;
  return { numbers, identifiers: [...identifiers].sort(), negations, entities: [...entities].sort(), content: [...content].sort(), relations: relations.sort(), lower: lowerText };
}

function sameList(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function entitiesCovered(ents: string[], other: PromptFeatures): boolean {
  for (const e of ents) {
    const needle = e.replace(/[^\p{L}\p{N}'_@.#-]+/gu, ' ').trim();
    if (!other.lower.includes(` ${needle} `) && !other.lower.includes(` ${needle}'s `)) return false;
  }
  return true;
}

function contentMatches(a: string[], b: string[]): boolean {
  const setB = new Set(b);
  const onlyA = a.filter((w) => !setB.has(w));
  const setA = new Set(a);
  const onlyB = b.filter((w) => !setA.has(w));
  // a word matches another it is a prefix of (cancel / cancellation), with at least 4 letters shared
  const match = (x: string, ys: string[]) => ys.some((y) => x.length >= 4 && y.length >= 4 && (x.startsWith(y) || y.startsWith(x)));
  return onlyA.every((x) => match(x, onlyB)) && onlyB.every((y) => match(y, onlyA));
}

/** For every directional word both prompts use, the words after it must agree. */
function sameRelations(a: string[], b: string[]): boolean {
  const markers = (xs: string[]) => new Set(xs.map((x) => x.slice(0, x.indexOf('>'))));
  const mb = markers(b);
  for (const m of markers(a)) {
    if (!mb.has(m)) continue;
    const pa = a.filter((x) => x.startsWith(`${m}>`)), pb = b.filter((x) => x.startsWith(`${m}>`));
    if (!sameList(pa, pb)) return false;
  }
  return true;
}

/** Compare two prompts' features; the first failing check's name, or undefined when they agree. */
export function compare(a: PromptFeatures, b: PromptFeatures, o: GuardOptions = {}): GuardReason | undefined {
  if (o.numbers !== false && !sameList(a.numbers, b.numbers)) return 'numbers';
  if (o.identifiers !== false && !sameList(a.identifiers, b.identifiers)) return 'identifiers';
  if (o.negation !== false && a.negations !== b.negations) return 'negation';
  if (o.entities !== false && !(entitiesCovered(a.entities, b) && entitiesCovered(b.entities, a))) return 'entities';
  if (o.lexical !== false && !contentMatches(a.content, b.content)) return 'lexical';
  if (o.relations !== false && !sameRelations(a.relations, b.relations)) return 'relations';
  return undefined;
}

/** Convenience: would the guard let `cached` answer `incoming`? */
export function guard(cached: string, incoming: string, o: GuardOptions = {}): GuardReason | undefined {
  return compare(features(cached), features(incoming), o);
}
