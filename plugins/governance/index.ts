/**
 * Governance: virtual keys, projects, USD budgets, rate limits, the usage ledger, alerts, the admin
 * API and Prometheus metrics, switched on by the config's `governance` section. The pieces:
 *   auth  (EARLY)   a virtual key -> principal (revoked/expired -> 401)
 *   admit           model allow-lists, then limits (concurrency, RPM, TPM), then budget holds
 *   meter           release and settle, ledger record (batched), alerts, metrics
 * See docs/governance.md.
 */
import { getState } from '../../core/state.js';
import { BoundedSet, MAX_TRACKED_TARGETS } from '../../core/bounded.js';
import type { Principal, RequestContext } from '../../core/context.js';
import { GatewayError } from '../../core/errors.js';
import { definePlugin, PluginOptionsError, type Plugin } from '../../core/plugin.js';
import type { UsageRecord } from '../../core/usage.js';
import { presentedKey } from '../../core/credentials.js';
import { tokenizerLoaded } from '../../core/tokens.js';
import { targetKey } from '../../core/target-key.js';
import { Catalog, computeCost } from '../catalog/index.js';
import { Breaker } from '../failover/index.js';
import { metricsAccess, metricsAuth } from './access.js';
import { mountAdmin } from './admin.js';
import { Alerter } from './alerts.js';
import { Budgets, type Hold } from './budgets.js';
import { EndUsers } from './end-users.js';
import { boundable, estimate, NO_ESTIMATE, toPusd, type Estimate } from './estimate.js';
import { checkKeySpecs, KeyRegistry, type VirtualKey } from './keys.js';
import { LedgerBatcher } from './ledger/batcher.js';
import { SqliteLedger } from './ledger/sqlite.js';
import { UnpricedWarnings } from './unpriced.js';
import type { Charge, Ledger, LedgerRecord } from './ledger/types.js';
import { giveBack, settleLimits, settleLimitsNow, takeLimits, takeLimitsNow, type RateTaken } from './limits.js';
import { GovernanceMetrics, upstreamMs } from './metrics.js';
import { checkTimeZone } from './periods.js';
import { MemoryQuotaStore, syncQuota, type QuotaStore } from './quota.js';
import { governanceSchema } from './schema.js';
import { allowedTargets, budgetsFor, configuresTokenLimits, limitsFor, modelVisible, type Scoped } from './scopes.js';
import { SpikeWatch } from './spike.js';
import { LOCAL_ADMIN_KEY, type BudgetSpec, type GovernanceConfig, type LimitSpec } from './types.js';
import { loadTokenizer, MODELS_LIST } from '../router/index.js';

export { LOCAL_ADMIN_KEY, type GovernanceConfig } from './types.js';
export { MemoryQuotaStore, type QuotaStore } from './quota.js';
export { adminGuard, metricsAccess, metricsAuth, type MetricsAccess } from './access.js';
export { SqliteLedger } from './ledger/sqlite.js';
export type {
  Ledger,
  LedgerEntry,
  LedgerRecord,
  StoredKey,
  GroupBy,
  UsageFilter,
  UsageGroup,
  UsageResult,
  UsageTotals,
} from './ledger/types.js';
export type { BudgetState, RateItem, RateResult, RateState, Reservation } from './quota.js';
export type { BudgetSpec } from './types.js';
export { localLabel } from './periods.js';
export { storable } from './ledger/sanitize.js';
export {
  fromRow,
  groupsSql,
  recordValues,
  totalsSql,
  USAGE_COLUMNS,
  usageResult,
  whereSql,
  type LedgerDialect,
  type LedgerRow,
} from './ledger/query.js';
export { sign, SIGNATURE_HEADER } from './alerts.js';

export interface GovernanceDeps {
  /** The catalog that prices requests (shared with routing and metering). */
  catalog?: Catalog;
  /** Budgets and limits state (default: in memory; a Redis implementation shares it). */
  quota?: QuotaStore;
  /** The usage ledger (default: SQLite at ledger.path). */
  ledger?: Ledger;
  /**
   * Reload runtime keys from the ledger this often (ms), so that keys created or edited through
   * another instance's admin API work here too. Off by default (one instance owns its ledger);
   * sharedGovernance() turns it on.
   */
  keyRefreshMs?: number;
}

interface State {
  key?: VirtualKey;
  taken?: RateTaken;
  holds?: Hold[];
  /** The end user's scope id while it is tracked for this request. */
  user?: string;
}

const STATE = 'governance';

const TAG = /^[A-Za-z0-9._:/-]{1,64}$/;
const MAX_TAGS = 16;
const HOUR = 3_600_000;
/** What the admit and meter taps return when their work finished synchronously. */
const ADMITTED: Promise<void> = Promise.resolve();
const SETTLED = ADMITTED;

/** A request's price: where it ran, its catalog entry, its cost (USD and picodollars). */
interface Priced {
  where: { provider: string; model: string } | undefined;
  entry: ReturnType<Catalog['lookup']>;
  costUsd: number;
  actual: number;
}

const state = (ctx: RequestContext): State =>
  (ctx.state[STATE] as State | undefined) ?? ((ctx.state[STATE] = {}) as State);

export interface GovernancePlugin extends Plugin {
  /** Run the spend-spike check now (tests, cron); returns alerts sent. */
  checkSpikes(): Promise<number>;
  /** Write queued ledger records now. */
  flush(): Promise<void>;
}

/**
 * Records queued before a batch is written at once. Small: records that wait in the queue across
 * young-generation collections are promoted (production config, ~6,500 req/s: 1.05 KB promoted per request
 * with 500, 0.76 KB with 64, the same CPU per request; bench/profile-notes.md, tenth round), and a crash
 * loses less. A transaction of 64 rows still costs little per row.
 */
const DEFAULT_MAX_BATCH = 64;

export function governance(options: GovernanceConfig = {}, deps: GovernanceDeps = {}): GovernancePlugin {
  let spikes: SpikeWatch | undefined;
  let batcherRef: LedgerBatcher | undefined;
  const base = definePlugin<GovernanceConfig>({
    name: 'governance',
    schema: governanceSchema,
    async apply(gateway, o) {
      const timeZone = o.timeZone ?? 'UTC';
      try {
        checkTimeZone(timeZone);
      } catch {
        throw new PluginOptionsError(
          'governance',
          'timeZone',
          `must be an IANA time zone such as "Europe/Berlin" (got "${timeZone}")`,
        );
      }
      const catalog = deps.catalog ?? new Catalog(gateway.config.catalog || {});
      const margin = o.promptMargin ?? 1.1;
      const tagsHeader = o.tagsHeader ?? 'x-switchyard-tags';
      checkKeySpecs(o.keys ?? []); // before the ledger is opened: a refused config leaves no file behind
      const ledger =
        deps.ledger ??
        new SqliteLedger(o.ledger?.path ?? './switchyard-usage.db', {
          log: gateway.log.child({ component: 'ledger' }),
          thread: o.ledger?.thread,
        });
      const unpricedWarnings = new UnpricedWarnings();
      const batcher = (batcherRef = new LedgerBatcher(
        ledger,
        gateway.log,
        o.ledger?.flushIntervalMs ?? 1000,
        o.ledger?.maxBatch ?? DEFAULT_MAX_BATCH,
      ));
      const quota = deps.quota ?? new MemoryQuotaStore();
      const keys = new KeyRegistry(o.keys ?? [], ledger);
      await keys.load();
      const keyRefresh = deps.keyRefreshMs
        ? setInterval(
            () =>
              keys
                .load()
                .catch((err) =>
                  gateway.log.warn({ err: { message: (err as Error).message } }, 'key refresh from the ledger failed'),
                ),
            deps.keyRefreshMs,
          )
        : undefined;
      keyRefresh?.unref();
      const alerter = new Alerter(o.alerts ?? {}, gateway.log, (alert, time) => {
        if (gateway.hooks.audit.isUsed()) gateway.hooks.audit.call({ ...alert, time });
      });
      const budgets = new Budgets(quota, ledger, alerter, timeZone);
      spikes = new SpikeWatch(o.alerts?.spike ?? {}, ledger, batcher, quota, alerter, gateway.log);
      const endUsers = o.endUsers ? new EndUsers(o.endUsers, quota, budgets, () => batcher.flush()) : undefined;

      if ((o.adminKey ?? process.env.SWITCHYARD_ADMIN_KEY) === LOCAL_ADMIN_KEY) {
        gateway.loopbackOnly.add(
          'governance',
          'uses the well-known development admin key ' +
            '(set SWITCHYARD_ADMIN_KEY or governance.adminKey to a key of your own)',
        );
      }

      const keyOf = (p: Principal | undefined): VirtualKey | undefined => (p?.virtualKey ? keys.get(p.id) : undefined);

      // --- auth: virtual keys; unknown keys fall through to other auth taps (else 401) ---
      // Synchronous (the key table is in memory): tapable calls it without a promise of its own.
      gateway.hooks.auth.tap({ name: 'governance', stage: gateway.Stage.EARLY }, (ctx) => {
        const presented = presentedKey(ctx.headers);
        if (!presented) return undefined;
        const k = keys.find(presented);
        if (!k) return undefined;
        if (k.revokedAt)
          throw new GatewayError(401, 'This API key has been revoked.', {
            type: 'authentication_error',
            code: 'api_key_revoked',
          });
        if (k.expiresAtMs !== undefined && k.expiresAtMs <= Date.now()) {
          throw new GatewayError(401, `This API key expired at ${k.expiresAt}.`, {
            type: 'authentication_error',
            code: 'api_key_expired',
          });
        }
        state(ctx).key = k;
        const principal: Principal = { id: k.id, virtualKey: true };
        if (k.project) principal.project = k.project;
        if (k.name) principal.name = k.name;
        return principal;
      });

      // --- GET /v1/models(/{id}): a key sees only the models its (and its project's) lists allow ---
      gateway.hooks.modelAccess.tap('governance', (ref, ctx) => {
        const key = state(ctx).key ?? keyOf(ctx.principal);
        const project = ctx.principal?.project;
        const lists = [key?.models, project ? o.projects?.[project]?.models : undefined].filter((l): l is string[] =>
          Array.isArray(l),
        );
        return lists.length && !modelVisible(lists, ref) ? false : undefined;
      });

      // --- admit: allow-lists, limits, budget holds ---
      // With the in-memory quota store and budget counters already seeded, admission is one synchronous
      // step (no promise per store call); otherwise the store is awaited.
      const quotaNow = syncQuota(quota);
      const admit = (ctx: RequestContext): Promise<void> => {
        const st = state(ctx);
        const key = st.key ?? keyOf(ctx.principal);
        const user = endUsers?.resolve(ctx);
        if (user) ctx.endUser = user;
        const project = ctx.principal?.project;
        const lists = [key?.models, project ? o.projects?.[project]?.models : undefined].filter((l): l is string[] =>
          Array.isArray(l),
        );
        if (lists.length) {
          // A forced target (header) or a body `models` list: every target must be allowed itself.
          const forced = Boolean(ctx.headers['x-switchyard-target']) || getState(ctx, MODELS_LIST) !== undefined;
          const targets = allowedTargets(lists, ctx.requestedModel, ctx.targets, forced);
          if (!targets.length) {
            throw new GatewayError(403, `This key is not allowed to use the model \`${ctx.requestedModel}\`.`, {
              type: 'permission_error',
              code: 'model_not_allowed',
              param: 'model',
            });
          }
          ctx.targets = targets;
        }
        const limits = limitsFor(o, ctx.principal, key, ctx.requestedModel, ctx.targets);
        const scoped = budgetsFor(o, ctx.principal, key, ctx.requestedModel, ctx.targets);
        if (user && endUsers) {
          const id = endUsers.scopeId(ctx.principal, user);
          endUsers.enter(id, key); // released by the meter tap, which every admitted or refused request reaches
          st.user = id;
          limits.push(...endUsers.limitsFor(key, id));
          scoped.push(...endUsers.budgetsFor(key, id));
        }
        // Tokens per minute take the exact count (a bound would take tokens the caller may still use); budgets
        // hold the byte bound of a chat request while they have room for it (holdAsync: the exact count when
        // not). The o200k counter is loaded the first time an exact count is needed.
        const tokenLimited = limits.some((l) => l.spec.tokensPerMinute !== undefined);
        if (!tokenLimited && !scoped.length) return admitWith(ctx, st, limits, scoped, NO_ESTIMATE);
        const exact = tokenLimited || !boundable(ctx);
        if (exact && ctx.costEstimateUsd === undefined && !tokenizerLoaded()) {
          return loadTokenizer().then(() =>
            admitWith(ctx, st, limits, scoped, estimate(ctx, ctx.targets, catalog, margin)),
          );
        }
        return admitWith(ctx, st, limits, scoped, estimate(ctx, ctx.targets, catalog, margin, !exact));
      };
      /** Admission with an estimate: limits taken, then budgets held, in one step when the store is in memory. */
      const admitWith = (
        ctx: RequestContext,
        st: State,
        limits: Scoped<LimitSpec>[],
        scoped: Scoped<BudgetSpec>[],
        est: Estimate,
      ): Promise<void> => {
        const tokens = est.promptTokens + est.requestedOutput;
        if (!quotaNow) return holdAsync(ctx, st, takeLimits(quota, limits, tokens, ctx.responseHeaders), scoped, est);
        st.taken = takeLimitsNow(quotaNow, limits, tokens, ctx.responseHeaders);
        const holds = budgets.holds(scoped, est.maxCostPusd);
        if (!budgets.reserveNow(holds)) return holdAsync(ctx, st, Promise.resolve(st.taken), scoped, est, holds);
        warnUnpriced(ctx, holds, est.unpriced);
        st.holds = holds;
        return ADMITTED;
      };
      const warnUnpriced = (ctx: RequestContext, holds: Hold[], unpriced: string[]) => {
        if (!holds.length || !unpriced.length) return;
        const due = unpricedWarnings.due(unpriced);
        if (!due.length) return;
        ctx.log.warn(
          { targets: due.map((d) => d.target), requests: due.map((d) => d.requests) },
          'governance: no catalog price for a target; its cost is not held',
        );
      };
      /** The awaited rest of admission: limits taken (or being taken), then the budget holds. */
      const holdAsync = async (
        ctx: RequestContext,
        st: State,
        taking: Promise<RateTaken>,
        scoped: Scoped<BudgetSpec>[],
        est: Estimate,
        made?: Hold[],
      ) => {
        const taken = await taking;
        st.taken = taken;
        const holds = made ?? budgets.holds(scoped, est.maxCostPusd);
        warnUnpriced(ctx, holds, est.unpriced);
        // A byte bound the budgets cannot hold: the exact count (smaller) may fit; a refusal names it.
        const exactHolds = est.bound
          ? async () => {
              await loadTokenizer();
              return budgets.holds(scoped, estimate(ctx, ctx.targets, catalog, margin).maxCostPusd);
            }
          : undefined;
        try {
          st.holds = await budgets.reserve(holds, exactHolds);
        } catch (e) {
          st.taken = undefined;
          await giveBack(quota, taken);
          await settleLimits(quota, { ...taken, tokenItems: [] }, 0);
          throw e;
        }
      };
      gateway.hooks.admit.tapPromise({ name: 'governance', stage: gateway.Stage.NORMAL }, (ctx) => {
        try {
          return admit(ctx);
        } catch (e) {
          return Promise.reject(e);
        }
      });

      const metrics = o.metrics === false ? undefined : new GovernanceMetrics({ budgets: allBudgets, breakers });

      // --- meter: settle, ledger, metrics ---
      // In memory with seeded counters, settling is synchronous too; anything else is awaited.
      const settleRequest = (record: UsageRecord, ctx: RequestContext): Promise<void> => {
        const st = ctx.state[STATE] as State | undefined;
        // A cache hit reached no target: it is priced (what it saved) and labelled by the routed primary target.
        const hit = record.cache === 'hit' || record.cache === 'semantic-hit';
        const where =
          record.provider && record.model
            ? { provider: record.provider, model: record.model }
            : hit
              ? ctx.targets[0]
              : undefined;
        const entry = where ? catalog.lookup(where.provider, where.model) : undefined;
        const costUsd = record.costUsd ?? (entry && !hit ? computeCost(record, entry).costUsd : 0);
        const actual = toPusd(costUsd);
        const priced: Priced = { where, entry, costUsd, actual };
        if (!quotaNow || (!st?.holds && record.shadow)) return settleAsync(record, ctx, st, priced);
        if (st?.taken) {
          settleLimitsNow(quotaNow, st.taken, record.totalTokens);
          st.taken = undefined;
        }
        let charges: Charge[] | undefined = [];
        if (st?.holds) {
          charges = budgets.settleNow(st.holds, actual, ctx.target, record.requestedModel);
          if (!charges) return settleAsync(record, ctx, st, priced);
          st.holds = undefined;
        }
        recordSettled(record, ctx, st, priced, charges);
        return SETTLED;
      };
      const settleAsync = async (record: UsageRecord, ctx: RequestContext, st: State | undefined, priced: Priced) => {
        const { actual } = priced;
        if (st?.taken) {
          await settleLimits(quota, st.taken, record.totalTokens);
          st.taken = undefined;
        }
        let charges: Charge[] = [];
        if (st?.holds) {
          charges = await budgets.settle(st.holds, actual, ctx.target, record.requestedModel);
          st.holds = undefined;
        } else if (record.shadow && actual && ctx.target) {
          // Mirrored traffic was not held (the gateway sent it); its cost still counts.
          const key = keyOf(ctx.principal);
          const scoped = budgetsFor(o, ctx.principal, key, record.requestedModel, [ctx.target]);
          if (endUsers && ctx.endUser)
            scoped.push(...endUsers.budgetsFor(key, endUsers.scopeId(ctx.principal, ctx.endUser)));
          charges = await budgets.settle(budgets.holds(scoped, 0), actual, ctx.target, record.requestedModel);
        }
        recordSettled(record, ctx, st, priced, charges);
      };
      /** The ledger record (batched) and the metrics of a settled request. */
      const recordSettled = (
        record: UsageRecord,
        ctx: RequestContext,
        st: State | undefined,
        priced: Priced,
        charges: Charge[],
      ) => {
        const { entry, costUsd, actual, where } = priced;
        const saved =
          entry && record.cacheSavedTokens
            ? toPusd(
                computeCost(
                  {
                    promptTokens: record.cacheSavedPromptTokens ?? 0,
                    completionTokens: record.cacheSavedCompletionTokens ?? 0,
                    cachedTokens: 0,
                    cacheWriteTokens: 0,
                    reasoningTokens: 0,
                  },
                  entry,
                ).costUsd,
              )
            : 0;
        batcher.push({
          record: ledgerRecord(record, actual, saved, tagsOf(ctx, keyOf(ctx.principal) ?? st?.key, tagsHeader)),
          charges,
        });
        metrics?.observe(record, { costUsd, provider: where?.provider, model: where?.model }, saved / 1e12);
      };
      // The end user leaves after its holds settled (an idle user may then be evicted), also when settling failed.
      const leave = (ctx: RequestContext) => {
        const st = ctx.state[STATE] as State | undefined;
        if (st?.user) endUsers?.leave(st.user);
        if (st) st.user = undefined;
      };
      gateway.hooks.meter.tapPromise({ name: 'governance', stage: gateway.Stage.NORMAL }, (record, ctx) => {
        let work: Promise<void>;
        try {
          work = settleRequest(record, ctx);
        } catch (e) {
          leave(ctx);
          return Promise.reject(e);
        }
        if (work === SETTLED) {
          leave(ctx);
          return SETTLED;
        }
        return work.finally(() => leave(ctx));
      });

      async function allBudgets() {
        const scoped: Scoped<BudgetSpec>[] = [];
        for (const spec of o.budgets?.global ?? []) scoped.push({ scope: 'global', id: 'global', spec });
        for (const [id, specs] of Object.entries(o.budgets?.models ?? {}))
          for (const spec of specs) scoped.push({ scope: 'model', id, spec });
        for (const [id, p] of Object.entries(o.projects ?? {}))
          for (const spec of p.budgets ?? []) scoped.push({ scope: 'project', id, spec });
        for (const k of keys.list())
          if (!k.revokedAt) for (const spec of k.budgets ?? []) scoped.push({ scope: 'key', id: k.id, spec });
        // End users: the ones tracked right now (bounded by endUsers.maxTracked).
        for (const id of endUsers?.list() ?? [])
          scoped.push(...endUsers!.budgetsFor(keys.get(id.slice(0, id.lastIndexOf('/'))), id));
        return Promise.all(scoped.map((s) => budgets.state(budgets.holds([s], 0)[0])));
      }

      const breaker =
        gateway.config.failover !== false && gateway.config.failover?.breaker !== false
          ? new Breaker(gateway.store, gateway.config.failover?.breaker || {})
          : undefined;
      const seenTargets = new BoundedSet<string>(MAX_TRACKED_TARGETS);
      gateway.hooks.attemptEnd.tap('governance', (info) => {
        seenTargets.add(targetKey(info.target));
      });
      async function breakers() {
        if (!breaker) return [];
        const codes = { closed: 0, 'half-open': 1, open: 2 } as const;
        return Promise.all(
          [...seenTargets].map(async (target) => ({ target, state: codes[await breaker.state(target)] })),
        );
      }

      mountAdmin(gateway, {
        adminKey: o.adminKey ?? process.env.SWITCHYARD_ADMIN_KEY,
        keys,
        ledger,
        batcher,
        timeZone,
        budgets: allBudgets,
      });
      const access = metricsAccess(o);
      if (metrics && access) {
        gateway.route({
          method: 'get',
          path: access.path,
          ...metricsAuth(access),
          handler: async (kctx) => {
            kctx.type = metrics.registry.contentType;
            kctx.body = await metrics.registry.metrics();
          },
        });
      }

      // --- retention ---
      const retentionMs = (o.ledger?.retentionDays ?? 90) * 86_400_000;
      const prune = () =>
        ledger
          .prune(Date.now() - retentionMs)
          .then((n) => {
            if (n) gateway.log.info({ deleted: n }, 'ledger retention: old usage records deleted');
          })
          .catch((err) => gateway.log.warn({ err: { message: err.message } }, 'ledger retention failed'));
      const pruneTimer = setInterval(prune, HOUR);
      pruneTimer.unref();
      gateway.hooks.ready.tapPromise('governance', async () => {
        // Tokens-per-minute limits take exact counts: load the counter now rather than on the first request.
        // (Budgets hold a byte bound while they have room; the counter is loaded when one first has not.)
        if (configuresTokenLimits(o)) await loadTokenizer();
        await prune();
      });
      gateway.hooks.close.tapPromise('governance', async () => {
        clearInterval(pruneTimer);
        clearInterval(keyRefresh);
        spikes?.close();
        await batcher.close();
        await alerter.close();
        await ledger.close();
        if (!deps.quota) await quota.close();
      });
    },
  })(options);
  return {
    ...base,
    checkSpikes: () => spikes?.check() ?? Promise.resolve(0),
    flush: () => batcherRef?.flush() ?? Promise.resolve(),
  };
}

function tagsOf(ctx: RequestContext, key: VirtualKey | undefined, header: string): string[] {
  if (!key?.tags?.length && !ctx.headers[header]) return [];
  const out = new Set<string>(key?.tags ?? []);
  const raw = ctx.headers[header];
  const value = Array.isArray(raw) ? raw.join(',') : raw;
  if (value)
    for (const t of value.split(',')) {
      const tag = t.trim();
      if (TAG.test(tag) && out.size < MAX_TAGS) out.add(tag);
    }
  return [...out];
}

function ledgerRecord(r: UsageRecord, costPusd: number, costSavedPusd: number, tags: string[]): LedgerRecord {
  const out: LedgerRecord = {
    time: r.time,
    requestId: r.requestId,
    keyId: r.principalId ?? null,
    project: r.project ?? null,
    provider: r.provider ?? null,
    model: r.model ?? null,
    requestedModel: r.requestedModel,
    operation: r.operation,
    stream: r.stream,
    status: r.status,
    errorCode: r.errorCode ?? null,
    cache: r.cache ?? null,
    inputTokens: r.promptTokens,
    cachedTokens: r.cachedTokens,
    cacheWriteTokens: r.cacheWriteTokens,
    outputTokens: r.completionTokens,
    reasoningTokens: r.reasoningTokens,
    totalTokens: r.totalTokens,
    costPusd,
    costSavedPusd,
    latencyMs: r.latencyMs,
    upstreamMs: Math.round(upstreamMs(r) * 1000) / 1000,
    ttftMs: r.ttftMs ?? null,
    attempts: r.attempts,
    aborted: r.aborted,
    shadow: r.shadow === true,
    tags,
    usageEstimated: r.usageEstimated === true,
    endUser: r.endUser ?? null,
  };
  if (r.guardrails?.length) out.guardrails = r.guardrails;
  if (r.units) out.units = r.units;
  return out;
}

declare module '../../core/config-types.js' {
  interface SwitchyardConfig {
    /** Virtual keys, projects, budgets, rate limits, usage ledger, alerts, admin API, /metrics. Default off. */
    governance?: GovernanceConfig | false;
    /**
     * The usage ledger of the governance section. Default: SQLite at governance.ledger.path. With a shared
     * store (Redis) it must be shared too, e.g. postgresLedger({ url }).
     */
    ledger?: Ledger;
  }
}
