/**
 * Circuit breaker per target, kept in the gateway Store (so a Redis store shares it between
 * instances). closed -> open after `failureThreshold` consecutive failures, a failure rate above
 * `failureRate` in the current window (once `minRequests` were seen), or at once on a hard error
 * (connection refused, DNS); open -> half-open after `cooldownMs`; half-open lets one probe through:
 * success closes, failure reopens. Writes are serialised in the background; `flush()` waits for them.
 */
import type { BreakerConfig } from '../../core/config-types.js';
import type { Store } from '../../core/store.js';

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerSnapshot {
  state: BreakerState;
  consecutiveFailures: number;
  window: { requests: number; failures: number };
  /** Epoch ms when an open breaker allows a probe. */
  openUntil?: number;
  reason?: string;
}

interface OpenMark { until: number; reason: string }

export const BREAKER_DEFAULTS: Required<BreakerConfig> = {
  failureThreshold: 5, failureRate: 0.5, minRequests: 10, windowMs: 30_000, cooldownMs: 30_000, tripOnUnreachable: true,
};

export class Breaker {
  readonly o: Required<BreakerConfig>;
  #chain: Promise<void> = Promise.resolve();

  constructor(private readonly store: Store, options: BreakerConfig = {}) {
    this.o = { ...BREAKER_DEFAULTS, ...options };
  }

  #k(key: string, part: string) {
    return `breaker:${key}:${part}`;
  }

  #bucket() {
    return Math.floor(Date.now() / this.o.windowMs);
  }

  async state(key: string): Promise<BreakerState> {
    if (await this.store.get(this.#k(key, 'open'))) return 'open';
    return (await this.store.get(this.#k(key, 'tripped'))) ? 'half-open' : 'closed';
  }

  /** May traffic go to this target now? In half-open, the first caller gets the one probe. */
  async allow(key: string): Promise<boolean> {
    const s = await this.state(key);
    if (s === 'closed') return true;
    if (s === 'open') return false;
    return (await this.store.increment(this.#k(key, 'probe'), 1, this.o.cooldownMs)) === 1;
  }

  /** Record the end of an attempt (background; ordered). */
  record(key: string, ok: boolean, hard = false): void {
    this.#chain = this.#chain.then(() => (ok ? this.#success(key) : this.#failure(key, hard))).catch(() => undefined);
  }

  /** Resolves once every recorded outcome has been written. */
  flush(): Promise<void> {
    return this.#chain;
  }

  async #success(key: string): Promise<void> {
    const b = this.#bucket();
    await this.store.increment(this.#k(key, `w${b}:n`), 1, this.o.windowMs * 2);
    if (await this.store.get(this.#k(key, 'tripped'))) {
      await Promise.all(['tripped', 'open', 'probe'].map((p) => this.store.delete(this.#k(key, p))));
    }
    if (await this.store.get(this.#k(key, 'consec'))) await this.store.delete(this.#k(key, 'consec'));
  }

  async #failure(key: string, hard: boolean): Promise<void> {
    const b = this.#bucket();
    const [n, f, consec] = await Promise.all([
      this.store.increment(this.#k(key, `w${b}:n`), 1, this.o.windowMs * 2),
      this.store.increment(this.#k(key, `w${b}:f`), 1, this.o.windowMs * 2),
      this.store.increment(this.#k(key, 'consec'), 1),
    ]);
    const halfOpen = (await this.state(key)) === 'half-open';
    const reason = halfOpen ? 'probe failed'
      : hard && this.o.tripOnUnreachable ? 'host unreachable'
        : consec >= this.o.failureThreshold ? `${consec} consecutive failures`
          : n >= this.o.minRequests && f / n >= this.o.failureRate ? `failure rate ${f}/${n}` : undefined;
    if (reason) await this.#open(key, reason);
  }

  async #open(key: string, reason: string): Promise<void> {
    const mark: OpenMark = { until: Date.now() + this.o.cooldownMs, reason };
    await this.store.set(this.#k(key, 'open'), mark, this.o.cooldownMs);
    await this.store.set(this.#k(key, 'tripped'), true, this.o.cooldownMs * 20);
    await this.store.delete(this.#k(key, 'probe'));
  }

  async snapshot(key: string): Promise<BreakerSnapshot> {
    const b = this.#bucket();
    const [open, tripped, consec, n, f] = await Promise.all([
      this.store.get<OpenMark>(this.#k(key, 'open')),
      this.store.get(this.#k(key, 'tripped')),
      this.store.get<number>(this.#k(key, 'consec')),
      this.store.get<number>(this.#k(key, `w${b}:n`)),
      this.store.get<number>(this.#k(key, `w${b}:f`)),
    ]);
    return {
      state: open ? 'open' : tripped ? 'half-open' : 'closed',
      consecutiveFailures: consec ?? 0,
      window: { requests: n ?? 0, failures: f ?? 0 },
      ...(open ? { openUntil: open.until, reason: open.reason } : {}),
    };
  }
}
