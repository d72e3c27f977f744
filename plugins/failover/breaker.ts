/**
 * Circuit breaker per target, kept in the gateway Store (so a Redis store shares it between
 * instances). closed -> open after `failureThreshold` consecutive failures, a failure rate above
 * `failureRate` in the current window (once `minRequests` were seen), or at once on a hard error
 * (connection refused, DNS); open -> half-open after `cooldownMs`; half-open lets one probe through:
 * success closes, failure reopens. Writes are serialised in the background; `flush()` waits for them.
 *
 * The hot path stays off the store: a "closed" reading is trusted for CLOSED_TRUST_MS (this
 * instance's own failures invalidate it at once; a breaker opened by another instance sharing a
 * Redis store takes effect here within that time), and successes on a closed breaker are counted in
 * memory and added to the window at most CLOSED_TRUST_MS later (or before a failure is judged).
 * Without this, every request cost five store operations (two Redis round trips before routing).
 */
import { BoundedMap, BoundedSet, MAX_TRACKED_TARGETS } from '../../core/bounded.js';
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

interface OpenMark {
  until: number;
  reason: string;
}

export const BREAKER_DEFAULTS: Required<BreakerConfig> = {
  failureThreshold: 5,
  failureRate: 0.5,
  minRequests: 10,
  windowMs: 30_000,
  cooldownMs: 30_000,
  tripOnUnreachable: true,
};

/** How long a "closed" reading of the (possibly shared) state is trusted without asking the store. */
export const CLOSED_TRUST_MS = 1000;

export class Breaker {
  readonly o: Required<BreakerConfig>;
  #chain: Promise<void> = Promise.resolve();
  /** key -> epoch ms until which "closed" is trusted without reading the store. */
  readonly #closedUntil = new BoundedMap<string, number>(MAX_TRACKED_TARGETS);
  /** Successes not yet added to the store's window counter, per key. */
  readonly #pendingOk = new Map<string, number>();
  /** Keys whose consecutive-failure counter this instance raised and no success has reset yet. */
  readonly #failedHere = new BoundedSet<string>(MAX_TRACKED_TARGETS);
  #flushTimer: NodeJS.Timeout | undefined;
  /** Bumped on every local failure, so that a store read begun before it cannot re-trust "closed". */
  #generation = 0;

  constructor(
    private readonly store: Store,
    options: BreakerConfig = {},
  ) {
    this.o = { ...BREAKER_DEFAULTS, ...options };
  }

  #k(key: string, part: string) {
    return `breaker:${key}:${part}`;
  }

  #bucket() {
    return Math.floor(Date.now() / this.o.windowMs);
  }

  /** True when the breaker was read as closed less than CLOSED_TRUST_MS ago (no store access). */
  knownClosed(key: string): boolean {
    const until = this.#closedUntil.get(key);
    return until !== undefined && until > Date.now();
  }

  async state(key: string): Promise<BreakerState> {
    if (this.knownClosed(key)) return 'closed';
    const generation = this.#generation;
    const s: BreakerState = (await this.store.get(this.#k(key, 'open')))
      ? 'open'
      : (await this.store.get(this.#k(key, 'tripped')))
        ? 'half-open'
        : 'closed';
    if (s === 'closed' && generation === this.#generation) this.#closedUntil.set(key, Date.now() + CLOSED_TRUST_MS);
    else this.#closedUntil.delete(key);
    return s;
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
    if (ok && this.knownClosed(key) && !this.#failedHere.has(key)) {
      this.#pendingOk.set(key, (this.#pendingOk.get(key) ?? 0) + 1);
      if (this.#pendingOk.size >= MAX_TRACKED_TARGETS) void this.flush(); // targets come from client model names
      this.#flushTimer ??= setTimeout(() => {
        this.#flushTimer = undefined;
        void this.flush();
      }, CLOSED_TRUST_MS).unref();
      return;
    }
    if (!ok) {
      this.#generation++;
      this.#closedUntil.delete(key);
    }
    // Successes counted in memory before this outcome are written with it, in order.
    const earlier = this.#takePending(key);
    this.#chain = this.#chain
      .then(() => (ok ? this.#success(key, earlier) : this.#failure(key, hard, earlier)))
      .catch(() => undefined);
  }

  /** Resolves once every recorded outcome (including successes counted in memory) has been written. */
  flush(): Promise<void> {
    if (this.#pendingOk.size) {
      const batch = [...this.#pendingOk];
      this.#pendingOk.clear();
      this.#chain = this.#chain.then(() => this.#addSuccesses(batch)).catch(() => undefined);
    }
    return this.#chain;
  }

  /** Successes counted in memory: the window count, and a reset of another instance's failure streak. */
  async #addSuccesses(batch: Array<[string, number]>): Promise<void> {
    const b = this.#bucket();
    await Promise.all(
      batch.map(async ([key, n]) => {
        await this.store.increment(this.#k(key, `w${b}:n`), n, this.o.windowMs * 2);
        if (await this.store.get(this.#k(key, 'consec'))) await this.store.delete(this.#k(key, 'consec'));
      }),
    );
  }

  #takePending(key: string): number {
    const n = this.#pendingOk.get(key) ?? 0;
    this.#pendingOk.delete(key);
    return n;
  }

  async #success(key: string, earlier: number): Promise<void> {
    this.#failedHere.delete(key);
    const b = this.#bucket();
    await this.store.increment(this.#k(key, `w${b}:n`), 1 + earlier, this.o.windowMs * 2);
    if (await this.store.get(this.#k(key, 'tripped'))) {
      await Promise.all(['tripped', 'open', 'probe'].map((p) => this.store.delete(this.#k(key, p))));
    }
    if (await this.store.get(this.#k(key, 'consec'))) await this.store.delete(this.#k(key, 'consec'));
  }

  async #failure(key: string, hard: boolean, earlier: number): Promise<void> {
    this.#failedHere.add(key);
    this.#closedUntil.delete(key);
    const b = this.#bucket();
    if (earlier) await this.store.delete(this.#k(key, 'consec')); // those successes broke any streak
    const [n, f, consec] = await Promise.all([
      this.store.increment(this.#k(key, `w${b}:n`), 1 + earlier, this.o.windowMs * 2),
      this.store.increment(this.#k(key, `w${b}:f`), 1, this.o.windowMs * 2),
      // expires (a streak of failures spread over this long is no streak): no key lives forever per target
      this.store.increment(this.#k(key, 'consec'), 1, Math.max(this.o.windowMs, this.o.cooldownMs) * 20),
    ]);
    const halfOpen = (await this.state(key)) === 'half-open';
    const reason = halfOpen
      ? 'probe failed'
      : hard && this.o.tripOnUnreachable
        ? 'host unreachable'
        : consec >= this.o.failureThreshold
          ? `${consec} consecutive failures`
          : n >= this.o.minRequests && f / n >= this.o.failureRate
            ? `failure rate ${f}/${n}`
            : undefined;
    if (reason) await this.#open(key, reason);
  }

  async #open(key: string, reason: string): Promise<void> {
    const mark: OpenMark = { until: Date.now() + this.o.cooldownMs, reason };
    await this.store.set(this.#k(key, 'open'), mark, this.o.cooldownMs);
    await this.store.set(this.#k(key, 'tripped'), true, this.o.cooldownMs * 20);
    await this.store.delete(this.#k(key, 'probe'));
    this.#generation++;
    this.#closedUntil.delete(key);
  }

  async snapshot(key: string): Promise<BreakerSnapshot> {
    await this.flush();
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
