/**
 * Budgets and rate limits go through this async interface so that a Redis implementation (one Lua
 * script per method, all keys of a call in one script) can share them across gateway instances.
 * Every multi-key method is all-or-nothing: either every limit passes and every counter moves, or
 * nothing changes. Amounts are integers (budgets: picodollars; limits: requests or tokens).
 */

export interface Reservation {
  key: string;
  /** Held until settled. */
  amount: number;
  limit: number;
  /** Counter lifetime (the end of its period); omitted for lifetime budgets. */
  ttlMs?: number;
}

export interface BudgetState {
  spent: number;
  held: number;
}

export interface RateItem {
  key: string;
  /** Units this request takes (1 for requests, estimated tokens for tokens). */
  cost: number;
  /** Units per window. */
  limit: number;
  windowMs: number;
}

export interface RateState {
  limit: number;
  remaining: number;
  /** Until the bucket is full again (ms). */
  resetMs: number;
}

export type RateResult =
  | { ok: true; states: RateState[] }
  | { ok: false; index: number; retryAfterMs: number; states: RateState[] };

export interface QuotaStore {
  /** Hold every amount if each counter's spent + held + amount stays within its limit. */
  reserve(items: Reservation[]): Promise<{ ok: true } | { ok: false; index: number; state: BudgetState }>;
  /** Release `reserved` and add `actual` to spent; returns the new states. */
  settle(items: Array<{ key: string; reserved: number; actual: number; ttlMs?: number }>): Promise<BudgetState[]>;
  get(key: string): Promise<BudgetState>;
  /** Set spent only if the counter does not exist (rebuild after a restart). */
  seed(key: string, spent: number, ttlMs?: number): Promise<void>;
  /** GCRA over several keys at instant `now`. */
  rate(items: RateItem[], now: number): Promise<RateResult>;
  /** Correct a GCRA key by `delta` units (negative gives back). */
  rateAdjust(item: RateItem, delta: number, now: number): Promise<void>;
  /** Take one concurrency slot of each key if all are below their limits. */
  acquire(items: Array<{ key: string; limit: number }>): Promise<{ ok: true } | { ok: false; index: number }>;
  release(keys: string[]): Promise<void>;
  /** Set-once flag (alert dedup): true the first time for a key. */
  once(key: string, ttlMs?: number): Promise<boolean>;
  /**
   * Drop these counters, buckets and flags from memory (an end user no longer tracked). Optional: a
   * shared store whose keys expire by themselves need not implement it.
   */
  forget?(keys: string[]): Promise<void>;
  close(): Promise<void>;
}

interface Entry<T> {
  v: T;
  exp: number;
}

const OK = Object.freeze({ ok: true as const });

/**
 * The store as a MemoryQuotaStore whose methods answer synchronously, or undefined: governance
 * admits and settles in one synchronous step with it (no promise per store call). A subclass may
 * override the async methods, so only the class itself qualifies.
 */
export function syncQuota(q: QuotaStore): MemoryQuotaStore | undefined {
  return q.constructor === MemoryQuotaStore ? (q as MemoryQuotaStore) : undefined;
}

/** The in-memory quota store: one process; every method is synchronous inside, hence atomic. */
export class MemoryQuotaStore implements QuotaStore {
  readonly #budgets = new Map<string, Entry<BudgetState>>();
  readonly #tats = new Map<string, number>();
  readonly #slots = new Map<string, number>();
  readonly #flags = new Map<string, number>();
  #sweptAt = 0;

  #budget(key: string, now = Date.now()): BudgetState | undefined {
    const e = this.#budgets.get(key);
    if (!e) return undefined;
    if (e.exp <= now) {
      this.#budgets.delete(key);
      return undefined;
    }
    return e.v;
  }

  #sweep(now: number): void {
    if (now - this.#sweptAt < 60_000) return;
    this.#sweptAt = now;
    for (const [k, e] of this.#budgets) if (e.exp <= now) this.#budgets.delete(k);
    for (const [k, tat] of this.#tats) if (tat < now) this.#tats.delete(k);
    for (const [k, exp] of this.#flags) if (exp <= now) this.#flags.delete(k);
  }

  /** reserve(), synchronously (the in-memory fast path of admission). */
  reserveNow(items: Reservation[]): { ok: true } | { ok: false; index: number; state: BudgetState } {
    const now = Date.now();
    this.#sweep(now);
    for (let i = 0; i < items.length; i++) {
      const it = items[i];
      const s = this.#budget(it.key, now) ?? { spent: 0, held: 0 };
      if (s.spent + s.held + it.amount > it.limit) return { ok: false as const, index: i, state: { ...s } };
    }
    for (const it of items) {
      const s = this.#budget(it.key, now);
      if (s) s.held += it.amount;
      else this.#budgets.set(it.key, { v: { spent: 0, held: it.amount }, exp: it.ttlMs ? now + it.ttlMs : Infinity });
    }
    return OK;
  }

  async reserve(items: Reservation[]) {
    return this.reserveNow(items);
  }

  /** settle(), synchronously. */
  settleNow(items: Array<{ key: string; reserved: number; actual: number; ttlMs?: number }>): BudgetState[] {
    const now = Date.now();
    return items.map((it) => {
      let s = this.#budget(it.key, now);
      if (!s) {
        s = { spent: 0, held: 0 };
        this.#budgets.set(it.key, { v: s, exp: it.ttlMs ? now + it.ttlMs : Infinity });
      }
      s.held = Math.max(0, s.held - it.reserved);
      s.spent += it.actual;
      return { ...s };
    });
  }

  async settle(items: Array<{ key: string; reserved: number; actual: number; ttlMs?: number }>) {
    return this.settleNow(items);
  }

  async get(key: string) {
    const s = this.#budget(key);
    return s ? { ...s } : { spent: 0, held: 0 };
  }

  async seed(key: string, spent: number, ttlMs?: number) {
    if (this.#budget(key)) return;
    this.#budgets.set(key, { v: { spent, held: 0 }, exp: ttlMs ? Date.now() + ttlMs : Infinity });
  }

  /** rate(), synchronously. */
  rateNow(items: RateItem[], now: number): RateResult {
    const states: RateState[] = [];
    const next: number[] = [];
    let refused: { index: number; retryAfterMs: number } | undefined;
    for (let i = 0; i < items.length; i++) {
      const it = items[i];
      const interval = it.windowMs / it.limit;
      const tat = Math.max(this.#tats.get(it.key) ?? now, now);
      const newTat = tat + it.cost * interval;
      const over = newTat - now - it.windowMs;
      if (over > 0 && !refused) {
        refused = { index: i, retryAfterMs: it.cost > it.limit ? it.windowMs : over };
      }
      next.push(newTat);
      const basis = over > 0 ? tat : newTat;
      states.push({
        limit: it.limit,
        remaining: Math.max(0, Math.floor((it.windowMs - (basis - now)) / interval)),
        resetMs: Math.max(0, basis - now),
      });
    }
    if (refused) return { ok: false, ...refused, states };
    for (let i = 0; i < items.length; i++) this.#tats.set(items[i].key, next[i]);
    return { ok: true, states };
  }

  async rate(items: RateItem[], now: number): Promise<RateResult> {
    return this.rateNow(items, now);
  }

  /** rateAdjust(), synchronously. */
  rateAdjustNow(item: RateItem, delta: number, now: number): void {
    const interval = item.windowMs / item.limit;
    const tat = Math.max(this.#tats.get(item.key) ?? now, now);
    this.#tats.set(item.key, Math.max(now, tat + delta * interval));
  }

  async rateAdjust(item: RateItem, delta: number, now: number) {
    this.rateAdjustNow(item, delta, now);
  }

  /** acquire(), synchronously. */
  acquireNow(items: Array<{ key: string; limit: number }>): { ok: true } | { ok: false; index: number } {
    for (let i = 0; i < items.length; i++) {
      if ((this.#slots.get(items[i].key) ?? 0) >= items[i].limit) return { ok: false as const, index: i };
    }
    for (const it of items) this.#slots.set(it.key, (this.#slots.get(it.key) ?? 0) + 1);
    return OK;
  }

  async acquire(items: Array<{ key: string; limit: number }>) {
    return this.acquireNow(items);
  }

  /** release(), synchronously. */
  releaseNow(keys: string[]): void {
    for (const k of keys) {
      const n = (this.#slots.get(k) ?? 0) - 1;
      if (n > 0) this.#slots.set(k, n);
      else this.#slots.delete(k);
    }
  }

  async release(keys: string[]) {
    this.releaseNow(keys);
  }

  /** once(), synchronously. */
  onceNow(key: string, ttlMs?: number): boolean {
    const now = Date.now();
    const exp = this.#flags.get(key);
    if (exp !== undefined && exp > now) return false;
    this.#flags.set(key, ttlMs ? now + ttlMs : Infinity);
    return true;
  }

  async once(key: string, ttlMs?: number) {
    return this.onceNow(key, ttlMs);
  }

  async forget(keys: string[]) {
    for (const k of keys) {
      this.#budgets.delete(k);
      this.#tats.delete(k);
      this.#flags.delete(k);
      if (!this.#slots.get(k)) this.#slots.delete(k);
    }
  }

  async close() {
    this.#budgets.clear();
    this.#tats.clear();
    this.#slots.clear();
    this.#flags.clear();
  }
}
