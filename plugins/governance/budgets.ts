/**
 * USD budgets: before the upstream call, hold the request's maximum cost on every applicable budget
 * at once (all-or-nothing, in the quota store); after it, settle each hold to the actual cost. Spend
 * can therefore never pass a limit by more than the estimate missed. Counters are per calendar
 * period; a counter this process has not used yet is seeded from the ledger's persisted spend.
 * Thresholds of settled spend alert once per period; the first refusal in a period alerts too.
 */
import type { Target } from '../../core/context.js';
import { GatewayError } from '../../core/errors.js';
import type { Alerter } from './alerts.js';
import type { Charge, Ledger } from './ledger/types.js';
import { periodWindow } from './periods.js';
import { syncQuota, type MemoryQuotaStore, type QuotaStore } from './quota.js';
import { modelMatches, type Scope, type Scoped } from './scopes.js';
import type { BudgetSpec } from './types.js';

export interface Hold {
  scope: Scope;
  id: string;
  counter: string;
  limit: number;
  amount: number;
  period: string;
  label: string;
  /** Epoch ms the period ends (null: lifetime). */
  end: number | null;
  alertAt: readonly number[];
}

const DEFAULT_ALERTS = [50, 80, 100];

/** A budget's alert thresholds in ascending order, sorted once per spec (holds are made per request). */
const sortedAlertsOf = new WeakMap<BudgetSpec, readonly number[]>();
function sortedAlerts(spec: BudgetSpec): readonly number[] {
  let sorted = sortedAlertsOf.get(spec);
  if (!sorted)
    sortedAlertsOf.set(spec, (sorted = Object.freeze([...(spec.alertAt ?? DEFAULT_ALERTS)].sort((a, b) => a - b))));
  return sorted;
}
const usd = (pusd: number) => pusd / 1e12;

/** Decimals (2..12) that show at least 3 significant digits of an amount in picodollars. */
function sigDecimals(pusd: number): number {
  if (pusd <= 0) return 2;
  return Math.min(12, Math.max(2, 2 - Math.floor(Math.log10(pusd / 1e12))));
}

/** An amount in picodollars rounded to `d` decimals: [shown value in picodollars, text]. */
function dollars(pusd: number, d: number, keep: number): [number, string] {
  const step = 10 ** (12 - d);
  const units = Math.round(pusd / step);
  const scale = 10 ** d;
  let frac = String(units % scale).padStart(d, '0');
  while (frac.length > keep && frac.endsWith('0')) frac = frac.slice(0, -1);
  return [units * step, `$${Math.floor(units / scale)}.${frac}`];
}

/**
 * The limit, the amount spent or held and the request's cost as text for a refusal: each with at
 * least 3 significant digits (at least cents), and all with more decimals until the shown numbers
 * still say spent + cost > limit, and spent < limit when it is. A refusal of "$0.0002; $0.0002 is
 * spent ... may cost up to $0.0000" explained nothing.
 */
export function refusalAmounts(limit: number, used: number, amount: number): [string, string, string] {
  const values = [limit, used, amount];
  let out: Array<[number, string]> = [];
  for (let min = 2; min <= 12; min++) {
    out = values.map((v) => dollars(v, Math.max(min, sigDecimals(v)), min));
    const [[l], [u], [a]] = out;
    if ((u + a > l || used + amount <= limit) && Math.sign(l - u) === Math.sign(limit - used)) break;
  }
  return [out[0][1], out[1][1], out[2][1]];
}

export class Budgets {
  readonly #seeded = new Set<string>();
  /** The quota store when it answers synchronously (in memory): reserveNow/settleNow use it. */
  readonly #now: MemoryQuotaStore | undefined;

  constructor(
    private readonly quota: QuotaStore,
    private readonly ledger: Ledger | undefined,
    private readonly alerter: Alerter,
    private readonly timeZone: string,
  ) {
    this.#now = syncQuota(quota);
  }

  /** The counters of these budgets for the period containing `now`. */
  holds(budgets: Scoped<BudgetSpec>[], amount: number, now = Date.now()): Hold[] {
    return budgets.map(({ scope, id, spec }) => {
      const period = spec.period ?? 'month';
      const w = periodWindow(period, now, this.timeZone);
      return {
        scope,
        id,
        period,
        label: w.label,
        amount,
        limit: Math.round(spec.limitUsd * 1e12),
        counter: `gov:budget:${scope}:${id}:${period}:${w.label}`,
        end: Number.isFinite(w.end) ? w.end : null,
        alertAt: sortedAlerts(spec),
      };
    });
  }

  /** Forget that these counters were seeded (their state left memory): the next use seeds them again. */
  forget(counters: string[]): void {
    for (const c of counters) this.#seeded.delete(c);
  }

  /** Seed counters not used yet in this process from the ledger; mark thresholds already crossed. */
  async #seed(holds: Hold[]): Promise<void> {
    const fresh = holds.filter((h) => !this.#seeded.has(h.counter));
    if (!fresh.length) return;
    const spent = this.ledger ? await this.ledger.budgetSpend(fresh.map((h) => h.counter)) : new Map<string, number>();
    for (const h of fresh) {
      const s = spent.get(h.counter) ?? 0;
      await this.quota.seed(h.counter, s, ttl(h));
      if (s > 0)
        for (const t of h.alertAt)
          if (s >= (h.limit * t) / 100) await this.quota.once(`${h.counter}:alert:${t}`, ttl(h));
      this.#seeded.add(h.counter);
    }
  }

  /**
   * Hold `amount` on every budget or throw 429 insufficient_quota (nothing held then). `tighter`: the holds of
   * a smaller estimate, tried when these do not fit, before any refusal or alert (governance holds a byte
   * bound first, the exact count near a limit). Returns the holds that were made.
   */
  async reserve(holds: Hold[], tighter?: () => Promise<Hold[]>): Promise<Hold[]> {
    if (!holds.length) return holds;
    await this.#seed(holds);
    let r = await this.quota.reserve(reservations(holds));
    if (!r.ok && tighter) {
      holds = await tighter();
      await this.#seed(holds);
      r = await this.quota.reserve(reservations(holds));
    }
    if (r.ok) return holds;
    const h = holds[r.index];
    const used = r.state.spent + r.state.held;
    if (await this.quota.once(`${h.counter}:alert:exhausted`, ttl(h)))
      this.#alert(h, r.state.spent, 100, 'budget.exhausted');
    const what = h.scope === 'global' ? 'The gateway' : `${cap(h.scope)} "${h.id}"`;
    const per = h.period === 'lifetime' ? 'lifetime' : `${h.period}ly`.replace('dayly', 'daily');
    const [limit, spent, cost] = refusalAmounts(h.limit, used, h.amount);
    throw new GatewayError(
      429,
      `Budget exceeded: ${what} has a ${per} budget of ${limit}; ${spent} is spent or held by requests in flight ` +
        `and this request may cost up to ${cost}. Lower max_tokens, or wait for the next period.`,
      { type: 'insufficient_quota', code: 'insufficient_quota', headers: { 'x-should-retry': 'false' } },
    );
  }

  /** Whether every counter is seeded in this process (the synchronous paths need no ledger read). */
  #allSeeded(holds: Hold[]): boolean {
    for (const h of holds) if (!this.#seeded.has(h.counter)) return false;
    return true;
  }

  /**
   * reserve() in one synchronous step when the store is in memory and every counter is seeded: true
   * when every amount is held. False (nothing held) when the caller must take the async path: a
   * store that is not in memory, a counter to seed from the ledger, or a refusal (reserve() words it).
   */
  reserveNow(holds: Hold[]): boolean {
    if (!holds.length) return true;
    if (!this.#now || !this.#allSeeded(holds)) return false;
    return this.#now.reserveNow(reservations(holds)).ok;
  }

  /** settle() in one synchronous step (see reserveNow); undefined when the caller must call settle(). */
  settleNow(holds: Hold[], actual: number, target: Target | undefined, requested: string): Charge[] | undefined {
    if (!holds.length) return [];
    const quota = this.#now;
    if (!quota || !this.#allSeeded(holds)) return undefined;
    const amounts = holds.map((h) =>
      h.scope !== 'model' || (target && modelMatches(h.id, requested, target)) ? actual : 0,
    );
    const states = quota.settleNow(
      holds.map((h, i) => ({ key: h.counter, reserved: h.amount, actual: amounts[i], ttlMs: ttl(h) })),
    );
    for (const [h, t, spent] of crossed(holds, states)) {
      if (quota.onceNow(`${h.counter}:alert:${t}`, ttl(h))) this.#alert(h, spent, t, 'budget.threshold');
    }
    return charges(holds, amounts);
  }

  /** Replace holds by the actual cost; returns the charges to persist with the record. */
  async settle(holds: Hold[], actual: number, target: Target | undefined, requested: string): Promise<Charge[]> {
    if (!holds.length) return [];
    await this.#seed(holds);
    const amounts = holds.map((h) =>
      h.scope !== 'model' || (target && modelMatches(h.id, requested, target)) ? actual : 0,
    );
    const states = await this.quota.settle(
      holds.map((h, i) => ({ key: h.counter, reserved: h.amount, actual: amounts[i], ttlMs: ttl(h) })),
    );
    for (const [h, t, spent] of crossed(holds, states)) {
      if (await this.quota.once(`${h.counter}:alert:${t}`, ttl(h))) this.#alert(h, spent, t, 'budget.threshold');
    }
    return charges(holds, amounts);
  }

  #alert(h: Hold, spent: number, threshold: number, type: 'budget.threshold' | 'budget.exhausted'): void {
    this.alerter.send({
      type,
      scope: h.scope,
      id: h.id,
      period: h.period,
      periodLabel: h.label,
      threshold,
      spentUsd: usd(spent),
      limitUsd: usd(h.limit),
    });
  }

  async state(h: Hold) {
    await this.#seed([h]);
    const s = await this.quota.get(h.counter);
    return {
      scope: h.scope,
      id: h.id,
      period: h.period,
      periodLabel: h.label,
      limitUsd: usd(h.limit),
      spentUsd: usd(s.spent),
      heldUsd: usd(s.held),
      remainingUsd: usd(Math.max(0, h.limit - s.spent - s.held)),
      resetsAt: h.end === null ? null : new Date(h.end).toISOString(),
    };
  }
}

/** The charges to persist for settled holds (none for a hold whose amount is 0). */
function charges(holds: Hold[], amounts: number[]): Charge[] {
  const out: Charge[] = [];
  for (let i = 0; i < holds.length; i++) {
    const h = holds[i];
    if (amounts[i])
      out.push({ key: h.counter, pusd: amounts[i], expiresAt: h.end === null ? null : h.end + 86_400_000 });
  }
  return out;
}

/** The alert thresholds each hold's new spend reached: [hold, threshold %, spent]. */
function* crossed(holds: Hold[], states: Array<{ spent: number }>): Generator<[Hold, number, number]> {
  for (let i = 0; i < holds.length; i++) {
    const h = holds[i];
    const spent = states[i].spent;
    for (const t of h.alertAt) {
      if (spent * 100 < h.limit * t) break;
      yield [h, t, spent];
    }
  }
}

const ttl = (h: Hold) => (h.end === null ? undefined : Math.max(1000, h.end - Date.now() + 3_600_000));
/** What the quota store holds for these budgets. */
const reservations = (holds: Hold[]) =>
  holds.map((h) => ({ key: h.counter, amount: h.amount, limit: h.limit, ttlMs: ttl(h) }));
const cap = (s: string) => s[0].toUpperCase() + s.slice(1);
