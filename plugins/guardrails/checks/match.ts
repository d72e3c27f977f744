/**
 * What the text checks report: rule ids with spans (never the matched text itself, which stays in
 * the request), and the overlap resolution used before masking.
 */

export interface Match {
  /** Stable rule id, e.g. "pii.email" (what verdicts, the ledger and metrics carry). */
  rule: string;
  /** Placeholder label for masking, e.g. "EMAIL" -> [EMAIL_1]. */
  label: string;
  start: number;
  end: number;
  /** Higher wins when two matches overlap (a card number over a phone number). */
  priority: number;
}

/** A detector over one text: returns every match it finds. */
export interface Detector {
  readonly rule: string;
  readonly label: string;
  readonly priority: number;
  find(text: string): Match[];
}

/** Matches of `re` (global) that `accept` approves; `accept` may return a narrower [start, end). */
export function regexDetector(
  rule: string,
  label: string,
  priority: number,
  re: RegExp,
  accept: (m: RegExpExecArray, text: string) => boolean | [number, number] = () => true,
): Detector {
  if (!re.global) throw new Error(`detector ${rule}: the pattern must be global`);
  return {
    rule,
    label,
    priority,
    find(text) {
      const out: Match[] = [];
      re.lastIndex = 0;
      for (let m = re.exec(text); m; m = re.exec(text)) {
        if (m[0] === '') {
          re.lastIndex++;
          continue;
        }
        const ok = accept(m, text);
        if (ok === false) continue;
        const [start, end] = ok === true ? [m.index, m.index + m[0].length] : ok;
        out.push({ rule, label, start, end, priority });
      }
      return out;
    },
  };
}

/** Run `d` only on texts that contain `hint` (a cheap test that rules most texts out). */
export function withHint(hint: string, d: Detector): Detector {
  return { ...d, find: (text) => (text.includes(hint) ? d.find(text) : []) };
}

/** Non-overlapping matches, preferring higher priority, then longer spans; sorted by start. */
export function resolveOverlaps(matches: Match[]): Match[] {
  if (matches.length < 2) return matches;
  const ranked = [...matches].sort(
    (a, b) => b.priority - a.priority || b.end - b.start - (a.end - a.start) || a.start - b.start,
  );
  const kept: Match[] = [];
  for (const m of ranked) if (!kept.some((k) => m.start < k.end && k.start < m.end)) kept.push(m);
  return kept.sort((a, b) => a.start - b.start);
}

/** Up to `n` characters before `start`, lower-cased (for keyword context). */
export function before(text: string, start: number, n: number): string {
  return text.slice(Math.max(0, start - n), start).toLowerCase();
}

/** Only the digits of a string. */
export const digitsOf = (s: string): string => s.replace(/\D/g, '');
