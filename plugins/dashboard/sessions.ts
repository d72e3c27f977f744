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

/** Failed sign-ins per client address in a fixed window: past `max`, sign-in is refused until the window ends. */
export class LoginFailures {
  readonly #map = new Map<string, { count: number; until: number }>();
  constructor(private readonly max: number, private readonly windowMs: number) {}

  blocked(ip: string, now = Date.now()): boolean {
    const f = this.#map.get(ip);
    if (f && f.until <= now) this.#map.delete(ip);
    return Boolean(f && f.until > now && f.count >= this.max);
  }

  add(ip: string, now = Date.now()): void {
    if (this.#map.size > 10_000) for (const [k, f] of this.#map) if (f.until <= now) this.#map.delete(k);
    const f = this.#map.get(ip);
    if (!f || f.until <= now) this.#map.set(ip, { count: 1, until: now + this.windowMs });
    else f.count++;
  }
}
