/** "Did you mean": the closest of a few known names to a mistyped one, for error messages. */

/** Edits (insert, delete, substitute, swap two neighbours) between two short strings, case-insensitive. */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  const d: number[][] = Array.from({ length: s.length + 1 }, (_, i) => [i, ...new Array<number>(t.length).fill(0)]);
  for (let j = 1; j <= t.length; j++) d[0][j] = j;
  for (let i = 1; i <= s.length; i++) {
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1])
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[s.length][t.length];
}

/**
 * The known name closest to `word`, if it is within `maxEdits` (default: 2, or 1 for names of four characters
 * or fewer) and no other name is as close; otherwise undefined.
 */
export function closest(word: string, known: readonly string[], maxEdits?: number): string | undefined {
  const limit = maxEdits ?? (word.length <= 4 ? 1 : 2);
  let best: string | undefined;
  let bestD = Number.POSITIVE_INFINITY;
  let tie = false;
  for (const k of known) {
    const dist = editDistance(word, k);
    if (dist < bestD) {
      best = k;
      bestD = dist;
      tie = false;
    } else if (dist === bestD) tie = true;
  }
  return bestD <= limit && !tie ? best : undefined;
}
