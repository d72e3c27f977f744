/**
 * The default router. For each request, in order:
 *  0. `x-switchyard-target: provider/model` (header) forces one target;
 *  1. the model name, then each name of the body's `models` list (OpenRouter-style), resolved as
 *     a virtual model (routing.models: a strategy over targets, see strategies/), an alias,
 *     "provider/model" for an enabled provider, a bare name listed or claimed by providers (the
 *     first is primary, the rest fallbacks), else routing.defaultProvider; concatenated in order;
 *  2. tag policy: targets lacking a tag the key/project/virtual model requires are removed (403
 *     when none is left, and nothing is sent);
 *  3. the virtual model's attempt policy (timeouts, deadline, hedging) and shadow traffic.
 * An earlier tap that already chose targets keeps its choice (tag policy still applies).
 */
import { setState, stateKey } from '../../core/state.js';
import type { RoutingConfig, TargetRef } from '../../core/config-types.js';
import { routingSchema } from '../../core/config-routing.js';
import type { RequestContext, Target } from '../../core/context.js';
import { ConfigError } from '../../core/config.js';
import { errors } from '../../core/errors.js';
import { checkModelName } from '../../core/model-name.js';
import { definePlugin } from '../../core/plugin.js';
import type { ProviderAdapter } from '../../core/provider.js';
import { Catalog } from '../catalog/index.js';
import { loadTokenizer, requestFeatures } from './features.js';
import { LatencyTracker } from './latency.js';
import { auto } from './strategies/auto.js';
import { cheapest } from './strategies/cheapest.js';
import { fastest } from './strategies/fastest.js';
import { rules } from './strategies/rules.js';
import type { CompiledModel, StrategyEnv, StrategyFn, WeightedTarget } from './strategies/types.js';
import { weighted } from './strategies/weighted.js';
import { noTargetForPolicy, principalTags, REQUIRED_TAGS, satisfies, targetKey } from './tags.js';

/** Request state: the client's body `models` list (the router removes it from the request). */
export const MODELS_LIST = stateKey<string[]>('router.modelsList');
/** @deprecated The string name of MODELS_LIST; read it with `getState(ctx, MODELS_LIST)`. */
export const MODELS_LIST_STATE = MODELS_LIST.name;

export type ModelRouterOptions = RoutingConfig;

export interface RouterDeps {
  catalog?: Catalog;
  latency?: LatencyTracker;
  /** Random source for weighted/fastest/shadow draws (tests pass a seeded one). */
  random?: () => number;
}

export const TARGET_HEADER = 'x-switchyard-target';
/** Most model names whose plain resolution is kept (plainTargets). */
const PLAIN_CACHE_MAX = 1024;
const MAX_DEPTH = 4;
const MAX_MODELS_LIST = 10;

const STRATEGIES: Record<string, StrategyFn> = {
  fallback: (m) => m.targets,
  weighted,
  cheapest,
  fastest,
  auto,
  rules,
};

export function parseTarget(spec: string): Target {
  const slash = spec.indexOf('/');
  return { provider: spec.slice(0, slash), model: spec.slice(slash + 1) };
}

export function toTarget(ref: TargetRef): WeightedTarget {
  if (typeof ref === 'string') return parseTarget(ref);
  const t: WeightedTarget = parseTarget(ref.target);
  if (ref.weight !== undefined) t.weight = ref.weight;
  if (ref.params) t.params = ref.params;
  if (ref.tags) t.tags = ref.tags;
  if (ref.timeoutMs) t.timeoutMs = ref.timeoutMs;
  return t;
}

function compile(name: string, config: NonNullable<RoutingConfig['models']>[string]): CompiledModel {
  return {
    name,
    config,
    targets: (config.targets ?? []).map(toTarget),
    tiers: config.tiers
      ? { strong: config.tiers.strong.map(toTarget), cheap: config.tiers.cheap.map(toTarget) }
      : undefined,
    rules: config.rules?.map((rule) => ({ rule, targets: rule.targets?.map(toTarget) })),
  };
}

export function modelRouter(options: ModelRouterOptions = {}, deps: RouterDeps = {}) {
  return definePlugin<ModelRouterOptions>({
    name: 'model-router',
    schema: routingSchema,
    apply(gateway, o) {
      const catalog = deps.catalog ?? new Catalog();
      const latency = deps.latency ?? new LatencyTracker();
      const random = deps.random ?? Math.random;
      const aliases = new Map<string, Target[]>();
      for (const [name, spec] of Object.entries(o.aliases ?? {}))
        aliases.set(name, (Array.isArray(spec) ? spec : [spec]).map(parseTarget));
      const models = new Map(Object.entries(o.models ?? {}).map(([name, c]) => [name, compile(name, c)]));
      const listed = new Map<string, string[]>(); // model id -> providers listing it, built at ready
      const kinds = new Map<string, string>(); // "provider/model" -> kind the provider lists it with
      const dynamic: ProviderAdapter[] = []; // providers whose lists change (discovered from the upstream)

      const enabled = (where: string, t: Target) => {
        if (!gateway.providers.has(t.provider)) {
          throw new ConfigError(
            where,
            `names provider "${t.provider}", which is not enabled. Enabled: ${
              gateway.providers
                .list()
                .map((p) => p.name)
                .join(', ') || 'none'
            }`,
          );
        }
      };
      if ([...models.values()].some((m) => m.config.strategy === 'cheapest' || m.config.strategy === 'auto')) {
        gateway.hooks.ready.tapPromise('model-router:tokenizer', () => loadTokenizer());
      }
      gateway.hooks.ready.tap('model-router', () => {
        for (const [name, targets] of aliases) for (const t of targets) enabled(`routing.aliases.${name}`, t);
        for (const [name, m] of models) {
          const all = [
            ...m.targets,
            ...(m.tiers?.strong ?? []),
            ...(m.tiers?.cheap ?? []),
            ...(m.rules ?? []).flatMap((r) => r.targets ?? []),
          ];
          for (const t of all) enabled(`routing.models.${name}`, t);
          if (m.config.shadow) enabled(`routing.models.${name}.shadow`, toTarget(m.config.shadow.target));
        }
        if (o.defaultProvider && !gateway.providers.has(o.defaultProvider)) {
          throw new ConfigError('routing.defaultProvider', `"${o.defaultProvider}" is not an enabled provider`);
        }
        for (const p of gateway.providers.list()) {
          if (p.modelsReady) dynamic.push(p);
          else {
            for (const m of p.models()) {
              listed.set(m.id, [...(listed.get(m.id) ?? []), p.name]);
              if (m.kind) kinds.set(`${p.name}/${m.id}`, m.kind);
            }
          }
        }
      });

      /** Providers listing a bare model id: the fixed lists (built at ready), then the discovered ones. */
      function listing(name: string): string[] | undefined {
        const fixed = listed.get(name);
        if (!dynamic.length) return fixed;
        const found = dynamic.filter((p) => p.models().some((m) => m.id === name)).map((p) => p.name);
        return found.length ? [...(fixed ?? []), ...found] : fixed;
      }

      /** What a target is for: the catalog's kind, else the kind its provider lists it with; unknown: undefined. */
      function kindOf(t: Target): string | undefined {
        const entry = catalog.lookup(t.provider, t.model);
        if (entry) return entry.kind;
        const k = kinds.get(targetKey(t));
        if (k || !dynamic.length) return k;
        return dynamic
          .find((p) => p.name === t.provider)
          ?.models()
          .find((m) => m.id === t.model)?.kind;
      }

      const env: StrategyEnv = { catalog, latency, features: requestFeatures, resolve, random };

      async function resolve(name: string, ctx: RequestContext, depth: number): Promise<Target[]> {
        if (depth > MAX_DEPTH)
          throw errors.invalidRequest(
            `Routing of \`${ctx.requestedModel}\` nests too deeply (rules refer to each other).`,
            'model',
          );
        const vm = models.get(name);
        if (vm) return STRATEGIES[vm.config.strategy ?? 'fallback'](vm, ctx, env, depth);
        return resolvePlain(name);
      }

      /** The targets of a name that is not a virtual model: an alias, `provider/model`, or a bare model id. */
      function resolvePlain(name: string): Target[] {
        const alias = aliases.get(name);
        if (alias) return alias;
        const slash = name.indexOf('/');
        if (slash > 0) {
          const provider = name.slice(0, slash);
          if (gateway.providers.has(provider)) return [{ provider, model: name.slice(slash + 1) }];
        }
        const names = listing(name);
        const out: Target[] = names ? names.map((provider) => ({ provider, model: name })) : [];
        for (const p of gateway.providers.list()) {
          if (!names?.includes(p.name) && p.claims?.(name)) out.push({ provider: p.name, model: name });
        }
        if (out.length === 0 && o.defaultProvider) out.push({ provider: o.defaultProvider, model: name });
        return out;
      }

      /**
       * resolvePlain's answers (without repeats) by name: a bare id otherwise costs a scan of every discovered
       * list and every provider's `claims` on each request. Kept while the provider list and the discovered
       * lists are the same arrays (they are new arrays when they change); names come from clients, so at
       * most PLAIN_CACHE_MAX are kept (then the cache starts again). Targets are shared, as alias lists are.
       */
      const plainCache = new Map<string, Target[]>();
      let plainSources: readonly unknown[] = [];
      function plainTargets(name: string): Target[] {
        const providers = gateway.providers.list();
        let same = plainSources.length === dynamic.length + 1 && plainSources[0] === providers;
        for (let i = 0; same && i < dynamic.length; i++) same = plainSources[i + 1] === dynamic[i].models();
        if (!same) {
          plainCache.clear();
          plainSources = [providers, ...dynamic.map((p) => p.models())];
        }
        let targets = plainCache.get(name);
        if (!targets) {
          targets = distinct(resolvePlain(name));
          if (plainCache.size >= PLAIN_CACHE_MAX) plainCache.clear();
          plainCache.set(name, targets);
        }
        return targets.slice();
      }

      /** A target list without repeats, as a new array (alias lists are shared: never hand them out). */
      function distinct(list: Target[]): Target[] {
        if (list.length < 2) return list.slice();
        const seen = new Set<string>();
        const out: Target[] = [];
        for (const t of list) {
          const k = targetKey(t);
          if (!seen.has(k)) {
            seen.add(k);
            out.push(t);
          }
        }
        return out;
      }

      /** The `models` body field, removed from the request so that upstreams never see it (kept in ctx.state). */
      function takeModelsList(ctx: RequestContext): string[] {
        const req = ctx.request as Record<string, unknown>;
        if (!req || !('models' in req)) return [];
        const { models: list, ...rest } = req;
        ctx.request = rest as typeof ctx.request;
        if (o.allowModelsList === false) return [];
        if (!Array.isArray(list) || list.length > MAX_MODELS_LIST) {
          throw errors.invalidRequest(
            `\`models\` must be an array of at most ${MAX_MODELS_LIST} model names.`,
            'models',
          );
        }
        list.forEach((m, i) => checkModelName(m, `models[${i}]`));
        if (list.length) setState(ctx, MODELS_LIST, list as string[]); // policy plugins treat it as a forced choice
        return list as string[];
      }

      gateway.hooks.route.tapPromise({ name: 'model-router', stage: gateway.Stage.NORMAL }, async (chosen, ctx) => {
        const extra = takeModelsList(ctx);
        let targets = chosen;
        if (targets.length === 0) {
          const forced = o.allowTargetHeader === false ? undefined : ctx.headers[TARGET_HEADER];
          if (typeof forced === 'string' && forced) {
            checkModelName(forced, TARGET_HEADER);
            const t = parseTarget(forced);
            if (forced.indexOf('/') <= 0 || !gateway.providers.has(t.provider)) throw errors.modelNotFound(forced);
            targets = [t];
            ctx.responseHeaders['x-switchyard-forced'] = 'true';
          } else {
            const name = ctx.requestedModel;
            if (extra.length === 0 && !models.has(name)) {
              // The common case (one model name, not a virtual model): resolved without an await.
              targets = plainTargets(name);
            } else {
              const seen = new Set<string>();
              targets = [];
              for (const n of [name, ...extra]) {
                for (const t of await resolve(n, ctx, 0)) {
                  const k = targetKey(t);
                  if (!seen.has(k)) {
                    seen.add(k);
                    targets.push(t);
                  }
                }
              }
            }
          }
        }
        const vm = models.get(ctx.requestedModel);
        const own = principalTags(ctx, o.policies); // already without duplicates
        const vmTags = vm?.config.requireTags;
        const required = vmTags?.length ? [...new Set([...own, ...vmTags])] : own;
        ctx.state[REQUIRED_TAGS] = required;
        if (required.length && targets.length) {
          targets = targets.filter((t) => satisfies(t, required, o.tags));
          if (targets.length === 0) throw noTargetForPolicy(ctx.requestedModel, required);
        }
        if (
          targets.length &&
          (ctx.operation === 'chat' || ctx.operation === 'count_tokens' || ctx.operation === 'embeddings')
        ) {
          // Chat on an embeddings model (and the reverse) is refused here, with a 400 that says so;
          // a model of unknown kind is tried. In a list, targets of the wrong kind are skipped.
          const wrong = ctx.operation === 'embeddings' ? 'chat' : 'embeddings'; // chat, count_tokens: chat models
          let allFit = true;
          for (const t of targets) if (kindOf(t) === wrong) allFit = false;
          if (!allFit) {
            const fit = targets.filter((t) => kindOf(t) !== wrong);
            if (!fit.length) throw errors.wrongModelKind(ctx.requestedModel, wrong);
            targets = fit;
          }
        }
        if (vm) applyModelPolicy(vm, ctx, required);
        return targets;
      });

      function applyModelPolicy(vm: CompiledModel, ctx: RequestContext, required: string[]): void {
        const c = vm.config;
        ctx.responseHeaders['x-switchyard-strategy'] = c.strategy ?? 'fallback';
        const p = (ctx.policy ??= {});
        p.attemptTimeoutMs ??= c.attemptTimeoutMs;
        p.firstChunkTimeoutMs ??= c.firstChunkTimeoutMs;
        p.deadlineMs ??= c.deadlineMs;
        p.hedgeDelayMs ??= c.hedgeDelayMs;
        if (c.shadow && ctx.operation === 'chat' && !ctx.isShadow && random() * 100 < c.shadow.percent) {
          const t = toTarget(c.shadow.target);
          delete (t as WeightedTarget).weight;
          if (satisfies(t, required, o.tags)) ctx.shadow = [t];
        }
      }

      gateway.hooks.attemptEnd.tap('model-router', (info) => {
        if (info.ok && !info.cancelled) latency.observe(targetKey(info.target), info.latencyMs, info.stream);
      });
    },
  })(options);
}
