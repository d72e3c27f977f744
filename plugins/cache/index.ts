/**
 * The response cache: an exact tier (hash of the normalised request) and, when configured, a
 * semantic tier (nearest neighbour of the last user turn within an identical context) tried only
 * on an exact miss. Tenant-scoped (project by default), model-scoped, streaming-aware (the core
 * replays a hit as a stream and hands over a streamed answer once complete). See docs/caching.md.
 *
 * Per request: `Cache-Control: no-store` (bypass), `no-cache` (refresh: skip the lookup, store the
 * fresh answer), `x-switchyard-cache-ttl: <seconds>` (0 = do not store), and
 * `x-switchyard-cache-namespace: <name>` (a separate partition). Answers carry
 * `x-switchyard-cache: hit | semantic-hit | miss | bypass | refresh`, and semantic hits
 * `x-switchyard-cache-similarity`.
 */
import type { ChatContext } from '../../core/context.js';
import { GatewayError, errors } from '../../core/errors.js';
import { openaiErrorBody } from '../../core/http/openai-dialect.js';
import { definePlugin, type Plugin } from '../../core/plugin.js';
import type { ChatCompletionResponse } from '../../core/types.js';
import type { UsageRecord } from '../../core/usage.js';
import { ngramEmbedder } from './embedders/ngram.js';
import { providerEmbedder, type ProviderEmbedderOptions } from './embedders/provider.js';
import type { Embedder } from './embedders/types.js';
import { contextKey, exactKey, lastUserText, tenantOf, type TenantScope } from './keys.js';
import { cacheOptionsSchema } from './schema.js';
import { SemanticTier, type SemanticTierOptions, type StoredEntry } from './semantic.js';
import { CacheStats, type CacheTotalsView } from './stats.js';

export interface SemanticOptions extends SemanticTierOptions {
  /** 'ngram' (offline, default), a provider's embedding model, or your own Embedder. */
  embedder?: 'ngram' | ProviderEmbedderOptions | Embedder;
  /** Vector size of the 'ngram' embedder. Default 256. */
  dimensions?: number;
}

export interface CacheOptions {
  /** How long an answer is kept. Default 300 s. */
  ttlSeconds?: number;
  /** Largest TTL a client may ask for with x-switchyard-cache-ttl. Default 86 400 s. */
  maxTtlSeconds?: number;
  /** Requests with a higher temperature are not cached. Default 1. */
  maxTemperature?: number;
  /** Who shares entries: the key's project (else the key), the key, or everyone. Default 'project'. */
  scope?: TenantScope;
  /** The semantic tier: off unless given (true = defaults). */
  semantic?: boolean | SemanticOptions;
  /** Route serving the caller's cache stats (behind the gateway's auth); false for none. Default '/cache/stats'. */
  statsPath?: string | false;
}

export interface CachePlugin extends Plugin {
  /** Hit rate and savings since start: overall, and per tenant. */
  stats(): { all: CacheTotalsView; tenants: Record<string, CacheTotalsView>; semantic?: { entries: number; partitions: number; bytes: number } };
}

interface State {
  key?: string;
  tenant: string;
  ttlMs: number;
  partition?: string;
  prompt?: string;
  vector?: Float32Array;
}

const NAMESPACE = /^[A-Za-z0-9._:-]{1,64}$/;

function header(ctx: ChatContext, name: string): string | undefined {
  const v = ctx.headers[name];
  return typeof v === 'string' ? v : Array.isArray(v) ? v[0] : undefined;
}

function cacheable(response: ChatCompletionResponse): boolean {
  return response.choices.length > 0 && response.choices.every(
    (c) => (c.finish_reason === 'stop' || c.finish_reason === 'length') && !c.message.tool_calls?.length);
}

export function cache(options: CacheOptions = {}): CachePlugin {
  const stats = new CacheStats();
  let tier: SemanticTier | undefined;
  const base = definePlugin<CacheOptions>({
    name: 'cache',
    defaults: { ttlSeconds: 300, maxTtlSeconds: 86_400, maxTemperature: 1, scope: 'project', statsPath: '/cache/stats' },
    schema: cacheOptionsSchema,
    apply(gateway, o) {
      const { store } = gateway;
      const ttlMs = o.ttlSeconds! * 1000;
      const sem: SemanticOptions | undefined = o.semantic === true ? {} : o.semantic || undefined;
      if (sem) {
        const e = sem.embedder;
        const embedder: Embedder = e === undefined || e === 'ngram' ? ngramEmbedder({ dimensions: sem.dimensions })
          : 'embed' in e ? e : providerEmbedder(gateway, e);
        tier = new SemanticTier(embedder, sem, ttlMs);
        const purge = setInterval(() => tier!.index.purge(), 30_000).unref();
        gateway.hooks.close.tapPromise('cache', async () => { clearInterval(purge); tier!.index.clear(); });
      }
      const semantic = tier;
      const stage = { name: 'cache', stage: gateway.Stage.NORMAL };
      const load = async (key: string) => {
        const raw = await store.get<string>(key);
        return raw === undefined ? undefined : (JSON.parse(raw) as StoredEntry);
      };
      const embeddingTokens = () => (semantic && 'tokens' in semantic.embedder ? (semantic.embedder as { tokens: number }).tokens : 0);
      /** Embed the state's prompt once per request, counting a provider embedder's tokens. */
      const vectorOf = async (s: State, ctx: ChatContext): Promise<Float32Array> => {
        if (s.vector) return s.vector;
        const before = embeddingTokens();
        s.vector = await semantic!.embed(s.prompt!, ctx);
        const spent = embeddingTokens() - before;
        if (spent) stats.add(s.tenant, (t) => t.embeddingTokens += spent);
        return s.vector;
      };

      gateway.hooks.cacheLookup.tapPromise(stage, async (ctx) => {
        if ((ctx as { isShadow?: boolean }).isShadow) return undefined; // mirrored traffic neither reads nor writes
        const cc = (header(ctx, 'cache-control') ?? '').toLowerCase().split(',').map((d) => d.trim());
        const ns = header(ctx, 'x-switchyard-cache-namespace');
        const temp = ctx.request.temperature;
        const tenant = tenantOf(ctx, o.scope!);
        if (cc.includes('no-store') || (ctx.request.n ?? 1) > 1 || (ns !== undefined && !NAMESPACE.test(ns)) ||
          (typeof temp === 'number' && temp > o.maxTemperature!)) {
          ctx.cache = 'bypass';
          stats.add(tenant, (t) => t.bypasses++);
          return undefined;
        }
        let ttl = ttlMs;
        const ttlHeader = header(ctx, 'x-switchyard-cache-ttl');
        if (ttlHeader !== undefined && /^\d{1,9}$/.test(ttlHeader.trim())) ttl = Math.min(Number(ttlHeader), o.maxTtlSeconds!) * 1000;
        const namespace = ns ?? '';
        const s: State = { key: exactKey(ctx, tenant, namespace), tenant, ttlMs: ttl };
        ctx.state.cache = s;
        const prompt = semantic ? lastUserText(ctx.request) : undefined;
        if (semantic && prompt !== undefined && prompt.length <= semantic.maxPromptChars && prompt.trim()) {
          s.prompt = prompt;
          s.partition = contextKey(ctx, tenant, namespace, semantic.embedder.id);
        }
        if (cc.includes('no-cache')) {
          ctx.cache = 'refresh';
          stats.add(tenant, (t) => t.refreshes++);
          return undefined;
        }
        stats.add(tenant, (t) => t.lookups++);
        const exact = await load(s.key!);
        if (exact) {
          stats.add(tenant, (t) => t.hits++);
          return { kind: 'hit', response: exact.response };
        }
        if (semantic && s.partition) {
          try {
            const found = await semantic.find(s.partition, await vectorOf(s, ctx), s.prompt!, load);
            if (found.kind === 'hit') {
              stats.add(tenant, (t) => t.semanticHits++);
              return { kind: 'semantic-hit', response: found.entry.response, headers: { 'x-switchyard-cache-similarity': found.score.toFixed(4) } };
            }
            for (const r of found.rejected) stats.add(tenant, (t) => t.guardRejections[r]++);
          } catch (err) {
            if (ctx.signal.aborted) throw err;
            stats.add(tenant, (t) => t.embeddingErrors++);
            ctx.log.warn({ err: { message: (err as Error).message } }, 'cache: semantic lookup failed');
          }
        }
        ctx.cache = 'miss';
        stats.add(tenant, (t) => t.misses++);
        return undefined;
      });

      gateway.hooks.cacheStore.tapPromise(stage, async (ctx, response) => {
        const s = ctx.state.cache as State | undefined;
        if (!s?.key || s.ttlMs <= 0 || !cacheable(response)) return;
        const entry: StoredEntry = { v: 2, response };
        if (s.partition) entry.prompt = s.prompt;
        await store.set(s.key, JSON.stringify(entry), s.ttlMs);
        stats.add(s.tenant, (t) => t.stores++);
        if (semantic && s.partition) {
          try {
            semantic.add(s.partition, await vectorOf(s, ctx), s.key, s.ttlMs);
          } catch (err) {
            stats.add(s.tenant, (t) => t.embeddingErrors++);
            ctx.log.warn({ err: { message: (err as Error).message } }, 'cache: embedding for store failed');
          }
        }
      });

      // A hit costs no upstream tokens: the record shows zero tokens, and what the hit saved under
      // cacheSaved*Tokens. Runs before every other meter tap (a pricing tap then prices zero tokens).
      gateway.hooks.meter.tap({ name: 'cache', stage: gateway.Stage.FIRST - 10 }, (r: UsageRecord, ctx) => {
        if (r.cache !== 'hit' && r.cache !== 'semantic-hit') return;
        const saved = { cacheSavedPromptTokens: r.promptTokens, cacheSavedCompletionTokens: r.completionTokens, cacheSavedTokens: r.totalTokens };
        Object.assign(r, saved, { promptTokens: 0, completionTokens: 0, totalTokens: 0, cachedTokens: 0, reasoningTokens: 0 });
        const tenant = (ctx.state.cache as State | undefined)?.tenant ?? '-';
        stats.add(tenant, (t) => {
          t.savedPromptTokens += saved.cacheSavedPromptTokens;
          t.savedCompletionTokens += saved.cacheSavedCompletionTokens;
          t.savedTokens += saved.cacheSavedTokens;
        });
      });

      if (o.statsPath) {
        gateway.router.get(o.statsPath, async (kctx) => {
          let tenant: string | undefined;
          if (gateway.hooks.auth.isUsed()) {
            const actx = { id: 'cache-stats', operation: 'models', headers: kctx.headers, state: {}, log: gateway.log, responseHeaders: {}, targets: [], attempts: [] } as unknown as ChatContext;
            const principal = await gateway.hooks.auth.promise(actx).catch((e: unknown) => e);
            if (!principal || principal instanceof Error) {
              const err = principal instanceof GatewayError ? principal : errors.missingKey();
              kctx.status = err.status;
              kctx.body = openaiErrorBody(err);
              return;
            }
            actx.principal = principal as NonNullable<ChatContext['principal']>;
            tenant = tenantOf(actx, o.scope!);
          }
          // With auth, a caller sees its own tenant only; without, everything.
          kctx.body = tenant !== undefined ? { scope: o.scope, tenant, ...stats.tenant(tenant) } : self.stats();
        });
      }
    },
  })(options);
  const self: CachePlugin = {
    ...base,
    stats: () => ({
      all: CacheStats.view(stats.all),
      tenants: stats.tenants(),
      ...(tier ? { semantic: { entries: tier.index.size, partitions: tier.index.partitions, bytes: tier.index.bytes } } : {}),
    }),
  };
  return self;
}
