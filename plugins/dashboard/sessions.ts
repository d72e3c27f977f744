/** Dashboard sessions: an opaque random id (the cookie) mapped server-side to an expiry and a CSRF token. */
import { randomBytes } from 'node:crypto';

export interface Session {
  id: string;
  csrf: string;
  expiresAt: number;
}

const MAX_SESSIONS = 1000;

export class Sessions {
  readonly #map = new Map<string, Session>();
  constructor(readonly ttlMs: number) {}

  create(now = Date.now()): Session {
    this.#sweep(now);
    if (this.#map.size >= MAX_SESSIONS) this.#map.delete(this.#map.keys().next().value!);
    const s: Session = {
      id: randomBytes(32).toString('base64url'),
      csrf: randomBytes(24).toString('base64url'),
      expiresAt: now + this.ttlMs,
    };
    this.#map.set(s.id, s);
    return s;
  }

  get(id: string | undefined, now = Date.now()): Session | undefined {
    if (!id) return undefined;
    const s = this.#map.get(id);
    if (!s) return undefined;
    if (s.expiresAt <= now) {
      this.#map.delete(id);
      return undefined;
    }
    return s;
  }

  delete(id: string): void {
    this.#map.delete(id);
  }
  clear(): void {
    this.#map.clear();
  }

  #sweep(now: number): void {
    for (const [id, s] of this.#map) if (s.expiresAt <= now) this.#map.delete(id);
  }
}

export interface LoginBackoffOptions {
  /** Delay of a first failure; each further failure in the window doubles it. */
  baseMs: number;
  maxMs: number;
  /** A quiet window after which an address's count starts over. */
  windowMs: number;
  /** Failures one address may have waiting at once; more are answered 429 without waiting. */
  maxPending: number;
}

const MAX_ADDRESSES = 10_000;

/**
 * Sign-in failures per client address, to slow guessing without ever locking anyone out: the answer
 * to a wrong key waits `baseMs * 2^(n-1)` (capped) for the address's n-th recent failure, and at most
 * `maxPending` such answers wait at once per address. A correct key is checked first and never waits.
 */
export class LoginBackoff {
  readonly #map = new Map<string, { count: number; last: number; pending: number }>();
  constructor(private readonly o: LoginBackoffOptions) {}

  /** Record a failure; the delay its answer should wait. */
  fail(addr: string, now = Date.now()): number {
    let f = this.#map.get(addr);
    if (f && now - f.last > this.o.windowMs) f.count = 0;
    if (!f) {
      if (this.#map.size >= MAX_ADDRESSES) this.#evict(now);
      f = { count: 0, last: now, pending: 0 };
    }
    this.#map.delete(addr); // re-insert: the map's order is least recently failed first
    this.#map.set(addr, f);
    f.count++;
    f.last = now;
    return Math.min(this.o.maxMs, this.o.baseMs * 2 ** Math.min(f.count - 1, 30));
  }

  /** Take a waiting slot for a failure's answer (false: the address has maxPending waiting). */
  hold(addr: string): boolean {
    const f = this.#map.get(addr);
    if (!f) return true;
    if (f.pending >= this.o.maxPending) return false;
    f.pending++;
    return true;
  }

  release(addr: string): void {
    const f = this.#map.get(addr);
    if (f && f.pending > 0) f.pending--;
  }

  /** Drop quiet addresses, else the least recently failed one (never one with answers waiting). */
  #evict(now: number): void {
    for (const [k, f] of this.#map) if (f.pending === 0 && now - f.last > this.o.windowMs) this.#map.delete(k);
    if (this.#map.size < MAX_ADDRESSES) return;
    for (const [k, f] of this.#map) {
      if (f.pending === 0) {
        this.#map.delete(k);
        return;
      }
    }
  }
}
