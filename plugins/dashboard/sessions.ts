/** Dashboard sessions: an opaque random id (the cookie) mapped server-side to an expiry and a CSRF token. */
import { randomBytes } from 'node:crypto';

export interface Session { id: string; csrf: string; expiresAt: number }

const MAX_SESSIONS = 1000;

export class Sessions {
  readonly #map = new Map<string, Session>();
  constructor(readonly ttlMs: number) {}

  create(now = Date.now()): Session {
    this.#sweep(now);
    if (this.#map.size >= MAX_SESSIONS) this.#map.delete(this.#map.keys().next().value!);
    const s: Session = { id: randomBytes(32).toString('base64url'), csrf: randomBytes(24).toString('base64url'), expiresAt: now + this.ttlMs };
    this.#map.set(s.id, s);
    return s;
  }

  get(id: string | undefined, now = Date.now()): Session | undefined {
    if (!id) return undefined;
    const s = this.#map.get(id);
    if (!s) return undefined;
    if (s.expiresAt <= now) { this.#map.delete(id); return undefined; }
    return s;
  }

  delete(id: string): void { this.#map.delete(id); }
  clear(): void { this.#map.clear(); }

  #sweep(now: number): void {
    for (const [id, s] of this.#map) if (s.expiresAt <= now) this.#map.delete(id);
  }
}
