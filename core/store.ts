/**
 * State behind an async interface: counters, cache entries, anything shared. The in-memory store is
 * the default; a Redis store implements the same contract with atomic server-side operations so the
 * same plugins work across several gateway instances.
 *
 * Values must be JSON-serialisable and treated as immutable once stored (the memory store keeps the
 * reference; a network store keeps a copy).
 */
export interface Store {
  get<T = unknown>(key: string): Promise<T | undefined>;
  /** Optional: several values at once, in order (one round trip on a network store). */
  getMany?<T = unknown>(keys: string[]): Promise<Array<T | undefined>>;
  /** Set a value, optionally expiring after ttlMs. */
  set(key: string, value: unknown, ttlMs?: number): Promise<void>;
  delete(key: string): Promise<boolean>;
  /**
   * Atomically add `by` to a numeric counter (created at 0) and return the new value. `ttlMs` applies
   * only when the counter is created, so a window counter expires with its window.
   */
  increment(key: string, by?: number, ttlMs?: number): Promise<number>;
  close(): Promise<void>;
  /**
   * Optional: called once by createGateway before plugins apply, so a network store can register
   * a readiness check, hooks or routes (the Redis store does).
   */
  attach?(gateway: import('./gateway-types.js').Gateway): void | Promise<void>;
}

export interface MemoryStoreOptions {
  /** Most entries kept; least recently used go first. Default 100 000. */
  maxEntries?: number;
}

/** A value and when it expires (ms since the epoch; 0: never). */
type Entry = { v: unknown; exp: number };

/**
 * The default store: a Map kept in recency order (a hit moves its entry to the end, a new entry past
 * `maxEntries` pushes out the first). It grows with what it holds: an LRU library sized for the
 * 100 000 default allocated ~4 MiB of arrays up front, in every gateway, before a single entry.
 * Expired entries go when they are read or pushed out, as before.
 */
export class MemoryStore implements Store {
  readonly #map = new Map<string, Entry>();
  readonly #max: number;

  constructor(options: MemoryStoreOptions = {}) {
    this.#max = Math.max(1, options.maxEntries ?? 100_000);
  }

  /** The live entry under `key`, now the most recently used; undefined if absent or expired. */
  #hit(key: string): Entry | undefined {
    const e = this.#map.get(key);
    if (e === undefined) return undefined;
    this.#map.delete(key);
    if (e.exp !== 0 && e.exp <= Date.now()) return undefined;
    this.#map.set(key, e);
    return e;
  }

  #put(key: string, v: unknown, ttlMs: number | undefined): Entry {
    const e = { v, exp: ttlMs ? Date.now() + ttlMs : 0 };
    if (!this.#map.delete(key) && this.#map.size >= this.#max) {
      this.#map.delete(this.#map.keys().next().value as string);
    }
    this.#map.set(key, e);
    return e;
  }

  async get<T>(key: string): Promise<T | undefined> {
    return this.#hit(key)?.v as T | undefined;
  }

  async getMany<T>(keys: string[]): Promise<Array<T | undefined>> {
    return keys.map((k) => this.#hit(k)?.v as T | undefined);
  }

  async set(key: string, value: unknown, ttlMs?: number): Promise<void> {
    this.#put(key, value, ttlMs);
  }

  async delete(key: string): Promise<boolean> {
    const e = this.#map.get(key);
    if (e === undefined) return false;
    this.#map.delete(key);
    return e.exp === 0 || e.exp > Date.now();
  }

  async increment(key: string, by = 1, ttlMs?: number): Promise<number> {
    const e = this.#hit(key);
    if (e && typeof e.v === 'number') {
      e.v += by; // same entry: keeps its TTL
      return e.v;
    }
    this.#put(key, by, ttlMs);
    return by;
  }

  /** Entries held, expired ones not yet read or pushed out included. */
  get size(): number {
    return this.#map.size;
  }

  async close(): Promise<void> {
    this.#map.clear();
  }
}
