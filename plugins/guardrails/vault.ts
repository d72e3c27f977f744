/**
 * Reversible masking: each distinct value found in a request gets a numbered placeholder
 * ([EMAIL_1], [CREDIT_CARD_2], ...), the same value the same placeholder throughout the request. The
 * values stay in this object, in memory, for the request's lifetime; the provider sees placeholders
 * only, and answers get the values back (restore), also when a placeholder arrives split across
 * stream chunks (see StreamRestorer in channel.ts).
 */

const PLACEHOLDER = /\[([A-Z][A-Z0-9_]*?)_(\d{1,4})\]/g;

export class Vault {
  readonly #byValue = new Map<string, string>();
  readonly #byPlaceholder = new Map<string, string>();
  readonly #next = new Map<string, number>();
  /** Text already in the request, whose literal [LABEL_n] strings must not be reused. */
  readonly #taken: string;
  #longest = 0;

  constructor(requestText: string) {
    this.#taken = requestText;
  }

  get size(): number {
    return this.#byPlaceholder.size;
  }

  /** Length of the longest placeholder handed out (what a stream must hold back at most). */
  get longest(): number {
    return this.#longest;
  }

  /** The placeholder for `value` (a new one on first sight). */
  placeholder(label: string, value: string): string {
    const key = `${label}\u0000${value}`;
    const known = this.#byValue.get(key);
    if (known) return known;
    let n = this.#next.get(label) ?? 1;
    let p = `[${label}_${n}]`;
    while (this.#taken.includes(p) || this.#byPlaceholder.has(p)) p = `[${label}_${++n}]`;
    this.#next.set(label, n + 1);
    this.#byValue.set(key, p);
    this.#byPlaceholder.set(p, value);
    this.#longest = Math.max(this.#longest, p.length);
    return p;
  }

  /** Put the values back. `encode` makes them fit the context (JSON string contents for tool arguments). */
  restore(text: string, encode?: (value: string) => string): string {
    if (!this.#byPlaceholder.size || !text.includes('[')) return text;
    return text.replace(PLACEHOLDER, (p) => {
      const v = this.#byPlaceholder.get(p);
      return v === undefined ? p : encode ? encode(v) : v;
    });
  }

  /**
   * Where a placeholder may begin at the end of `text` and is not complete yet: the index to hold
   * back from, or -1. Only prefixes of placeholders this vault handed out count.
   */
  partialAt(text: string): number {
    if (!this.#byPlaceholder.size) return -1;
    const from = Math.max(0, text.length - this.#longest + 1);
    for (let i = text.lastIndexOf('['); i >= from; i = text.lastIndexOf('[', i - 1)) {
      const tail = text.slice(i);
      for (const p of this.#byPlaceholder.keys()) if (p.length > tail.length && p.startsWith(tail)) return i;
      if (i === 0) break;
    }
    return -1;
  }
}

/** JSON string contents of a value (for restoring inside tool-call arguments). */
export const jsonEscape = (v: string): string => JSON.stringify(v).slice(1, -1);
