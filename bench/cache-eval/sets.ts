/**
 * The hand-written evaluation sets of the semantic cache (dev.txt: tuned on; heldout.txt: report
 * only). Format: "= prompt" starts a group (the prompt whose answer is cached), "+ kind | query"
 * is a paraphrase (must hit), "- kind | query" a near miss (must never be served that answer).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface LabelledPair {
  stored: string;
  query: string;
  /** true: a paraphrase (same answer); false: a near miss (another answer). */
  same: boolean;
  kind: string;
  group: number;
}

export function parseSet(text: string): LabelledPair[] {
  const out: LabelledPair[] = [];
  let stored: string | undefined;
  let group = -1;
  for (const [n, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    if (line.startsWith('= ')) {
      stored = line.slice(2).trim();
      group++;
      continue;
    }
    const m = /^([+-]) ([a-z-]+) \| (.+)$/.exec(line);
    if (!m || stored === undefined) throw new Error(`line ${n + 1}: cannot parse "${line}"`);
    out.push({ stored, query: m[3].trim(), same: m[1] === '+', kind: m[2], group });
  }
  return out;
}

export function loadSet(name: 'dev' | 'heldout'): LabelledPair[] {
  return parseSet(readFileSync(fileURLToPath(new URL(`./${name}.txt`, import.meta.url)), 'utf8'));
}
