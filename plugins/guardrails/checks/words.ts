/** Word and pattern lists: whole words or phrases (case-insensitive by default) and regular expressions. */
import { regexDetector, type Detector } from './match.js';

export interface WordListOptions {
  /** Names this list in rule ids: "words.<name>". Default "list". */
  name?: string;
  /** Words or phrases, matched as whole words. */
  words?: string[];
  /** Regular expressions (source text, no slashes). */
  patterns?: string[];
  /** Default false. */
  caseSensitive?: boolean;
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Detectors for one list; throws with the bad entry when a pattern does not compile. */
export function wordListDetectors(o: WordListOptions): Detector[] {
  const rule = `words.${o.name ?? 'list'}`;
  const flags = o.caseSensitive ? 'gu' : 'giu';
  const out: Detector[] = [];
  if (o.words?.length) {
    const alt = o.words
      .map((w) => escapeRegex(w.trim()).replace(/\s+/g, '\\s+'))
      .filter(Boolean)
      .join('|');
    const whole = new RegExp(`(?<![\\p{L}\\p{N}_])(?:${alt})(?![\\p{L}\\p{N}_])`, flags);
    out.push(regexDetector(rule, 'REDACTED', 40, whole));
  }
  for (const p of o.patterns ?? []) {
    let re: RegExp;
    try {
      re = new RegExp(p, flags);
    } catch (e) {
      const list = o.name ?? 'list';
      const why = (e as Error).message;
      throw new Error(`pattern ${JSON.stringify(p)} of list "${list}" is not a valid regular expression (${why})`);
    }
    out.push(regexDetector(rule, 'REDACTED', 40, re));
  }
  return out;
}
