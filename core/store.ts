/**
 * State behind an async interface: counters, cache entries, anything shared. The in-memory store is
 * the default; a Redis store implements the same contract with atomic server-side operations so the
 * same plugins work across several gateway instances.
 *
 * Values must be JSON-serialisable and treated as immutable once stored (the memory store keeps the
 * reference; a network store keeps a copy).
 */
import { LRUCache } from 'lru-cache';

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

type Boxed = { v: unknown };

export class MemoryStore implements Store {
  readonly #lru: LRUCache<string, Boxed>;

  constructor(options: MemoryStoreOptions = {}) {
    this.#lru = new LRUCache<string, Boxed>({
      max: options.maxEntries ?? 100_000,
      ttlAutopurge: false,
      allowStale: false,
    });
  }

  async get<T>(key: string): Promise<T | undefined> {
    return this.#lru.get(key)?.v as T | undefined;
  }

  async getMany<T>(keys: string[]): Promise<Array<T | undefined>> {
    return keys.map((k) => this.#lru.get(k)?.v as T | undefined);
  }

  async set(key: string, value: unknown, ttlMs?: number): Promise<void> {
    this.#lru.set(key, { v: value }, ttlMs ? { ttl: ttlMs } : undefined);
  }

  async delete(key: string): Promise<boolean> {
    return this.#lru.delete(key);
  }

  async increment(key: string, by = 1, ttlMs?: number): Promise<number> {
    const box = this.#lru.get(key);
    if (box && typeof box.v === 'number') {
      box.v += by; // same object: keeps its TTL, no re-insert
      return box.v;
    }
    this.#lru.set(key, { v: by }, ttlMs ? { ttl: ttlMs } : undefined);
    return by;
  }

  get size(): number {
    return this.#lru.size;
  }

  async close(): Promise<void> {
    this.#lru.clear();
  }
}
