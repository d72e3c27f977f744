/**
 * End users within a key: the id an application passes for its own user (OpenAI `user`, Anthropic
 * `metadata.user_id`, or a configured header), validated, optionally replaced by a keyed hash, put on
 * the request (ctx.endUser -> usage record, ledger, traces, exported events), and given budgets and
 * rate limits of their own per key (scope "user", id "<key id>/<end user>"). These are held and
 * settled in the same all-or-nothing quota calls as the key's, so they hold under concurrency alike.
 *
 * Memory: ids are client-chosen, so the users whose budget and limit state this process keeps are
 * bounded (maxTracked, least recently seen first out). An evicted user has no request in flight;
 * its budget counters are dropped from memory only after the ledger has their spend, and are seeded
 * from the ledger when the user comes back. Rate-limit buckets of an evicted user start full again.
 */
import { createHmac } from 'node:crypto';
import type { Principal, RequestContext } from '../../core/context.js';
import { GatewayError } from '../../core/errors.js';
import type { Budgets } from './budgets.js';
import type { VirtualKey } from './keys.js';
import type { QuotaStore } from './quota.js';
import type { Scoped } from './scopes.js';
import type { BudgetSpec, EndUsersConfig, LimitSpec } from './types.js';

/** Opaque ids only: no '@' (no raw e-mail addresses), no spaces, no '/' (the scope separator). */
export const END_USER_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** With hashing on, any printable text up to 256 characters (it never leaves this process as is). */
const HASHABLE = /^[^\u0000-\u001f\u007f]{1,256}$/u;

const bad = (message: string, param: string) =>
  new GatewayError(400, message, { type: 'invalid_request_error', code: 'invalid_request', param });

interface Tracked {
  inflight: number;
  key: VirtualKey | undefined;
}

export class EndUsers {
  readonly #tracked = new Map<string, Tracked>();
  readonly #max: number;
  readonly #header: string | undefined;

  constructor(
    private readonly cfg: EndUsersConfig,
    private readonly quota: QuotaStore,
    private readonly budgets: Budgets,
    /** Write queued ledger records (their budget charges) before counters leave memory. */
    private readonly flush: () => Promise<void>,
  ) {
    this.#max = cfg.maxTracked ?? 10_000;
    this.#header = cfg.header?.toLowerCase();
  }

  get tracked(): number {
    return this.#tracked.size;
  }

  /** The request's end user (validated or hashed), or undefined; 400 for a bad one or a missing required one. */
  resolve(ctx: RequestContext): string | undefined {
    let raw: string | undefined;
    let param = 'user';
    if (this.#header) {
      const h = ctx.headers[this.#header];
      if (Array.isArray(h)) throw bad(`Send the \`${this.#header}\` header once.`, this.#header);
      if (h !== undefined && h !== '') {
        raw = h;
        param = this.#header;
      }
    }
    if (raw === undefined && this.cfg.body !== false && ctx.operation !== 'models') {
      const u = (ctx.request as { user?: unknown } | undefined)?.user;
      if (u !== undefined && u !== null && u !== '') {
        if (typeof u !== 'string') throw bad('`user` must be a string.', 'user');
        raw = u;
      }
    }
    if (raw === undefined) {
      if (this.cfg.required) {
        const header = this.#header ? ` or the \`${this.#header}\` header` : '';
        throw bad(
          `This gateway needs an end-user id: send \`user\` (OpenAI), \`metadata.user_id\` (Anthropic)${header}.`,
          param,
        );
      }
      return undefined;
    }
    if (this.cfg.hashSecret) {
      if (!HASHABLE.test(raw))
        throw bad('The end-user id must be 1 to 256 characters without control characters.', param);
      return `u_${createHmac('sha256', this.cfg.hashSecret).update(raw).digest('hex').slice(0, 32)}`;
    }
    if (!END_USER_ID.test(raw)) {
      throw bad(
        'The end-user id must be an opaque id of 1 to 128 characters from A-Z a-z 0-9 . _ : - ' +
          '(not an e-mail address: send a stable id or a hash of it).',
        param,
      );
    }
    return raw;
  }

  /** The scope id of an end user within a principal. */
  scopeId(principal: Principal | undefined, user: string): string {
    return `${principal?.id ?? '-'}/${user}`;
  }

  #specs(key: VirtualKey | undefined): { budgets?: BudgetSpec[]; limits?: LimitSpec } {
    return key?.endUsers ?? this.cfg;
  }

  budgetsFor(key: VirtualKey | undefined, scopeId: string): Scoped<BudgetSpec>[] {
    return (this.#specs(key).budgets ?? []).map((spec) => ({ scope: 'user', id: scopeId, spec }));
  }

  limitsFor(key: VirtualKey | undefined, scopeId: string): Scoped<LimitSpec>[] {
    const spec = this.#specs(key).limits;
    return spec ? [{ scope: 'user', id: scopeId, spec }] : [];
  }

  /** Track a user for one request (evicting the least recently seen idle user when full); pair with leave(). */
  enter(scopeId: string, key: VirtualKey | undefined): void {
    let t = this.#tracked.get(scopeId);
    if (t)
      this.#tracked.delete(scopeId); // re-insert: most recently seen last
    else {
      if (this.#tracked.size >= this.#max) this.#evictOne();
      t = { inflight: 0, key };
    }
    t.inflight++;
    this.#tracked.set(scopeId, t);
  }

  leave(scopeId: string): void {
    const t = this.#tracked.get(scopeId);
    if (t && t.inflight > 0) t.inflight--;
  }

  /** Tracked users with their scope ids (for /admin/budgets). */
  list(): string[] {
    return [...this.#tracked.keys()];
  }

  #evictOne(): void {
    for (const [id, t] of this.#tracked) {
      if (t.inflight > 0) continue;
      this.#tracked.delete(id);
      void this.#forget(id, t.key);
      return;
    }
    throw new GatewayError(
      429,
      `Too many end users at once: the gateway tracks ${this.#max} and every one has a request in flight.`,
      {
        type: 'requests',
        code: 'too_many_end_users',
        headers: { 'retry-after': '1' },
      },
    );
  }

  /** Drop an evicted user's counters from memory once the ledger holds its spend (unless it came back meanwhile). */
  async #forget(scopeId: string, key: VirtualKey | undefined): Promise<void> {
    if (!this.quota.forget) return; // a shared store (Redis) expires its own keys
    await this.flush();
    if (this.#tracked.has(scopeId)) return;
    const holds = this.budgets.holds(this.budgetsFor(key, scopeId), 0);
    const counters = holds.map((h) => h.counter);
    const flags = holds.flatMap((h) => ['exhausted', ...h.alertAt].map((t) => `${h.counter}:alert:${t}`));
    await this.quota.forget([...counters, ...flags, `gov:rpm:user:${scopeId}`, `gov:tpm:user:${scopeId}`]);
    this.budgets.forget(counters);
  }
}
