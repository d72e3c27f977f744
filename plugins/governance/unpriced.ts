/**
 * When governance writes "no catalog price for a target; its cost is not held": at most once per target per
 * interval (10 minutes), with the number of requests it covers (those since the target's last line, this one
 * included). Once per request it doubled the log of a gateway whose budgets meet an unpriced model. The
 * targets remembered are bounded (a target name can carry a client's model name): past `max`, the target
 * whose line is oldest is forgotten and warned about again when it next comes.
 */
export interface UnpricedLine {
  target: string;
  requests: number;
}

interface Seen {
  /** When the target's last line was written (ms). */
  at: number;
  /** Requests since that line, counted until the next. */
  quiet: number;
}

export class UnpricedWarnings {
  readonly #seen = new Map<string, Seen>();
  readonly #everyMs: number;
  readonly #max: number;

  constructor(everyMs = 600_000, max = 1000) {
    this.#everyMs = everyMs;
    this.#max = max;
  }

  /** The targets of one request that are due a line now; the others are counted for their next one. */
  due(targets: readonly string[], now = Date.now()): UnpricedLine[] {
    const out: UnpricedLine[] = [];
    for (const target of targets) {
      const seen = this.#seen.get(target);
      if (seen && now - seen.at < this.#everyMs) {
        seen.quiet++;
        continue;
      }
      out.push({ target, requests: (seen?.quiet ?? 0) + 1 });
      // re-inserted: the map's order is the order of the lines, oldest first
      this.#seen.delete(target);
      if (this.#seen.size >= this.#max) this.#seen.delete(this.#seen.keys().next().value as string);
      this.#seen.set(target, { at: now, quiet: 0 });
    }
    return out;
  }
}
