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
import type { QuotaStore } from './quota.js';
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
  alertAt: number[];
}

const DEFAULT_ALERTS = [50, 80, 100];
const usd = (pusd: number) => pusd / 1e12;
const money = (pusd: number) => `$${(pusd / 1e12).toFixed(pusd < 1e10 ? 4 : 2)}`;

export class Budgets {
  readonly #seeded = new Set<string>();

  constructor(
    private readonly quota: QuotaStore,
    private readonly ledger: Ledger | undefined,
    private readonly alerter: Alerter,
    private readonly timeZone: string,
  ) {}

  /** The counters of these budgets for the period containing `now`. */
  holds(budgets: Scoped<BudgetSpec>[], amount: number, now = Date.now()): Hold[] {
    return budgets.map(({ scope, id, spec }) => {
      const period = spec.period ?? 'month';
      const w = periodWindow(period, now, this.timeZone);
      return {
        scope, id, period, label: w.label, amount, limit: Math.round(spec.limitUsd * 1e12),
        counter: `gov:budget:${scope}:${id}:${period}:${w.label}`,
        end: Number.isFinite(w.end) ? w.end : null,
        alertAt: [...(spec.alertAt ?? DEFAULT_ALERTS)].sort((a, b) => a - b),
      };
    });
  }

  /** Seed counters not used yet in this process from the ledger; mark thresholds already crossed. */
  async #seed(holds: Hold[]): Promise<void> {
    const fresh = holds.filter((h) => !this.#seeded.has(h.counter));
    if (!fresh.length) return;
    const spent = this.ledger ? await this.ledger.budgetSpend(fresh.map((h) => h.counter)) : new Map<string, number>();
    for (const h of fresh) {
      const s = spent.get(h.counter) ?? 0;
      await this.quota.seed(h.counter, s, ttl(h));
      if (s > 0) for (const t of h.alertAt) if (s >= (h.limit * t) / 100) await this.quota.once(`${h.counter}:alert:${t}`, ttl(h));
      this.#seeded.add(h.counter);
    }
  }

  /** Hold `amount` on every budget or throw 429 insufficient_quota (nothing held then). */
  async reserve(holds: Hold[]): Promise<void> {
    if (!holds.length) return;
    await this.#seed(holds);
    const r = await this.quota.reserve(holds.map((h) => ({ key: h.counter, amount: h.amount, limit: h.limit, ttlMs: ttl(h) })));
    if (r.ok) return;
    const h = holds[r.index];
    const used = r.state.spent + r.state.held;
    if (await this.quota.once(`${h.counter}:alert:exhausted`, ttl(h))) this.#alert(h, r.state.spent, 100, 'budget.exhausted');
    const what = h.scope === 'global' ? 'The gateway' : `${cap(h.scope)} "${h.id}"`;
    const per = h.period === 'lifetime' ? 'lifetime' : `${h.period}ly`.replace('dayly', 'daily');
    throw new GatewayError(429,
      `Budget exceeded: ${what} has a ${per} budget of ${money(h.limit)}; ${money(used)} is spent or held by requests in flight ` +
      `and this request may cost up to ${money(h.amount)}. Lower max_tokens, or wait for the next period.`,
      { type: 'insufficient_quota', code: 'insufficient_quota', headers: { 'x-should-retry': 'false' } });
  }

  /** Replace holds by the actual cost; returns the charges to persist with the record. */
  async settle(holds: Hold[], actual: number, target: Target | undefined, requested: string): Promise<Charge[]> {
    if (!holds.length) return [];
    await this.#seed(holds);
    const amounts = holds.map((h) => (h.scope !== 'model' || (target && modelMatches(h.id, requested, target)) ? actual : 0));
    const states = await this.quota.settle(holds.map((h, i) => ({ key: h.counter, reserved: h.amount, actual: amounts[i], ttlMs: ttl(h) })));
    const charges: Charge[] = [];
    for (let i = 0; i < holds.length; i++) {
      const h = holds[i];
      if (amounts[i]) charges.push({ key: h.counter, pusd: amounts[i], expiresAt: h.end === null ? null : h.end + 86_400_000 });
      const spent = states[i].spent;
      for (const t of h.alertAt) {
        if (spent * 100 < h.limit * t) break;
        if (await this.quota.once(`${h.counter}:alert:${t}`, ttl(h))) this.#alert(h, spent, t, 'budget.threshold');
      }
    }
    return charges;
  }

  #alert(h: Hold, spent: number, threshold: number, type: 'budget.threshold' | 'budget.exhausted'): void {
    this.alerter.send({
      type, scope: h.scope, id: h.id, period: h.period, periodLabel: h.label, threshold,
      spentUsd: usd(spent), limitUsd: usd(h.limit),
    });
  }

  async state(h: Hold) {
    await this.#seed([h]);
    const s = await this.quota.get(h.counter);
    return {
      scope: h.scope, id: h.id, period: h.period, periodLabel: h.label, limitUsd: usd(h.limit), spentUsd: usd(s.spent),
      heldUsd: usd(s.held), remainingUsd: usd(Math.max(0, h.limit - s.spent - s.held)),
      resetsAt: h.end === null ? null : new Date(h.end).toISOString(),
    };
  }
}

const ttl = (h: Hold) => (h.end === null ? undefined : Math.max(1000, h.end - Date.now() + 3_600_000));
const cap = (s: string) => s[0].toUpperCase() + s.slice(1);
