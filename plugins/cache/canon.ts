/**
 * The canonical form of a prompt, shared by the guard (guard.ts) and the lexical embedder
 * (embedders/wordnet.ts). A prompt becomes a sequence of tokens in their original order:
 *
 * - numbers with what they measure: "15%", "15 percent" and "fifteen per cent" are `15|pct`;
 *   "5 miles", "5 mi" are `5|mi`; "$100", "100 dollars", "USD 100" are `100|usd`; "20°C" and
 *   "twenty degrees Celsius" are `20|celsius`; "a pound" is `1|lb`; ordinals "first", "1st" are `#1`;
 * - content words (lower case, with the prepositions and the directional word that govern them);
 * - units and currencies that measure nothing ("... to km", "in euros");
 * - identifiers (e-mails, URLs, codes) and quoted text;
 * - arithmetic operators ("+", "plus", "x", "times" ...) next to numbers.
 *
 * Removed: function words, request fillers ("please", "tell me"), request framings ("how do I",
 * "how can I", "what is the way to" ...), and, when the prompt computes or converts a measure,
 * the words that only frame that ("convert", "calculate", "how many"). Negation cues are counted.
 * What a word means is never decided here: that is the lexicon's job (lexicon/).
 */
import {
  AMBIGUOUS_CURRENCY,
  COMMON_STARTERS,
  COMPUTE_FRAMING,
  CURRENCIES,
  DIRECTIONAL,
  FILLERS,
  FRAMINGS,
  FREE_TIME,
  NEGATIONS,
  OPERATORS,
  ORDINALS,
  PLAIN_PREPOSITIONS,
  QUANTITY_WORDS,
  SCALES,
  SHORT_UNITS,
  TENS,
  UNITS,
  UNITS_0_19,
  WH,
} from './canon-tables.js';
import { LRUCache } from 'lru-cache';
import type { Lexicon } from './lexicon/types.js';

export type TokenKind = 'word' | 'number' | 'id' | 'quote' | 'unit' | 'op';

export interface Token {
  kind: TokenKind;
  /** Canonical form: lower-case word, `5|km`, `#1`, an identifier, quoted text, a unit or an operator. */
  key: string;
  /** A capitalised name or an acronym: matched only by the same word or a synonym. */
  entity: boolean;
  /** All capitals (HTTP, USD): matched only by the same letters. */
  acronym: boolean;
  /** The directional word governing the token (to, from, than, before, after, over, under). */
  marker?: string;
  /** The plain preposition governing the token (in, on, with, by, of ...). */
  prep?: string;
  /** Free to move in the sentence: question words, time words, anything in a prepositional phrase. */
  free: boolean;
  /** Words joined by and / or / vs ("RAM and ROM") share a number: swapping them changes no role. */
  coord?: number;
}

export interface Analysis {
  tokens: Token[];
  negations: number;
}

const SPECIAL = /\uE000(\d+)\uE001/;
const URL = /\b(?:https?:\/\/|www\.)[^\s<>"'`]+/gi;
const EMAIL = /[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g;
const QUOTED = /"([^"\n]{1,200})"|(?:^|(?<=\s))'([^'\n]{1,200})'(?=[\s.,!?;:)]|$)/g;
const RAW = new RegExp(
  [
    '\\uE000\\d+\\uE001', // a quoted span's placeholder
    "'s\\b",
    '−?\\d+(?:[.:]\\d+)*(?:st|nd|rd|th)?', // numbers, times, ordinals
    '#\\d+',
    "[\\p{L}\\p{N}](?:[\\p{L}\\p{N}'_.#@-]*[\\p{L}\\p{N}])?", // words
    '[$€£¥₹₩₽]',
    '[.!?;:\\n]',
    ',',
    '-',
  ].join('|'),
  'gu',
);
const UNIT_SUFFIX =
  /(\d)(km|kms|kg|kgs|mi|lbs?|cm|mm|ml|oz|ft|g|l|m|h|hrs?|mins?|s|secs?|gb|mb|kb|tb|mph|kph|kmh|am|pm)\b/gi;
const FRAMING = new RegExp(`\\b(?:${FRAMINGS.join('|')})\\b`, 'gi');

type Item =
  | { t: 'word'; w: string; cased: string; initial: boolean; term?: boolean }
  | { t: 'num'; key: string; value?: number }
  | { t: 'special'; kind: 'id' | 'quote'; key: string }
  | { t: 'stop' }
  | { t: 'comma' }
  | { t: 'dash' };

function expandContractions(s: string): string {
  return s
    .replace(/\bcan't\b/gi, 'can not')
    .replace(/\bwon't\b/gi, 'will not')
    .replace(/\bshan't\b/gi, 'shall not')
    .replace(/n't\b/gi, ' not')
    .replace(/'re\b/gi, ' are')
    .replace(/\b(i)'m\b/gi, '$1 am')
    .replace(/'ll\b/gi, ' will')
    .replace(/'ve\b/gi, ' have')
    .replace(/'d\b/gi, ' would')
    .replace(/\blet's\b/gi, 'let us')
    .replace(/\b(what|where|who|how|when|why|that|there|it|he|she|here)'s\b/gi, '$1 is')
    .replace(/'s\b/g, " 's")
    .replace(/s'(?=\s|$)/g, 's');
}

/** Symbols and attached units, spaced out and spelled as words. */
function spellSymbols(s: string): string {
  return s
    .replace(/(\d),(?=\d{3}\b)/g, '$1')
    .replace(/\b(?:[A-Za-z]\.){2,}/g, (m) => m.replace(/\./g, ''))
    .replace(
      /°\s*([CFK])\b/gi,
      (_m, u: string) => ` ${{ c: 'celsius', f: 'fahrenheit', k: 'kelvin' }[u.toLowerCase()]} `,
    )
    .replace(/°/g, ' degrees ')
    .replace(/(\d)\s*%/g, '$1 percent ')
    .replace(/%/g, ' percent ')
    .replace(/\bper\s+cent\b/gi, 'percent')
    .replace(/([$€£¥₹₩₽])\s*(?=\d)/g, ' $1 ')
    .replace(/(\d)\s*([$€£¥₹₩₽])/g, '$1 $2 ')
    .replace(/(^|[\s(=])-(?=\d)/g, '$1−')
    .replace(/(\d)\s*[x×*]\s*(?=\d)/g, '$1 times ')
    .replace(/(\d)\s*[/÷]\s*(?=\d)/g, '$1 div ')
    .replace(/(\d)\s+[-−]\s+(?=\d)/g, '$1 minus ')
    .replace(/(\d)\s*\+\s*(?=\d)/g, '$1 plus ')
    .replace(/√\s*/g, ' square root of ')
    .replace(/&/g, ' and ')
    .replace(/\b(divided|multiplied)\s+by\b/gi, '$1')
    .replace(UNIT_SUFFIX, '$1 $2');
}

function numberWordValue(w: string): number | undefined {
  const i = UNITS_0_19.indexOf(w);
  if (i >= 0) return i;
  const t = TENS.indexOf(w);
  return t >= 2 ? t * 10 : undefined;
}

/** Replace runs of number words ("one hundred eighty", "twenty-five", "a dozen") with numbers. */
function parseNumberWords(items: Item[]): Item[] {
  const out: Item[] = [];
  for (let i = 0; i < items.length; i++) {
    const it = items[i];
    if (it.t !== 'word') {
      out.push(it);
      continue;
    }
    const w = it.w;
    const next = items[i + 1];
    if ((w === 'a' || w === 'an') && next?.t === 'word' && (SCALES[next.w] || next.w === 'dozen')) {
      // "a hundred", "a dozen": the article is the number one
      items[i + 1] = { ...next };
      const scaled = next.w === 'dozen' ? 12 : SCALES[next.w];
      out.push({ t: 'num', key: String(scaled), value: scaled });
      i++;
      continue;
    }
    if (w === 'dozen') {
      out.push({ t: 'num', key: '12', value: 12 });
      continue;
    }
    let v = numberWordValue(w);
    if (v === undefined) {
      const ord = ORDINALS[w];
      const prev = out[out.length - 1];
      const unitSecond =
        w === 'second' && (prev?.t === 'num' || (prev?.t === 'word' && (prev.w === 'a' || prev.w === 'per')));
      if (ord !== undefined && !unitSecond) {
        out.push({ t: 'num', key: `#${ord}` });
        continue;
      }
      out.push(it);
      continue;
    }
    // a run: units, tens, "hundred", "thousand", optional "and" inside
    let total = 0,
      current = v,
      j = i + 1;
    for (; j < items.length; j++) {
      const x = items[j];
      if (x.t !== 'word') break;
      if (
        x.w === 'and' &&
        items[j + 1]?.t === 'word' &&
        numberWordValue((items[j + 1] as { w: string }).w) !== undefined &&
        current >= 100
      )
        continue;
      const u = numberWordValue(x.w);
      if (u !== undefined && u < 10 && current % 10 === 0 && current % 100 >= 20) {
        current += u;
        continue;
      }
      if (u !== undefined && u < 100 && current % 100 === 0 && current >= 100) {
        current += u;
        continue;
      }
      if (SCALES[x.w]) {
        if (SCALES[x.w] === 100) current = (current || 1) * 100;
        else {
          total += (current || 1) * SCALES[x.w];
          current = 0;
        }
        continue;
      }
      const ord = ORDINALS[x.w];
      if (ord !== undefined && ord < 10 && current % 10 === 0 && current >= 20) {
        out.push({ t: 'num', key: `#${total + current + ord}` });
        current = -1;
        j++;
        break;
      }
      break;
    }
    if (current >= 0) {
      v = total + current;
      out.push({ t: 'num', key: String(v), value: v });
    }
    i = j - 1;
  }
  return out;
}

function isAcronym(cased: string): boolean {
  return cased.length >= 2 && /^[\p{Lu}\d]+$/u.test(cased) && /\p{Lu}/u.test(cased);
}

function isIdentifierWord(cased: string): boolean {
  const hasDigit = /\d/.test(cased),
    hasLetter = /\p{L}/u.test(cased);
  return (hasDigit && hasLetter) || cased.includes('_') || /\p{Ll}\p{Lu}/u.test(cased) || /^#\d/.test(cased);
}

/** Units and currencies next to numbers: `5|mi`, `100|usd`, `20|celsius`, `1|lb` for "a pound". */
function attachUnits(items: Item[]): Item[] {
  const unitOf = (it: Item | undefined, afterNumber: boolean): string | undefined => {
    if (it?.t !== 'word') return undefined;
    return UNITS[it.w] ?? (afterNumber ? SHORT_UNITS[it.w] : undefined);
  };
  const currencyOf = (it: Item | undefined, nextToNumber: boolean): string | undefined => {
    if (it?.t !== 'word') return undefined;
    const c = CURRENCIES[it.w];
    return c && (nextToNumber || !AMBIGUOUS_CURRENCY.has(it.w)) ? c : undefined;
  };
  const out: Item[] = [];
  for (let i = 0; i < items.length; i++) {
    const it = items[i];
    if (it.t === 'num' && !it.key.startsWith('#')) {
      const prev = out[out.length - 1];
      const before = currencyOf(prev, true);
      if (before && prev?.t === 'word') {
        out.pop();
        out.push({ t: 'num', key: `${it.key}|${before}` });
        if (currencyOf(items[i + 1], true) === before) i++; // "$100 USD"
        continue;
      }
      let j = i + 1;
      let unit = unitOf(items[j], true);
      if (unit === 'deg') {
        const temp = unitOf(items[j + 1], true);
        if (temp === 'celsius' || temp === 'fahrenheit' || temp === 'kelvin') {
          unit = temp;
          j++;
        }
      }
      const cur = unit ? undefined : currencyOf(items[j], true);
      if (unit || cur) {
        out.push({ t: 'num', key: `${it.key}|${unit ?? cur}` });
        i = j;
        continue;
      }
      out.push(it);
      continue;
    }
    if (it.t === 'word' && (it.w === 'a' || it.w === 'an' || it.w === 'one')) {
      const unit = unitOf(items[i + 1], false);
      if (unit && unit !== 'pct' && unit !== 'deg') {
        out.push({ t: 'num', key: `1|${unit}` });
        i++;
        continue;
      }
    }
    out.push(it);
  }
  return out;
}

/**
 * "subtract 4 from 9" and "4 subtracted from 9" are "9 minus 4": the operands are written in the
 * order of the expression, so the numbers check (which compares them in order) sees the same thing.
 */
function subtractions(items: Item[]): Item[] {
  const word = (k: number, ...ws: string[]) => {
    const it = items[k];
    return it?.t === 'word' && ws.includes(it.w);
  };
  const out: Item[] = [];
  for (let i = 0; i < items.length; i++) {
    const it = items[i];
    const command = word(i, 'subtract', 'deduct') && items[i + 1]?.t === 'num' && word(i + 2, 'from');
    const passive = it.t === 'num' && word(i + 1, 'subtracted', 'deducted') && word(i + 2, 'from');
    if ((command || passive) && items[i + 3]?.t === 'num') {
      const a = command ? items[i + 1] : it;
      out.push(items[i + 3], { t: 'word', w: 'minus', cased: 'minus', initial: false }, a);
      i += 3;
      continue;
    }
    out.push(it);
  }
  return out;
}

function itemsOf(
  text: string,
  specials: Array<{ kind: 'id' | 'quote'; key: string }>,
  lexicon: Lexicon | undefined,
): Item[] {
  const items: Item[] = [];
  let initial = true;
  for (const raw of text.match(RAW) ?? []) {
    const sp = SPECIAL.exec(raw);
    if (sp) {
      items.push({ t: 'special', ...specials[Number(sp[1])] });
      initial = false;
      continue;
    }
    if (/^[.!?;:\n]$/.test(raw)) {
      items.push({ t: 'stop' });
      initial = true;
      continue;
    }
    if (raw === ',') {
      items.push({ t: 'comma' });
      continue;
    }
    if (raw === '-') continue;
    if (/^[−\d]/.test(raw) && /^−?\d+(?:[.:]\d+)*(?:st|nd|rd|th)?$/.test(raw)) {
      const ord = /^(\d+)(?:st|nd|rd|th)$/.exec(raw);
      const n = raw.replace('−', '-');
      items.push(
        ord
          ? { t: 'num', key: `#${Number(ord[1])}` }
          : { t: 'num', key: n.replace(/^(-?)0+(?=\d)/, '$1'), value: Number(n) },
      );
      initial = false;
      continue;
    }
    // hyphenated words: split "five-year-old", keep what the lexicon knows whole ("sci-fi", "e-mail")
    const lower = raw.toLowerCase();
    const numeric = lower.split('-').some((p) => numberWordValue(p) !== undefined || ORDINALS[p] !== undefined);
    const keep = !raw.includes('-') || (!numeric && (lexicon?.knows(lower) ?? false));
    for (const p of keep ? [raw] : raw.split('-').filter(Boolean)) {
      if (/^\d+$/.test(p)) {
        items.push({ t: 'num', key: p.replace(/^0+(?=\d)/, ''), value: Number(p) });
        continue;
      }
      items.push({ t: 'word', w: p.toLowerCase(), cased: p, initial });
      initial = false;
    }
  }
  return items;
}

/** British spellings the lexicon orders oddly: summarise -> summarize, centre -> center, colour -> color. */
function americanSpelling(w: string, lexicon: Lexicon): string {
  let us: string | undefined;
  if (/[^aeiou]is(e|es|ed|ing|ation|ations)$/.test(w)) us = w.replace(/is(e|es|ed|ing|ation|ations)$/, 'iz$1');
  else if (/ys(e|es|ed|ing)$/.test(w)) us = w.replace(/ys(e|es|ed|ing)$/, 'yz$1');
  else if (w.length >= 6 && /our(s|ed|ing|ite|ites|able)?$/.test(w))
    us = w.replace(/our(s|ed|ing|ite|ites|able)?$/, 'or$1');
  else if (w.length >= 5 && /[^aeiou]tre(s|d)?$/.test(w)) us = w.replace(/tre(s|d)?$/, 'ter$1');
  return us && lexicon.knows(us) ? us : w;
}

const ROMAN: Record<string, number> = { II: 2, III: 3, IV: 4, VI: 6, VII: 7, VIII: 8, IX: 9, XI: 11, XII: 12 };

/**
 * Multi-word terms the lexicon knows become one word ("World War II", "New York", "turn off",
 * "science fiction"); then Roman numerals after a name ("World War I" once no term matched).
 */
function joinTerms(items: Item[], lexicon: Lexicon | undefined): Item[] {
  const out: Item[] = [];
  const starts = (it: Item | undefined): it is Extract<Item, { t: 'word' }> =>
    it?.t === 'word' &&
    !FILLERS.has(it.w) &&
    !NEGATIONS.has(it.w) &&
    numberWordValue(it.w) === undefined &&
    DIRECTIONAL[it.w] === undefined &&
    !PLAIN_PREPOSITIONS.has(it.w);
  const part = (it: Item | undefined) =>
    it?.t === 'word' ? it.w : it?.t === 'num' && /^\d+$/.test(it.key) ? it.key : undefined;
  for (let i = 0; i < items.length; i++) {
    const it = items[i];
    if (lexicon && starts(it)) {
      let joined: Item | undefined;
      for (let k = 3; k >= 2 && !joined; k--) {
        const ps: string[] = [];
        for (let j = 0; j < k; j++) {
          const p = part(items[i + j]);
          if (p === undefined) break;
          ps.push(p);
        }
        // no function word or preposition inside a term: "capital of France" stays three words;
        // a capital "I" after a capitalised word is a Roman numeral ("World War I"), not a pronoun
        const roman = (j: number) => {
          const x = items[i + j],
            before = items[i + j - 1];
          return x?.t === 'word' && x.cased === 'I' && before?.t === 'word' && /^\p{Lu}/u.test(before.cased);
        };
        if (
          ps.length !== k ||
          ps.some((p, j) => j > 0 && !roman(j) && (FILLERS.has(p) || PLAIN_PREPOSITIONS.has(p) || DIRECTIONAL[p]))
        )
          continue;
        const term = ps.join('_');
        if (lexicon.lemmas(term).some((l) => l.lemma === term)) {
          const cased = items
            .slice(i, i + k)
            .map((x) => (x.t === 'word' ? x.cased : (x as { key: string }).key))
            .join('_');
          joined = { t: 'word', w: term, cased, initial: it.initial, term: true };
          i += k - 1;
        }
      }
      if (joined) {
        out.push(joined);
        continue;
      }
    }
    if (it.t === 'word') {
      const prev = out[out.length - 1];
      const afterName = prev?.t === 'word' && /^\p{Lu}/u.test(prev.cased) && !prev.initial;
      if (ROMAN[it.cased] !== undefined || (it.cased === 'I' && afterName)) {
        const v = ROMAN[it.cased] ?? 1;
        out.push({ t: 'num', key: String(v), value: v });
        continue;
      }
    }
    out.push(it);
  }
  return out;
}

/** A number, or a capitalised word that does not start a sentence, at items[k]. */
function nameAt(items: Item[], k: number): boolean {
  const n = items[k];
  return n?.t === 'num' || (n?.t === 'word' && /^\p{Lu}/u.test(n.cased) && !n.initial);
}

function numberAt(items: Item[], k: number): boolean {
  return items[k]?.t === 'num';
}

const memo = new WeakMap<object, LRUCache<string, Analysis>>();
const NO_LEXICON = {};

/**
 * Analyse a prompt (memoised: a lookup embeds and guards the same prompt, and stored prompts are
 * compared again and again). The result is shared: treat it as read-only.
 */
export function analyse(text: string, lexicon?: Lexicon): Analysis {
  const owner = lexicon ?? NO_LEXICON;
  let cache = memo.get(owner);
  if (!cache) memo.set(owner, (cache = new LRUCache<string, Analysis>({ max: 2048 })));
  let a = cache.get(text);
  if (!a) cache.set(text, (a = analyseText(text, lexicon)));
  return a;
}

const ROMAN_PART: Record<string, string> = { i: '1', ii: '2', iii: '3', iv: '4', v: '5', vi: '6' };

/**
 * How a token reads as initials: a multi-word term by the first letters of its words, a Roman
 * numeral or a number at the end by its value (world_war_ii: `ww2`); an acronym as written and,
 * when it ends in a Roman numeral, with its value (WWII: `wwii`, `ww2`). Empty for other tokens.
 */
export function initials(t: Token): string[] {
  if (t.kind !== 'word') return [];
  if (t.key.includes('_')) {
    const parts = t.key.split('_');
    return [parts.map((p, i) => (i > 0 && ROMAN_PART[p]) || (/^\d+$/.test(p) ? p : p[0])).join('')];
  }
  if (!t.acronym) return [];
  const m = /^(\p{L}+?)(i{1,3}|iv|vi?|\d+)$/u.exec(t.key);
  return m ? [t.key, m[1] + (ROMAN_PART[m[2]] ?? m[2])] : [t.key];
}

const BE_FORMS = new Set(['is', 'are', 'was', 'were', 'be', 'been', 'being', 'am', 'get', 'gets', 'got', 'gotten']);

/** Is items[i] ("by") right after a passive verb ("was beaten by", "is owned by", "was also written by")? */
function passiveBefore(items: Item[], i: number, lexicon: Lexicon): boolean {
  const p = items[i - 1];
  if (p?.t !== 'word' || !lexicon.lemmas(p.w).some((l) => l.pos === 'v')) return false;
  for (let k = i - 2; k >= Math.max(0, i - 4); k--) {
    const x = items[k];
    if (x?.t !== 'word') return false;
    if (BE_FORMS.has(x.w)) return true;
  }
  return false;
}

const CONJUNCTIONS = new Set(['and', 'or', 'vs', 'versus']);

const BE = '(?:was|were|is|are|has been|have been|had been)';
/** "X was Ved by whom?", "who was X Ved by?", "by whom was X Ved?": the question asks for the agent. */
const BY_WHOM = [
  new RegExp(`(^|[.!?;:\\n]\\s*)([^.!?;:\\n]+?)\\s+${BE}\\s+(\\p{L}+)\\s+by\\s+whom\\b`, 'giu'),
  new RegExp(`(^|[.!?;:\\n]\\s*)who\\s+${BE}\\s+([^.!?;:\\n]+?)\\s+(\\p{L}+)\\s+by(?=\\s*(?:[.!?;:\\n]|$))`, 'giu'),
  new RegExp(`(^|[.!?;:\\n]\\s*)by\\s+whom\\s+${BE}\\s+([^.!?;:\\n]+?)\\s+(\\p{L}+)(?=\\s*(?:[.!?;:\\n]|$))`, 'giu'),
];

/**
 * A passive question about the agent, asked actively: "Penicillin was discovered by whom?" is
 * "who discovered penicillin". Only when the word after the auxiliary can be a verb; the agent is
 * always the unknown "who", so no known name changes its role. An agent that is named ("was X
 * discovered by Fleming") is left as it is: the order check refuses it against the active form.
 */
function activeVoice(s: string, lexicon: Lexicon): string {
  const verb = (w: string) => lexicon.lemmas(w.toLowerCase()).some((l) => l.pos === 'v');
  for (const re of BY_WHOM)
    s = s.replace(re, (m, lead: string, object: string, participle: string) =>
      verb(participle) && !/\bby\b/i.test(object) ? `${lead}who ${participle} ${object}` : m,
    );
  return s;
}

/** The analysis itself. Pure; some tens of µs for a short prompt. */
function analyseText(text: string, lexicon?: Lexicon): Analysis {
  const specials: Array<{ kind: 'id' | 'quote'; key: string }> = [];
  const place = (kind: 'id' | 'quote', key: string) => ` \uE000${specials.push({ kind, key }) - 1}\uE001 `;
  let s = text
    .normalize('NFKC')
    .replace(/[’‘`´]/g, "'")
    .replace(/[“”«»„]/g, '"');
  s = s.replace(URL, (u) => place('id', u.replace(/[.,;:!?)\]]+$/, '')));
  s = s.replace(EMAIL, (e) => place('id', e.toLowerCase()));
  s = s.replace(QUOTED, (_m, a?: string, b?: string) => {
    const q = String(a ?? b)
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s'-]+/gu, ' ')
      .replace(/\s+/g, ' ')
      .trim();
    return q ? place('quote', q) : ' ';
  });
  s = spellSymbols(expandContractions(s));
  // request framings; "how do you say X in French" asks for a translation
  s = s
    .replace(/\bhow (?:do|would|can|could) (?:you|i|we|one) say\b([^?.!\n]*?)\bin\b/gi, 'translate$1to')
    .replace(/\bhow to say\b([^?.!\n]*?)\bin\b/gi, 'translate$1to');
  s = s.replace(FRAMING, ' ');
  if (lexicon) s = activeVoice(s, lexicon);

  let items = itemsOf(s, specials, lexicon);
  items = joinTerms(items, lexicon);
  items = parseNumberWords(items);
  items = attachUnits(items);
  items = subtractions(items);

  const hasNumber = items.some((i) => i.t === 'num');
  const measured =
    items.some((i) => i.t === 'num' && i.key.includes('|')) ||
    items.filter((i) => i.t === 'word' && (UNITS[i.w] || CURRENCIES[i.w])).length >= 2;

  const tokens: Token[] = [];
  let negations = 0;
  let plain: string | undefined, marker: string | undefined;
  /** A preposition governs the next content token and the names or numbers right after it ("in New York"). */
  let govern = false;
  const push = (
    t: Omit<Token, 'marker' | 'prep' | 'free' | 'acronym'> & { free?: boolean; acronym?: boolean },
    run: boolean,
  ) => {
    const tok: Token = { ...t, acronym: t.acronym ?? false, free: t.free ?? false };
    if (govern) {
      if (marker) tok.marker = marker;
      if (plain) tok.prep = plain;
      tok.free = true;
      if (!run) {
        govern = false;
        plain = marker = undefined;
      }
    }
    // "X and Y": the token right before the conjunction and this one are coordinated
    const conj = items[at - 1];
    const last = tokens[tokens.length - 1];
    if (last && lastAt === at - 2 && conj?.t === 'word' && CONJUNCTIONS.has(conj.w))
      tok.coord = last.coord ??= coords++;
    lastAt = at;
    tokens.push(tok);
  };
  let at = 0,
    lastAt = -1,
    coords = 0;
  for (let i = 0; i < items.length; i++) {
    at = i;
    const it = items[i];
    if (it.t === 'stop' || it.t === 'comma') {
      govern = false;
      plain = marker = undefined;
      continue;
    }
    if (it.t === 'dash') continue;
    if (it.t === 'num') {
      const prev = items[i - 1],
        next = items[i + 1];
      // "between 1 and 100" is "from 1 to 100"
      if (
        prev?.t === 'word' &&
        prev.w === 'between' &&
        next?.t === 'word' &&
        next.w === 'and' &&
        items[i + 2]?.t === 'num'
      ) {
        govern = true;
        marker = 'from';
        plain = undefined;
        push({ kind: 'number', key: it.key, entity: false }, false);
        items[i + 1] = { t: 'word', w: 'to', cased: 'to', initial: false };
        continue;
      }
      push({ kind: 'number', key: it.key, entity: false }, nameAt(items, i + 1));
      continue;
    }
    if (it.t === 'special') {
      // a quoted single word is a name like any other: "email" = email
      const word = it.kind === 'quote' && /^[\p{L}\p{N}_-]+$/u.test(it.key);
      push({ kind: word ? 'word' : it.kind, key: it.key, entity: it.kind === 'quote', acronym: false }, false);
      continue;
    }
    const w = it.w;
    if (w === "'s") {
      // possessive: "France's capital" = "capital of France"
      const last = tokens[tokens.length - 1];
      if (last && !last.prep && !last.marker) {
        last.prep = 'of';
        last.free = true;
      }
      continue;
    }
    const acronym = isAcronym(it.cased);
    if (NEGATIONS.has(w) || w === 'cant') {
      negations++;
      if (w === 'without') {
        govern = true;
        plain = 'without';
        marker = undefined;
      }
      continue;
    }
    if (DIRECTIONAL[w] && !acronym) {
      // "to" before a verb is an infinitive, not a target ("a function to reverse a string")
      const next = items[i + 1];
      if (w === 'to' && next?.t === 'word' && lexicon?.likelyVerb(next.w) && !/^\p{Lu}/u.test(next.cased)) continue;
      govern = true;
      marker = DIRECTIONAL[w];
      plain = undefined;
      continue;
    }
    if (w === 'between') continue;
    if (w === 'by' && lexicon && passiveBefore(items, i, lexicon)) {
      // the agent of a passive ("was beaten by Germany") has a role: Germany beat someone
      govern = true;
      marker = 'by';
      plain = undefined;
      continue;
    }
    if (PLAIN_PREPOSITIONS.has(w) && !acronym) {
      govern = true;
      plain = w;
      marker = undefined;
      continue;
    }
    const op = OPERATORS[w];
    if (
      op &&
      (numberAt(items, i - 1) ||
        numberAt(items, i + 1) ||
        w === 'divided' ||
        w === 'multiplied' ||
        w === 'plus' ||
        w === 'minus' ||
        w === 'times')
    ) {
      push({ kind: 'op', key: op, entity: false }, false);
      continue;
    }
    if ((w === 'divide' || w === 'multiply' || w === 'subtract') && numberAt(items, i + 1)) {
      push({ kind: 'op', key: w === 'divide' ? 'div' : w === 'multiply' ? 'times' : 'minus', entity: false }, false);
      continue;
    }
    if (w === 'how' && items[i + 1]?.t === 'word' && ['many', 'much'].includes((items[i + 1] as { w: string }).w)) {
      i++;
      if (!measured) push({ kind: 'word', key: 'how-many', entity: false, free: true }, false);
      continue;
    }
    if (measured && COMPUTE_FRAMING.has(w)) continue;
    if (hasNumber && (w === 'calculate' || w === 'compute' || w === 'evaluate' || w === 'result' || w === 'solve'))
      continue;
    if (w === 'may' && (numberAt(items, i + 1) || numberAt(items, i - 1))) {
      push({ kind: 'word', key: 'may', entity: true }, numberAt(items, i + 1));
      continue;
    }
    // "the US" is a country, "us" a pronoun
    const prevWord = items[i - 1]?.t === 'word' ? (items[i - 1] as { w: string }).w : undefined;
    // a one-letter unit is a unit after a number, and after "how many / how much" ("how many g of sugar")
    const asked = (prevWord === 'many' || prevWord === 'much') && SHORT_UNITS[w] !== undefined;
    if (FILLERS.has(w) && !acronym && !(w === 'us' && prevWord === 'the') && !asked) continue;
    if (w === 'i' || it.cased === 'I') continue;
    const unit =
      UNITS[w] ??
      (asked ? SHORT_UNITS[w] : undefined) ??
      (CURRENCIES[w] && !AMBIGUOUS_CURRENCY.has(w) ? CURRENCIES[w] : undefined);
    if (unit && !(acronym && !CURRENCIES[w])) {
      push({ kind: 'unit', key: unit, entity: false }, false);
      continue;
    }
    if (!it.term && isIdentifierWord(it.cased)) {
      push({ kind: 'id', key: w, entity: false }, false);
      continue;
    }
    const capital = /^\p{Lu}/u.test(it.cased) || (it.term === true && /_\p{Lu}/u.test(it.cased));
    // a capitalised first word is a name unless it is a common starter or a verb (an imperative: "Install X")
    const imperative =
      it.initial &&
      (COMMON_STARTERS.has(w.replace(/'/g, '')) || (lexicon?.lemmas(w).some((l) => l.pos === 'v') ?? false));
    const entity = acronym || (capital && !imperative);
    let key = lexicon ? americanSpelling(w.replace(/\.$/, ''), lexicon) : w.replace(/\.$/, '');
    if (key === 'whom') key = 'who';
    const free = WH.has(key) || FREE_TIME.has(key);
    push({ kind: 'word', key, entity, acronym, free }, entity && nameAt(items, i + 1));
  }
  return { tokens, negations };
}
