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

/** A value, when it expires (ms since the epoch; 0: never), and its neighbours in recency order. */
interface Entry {
  readonly key: string;
  v: unknown;
  exp: number;
  /** The next more recently used entry (null: this is the newest). */
  newer: Entry | null;
  /** The next less recently used entry (null: this is the oldest). */
  older: Entry | null;
}

/**
 * The default store: an LRU of at most `maxEntries` entries, a Map from key to entry plus a list of the
 * entries in recency order (a hit moves its entry to the newest end; a new entry past the bound pushes
 * out the oldest). It grows with what it holds: an LRU library sized for the 100 000 default allocated
 * ~2.7 MiB of arrays up front (4 MiB once a TTL was used), in every gateway, before a single entry. The
 * order is not the Map's own: taking a Map's first key after many deletions walks over every deleted
 * slot at its front (18 µs per operation at 100 000 entries). Expired entries go when they are read
 * or pushed out.
 */
export class MemoryStore implements Store {
  readonly #map = new Map<string, Entry>();
  readonly #max: number;
  #newest: Entry | null = null;
  #oldest: Entry | null = null;

  constructor(options: MemoryStoreOptions = {}) {
    this.#max = Math.max(1, options.maxEntries ?? 100_000);
  }

  #unlink(e: Entry): void {
    if (e.newer) e.newer.older = e.older;
    else this.#newest = e.older;
    if (e.older) e.older.newer = e.newer;
    else this.#oldest = e.newer;
    e.newer = e.older = null;
  }

  #linkNewest(e: Entry): void {
    e.older = this.#newest;
    e.newer = null;
    if (this.#newest) this.#newest.newer = e;
    else this.#oldest = e;
    this.#newest = e;
  }

  #remove(e: Entry): void {
    this.#unlink(e);
    this.#map.delete(e.key);
  }

  /** The live entry under `key`, now the most recently used; undefined if absent or expired. */
  #hit(key: string): Entry | undefined {
    const e = this.#map.get(key);
    if (e === undefined) return undefined;
    if (e.exp !== 0 && e.exp <= Date.now()) {
      this.#remove(e);
      return undefined;
    }
    if (e !== this.#newest) {
      this.#unlink(e);
      this.#linkNewest(e);
    }
    return e;
  }

  #put(key: string, v: unknown, ttlMs: number | undefined): void {
    const exp = ttlMs ? Date.now() + ttlMs : 0;
    const held = this.#map.get(key);
    if (held) {
      held.v = v;
      held.exp = exp;
      if (held !== this.#newest) {
        this.#unlink(held);
        this.#linkNewest(held);
      }
      return;
    }
    if (this.#map.size >= this.#max && this.#oldest) this.#remove(this.#oldest);
    const e: Entry = { key, v, exp, newer: null, older: null };
    this.#map.set(key, e);
    this.#linkNewest(e);
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
    this.#remove(e);
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
    this.#newest = this.#oldest = null;
  }
}
