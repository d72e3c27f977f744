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
import { rawJson } from '../../core/chunks.js';
import type { ChatContext } from '../../core/context.js';
import { definePlugin, PluginOptionsError, type Plugin } from '../../core/plugin.js';
import { MemoryStore } from '../../core/store.js';
import type { ChatCompletionResponse } from '../../core/types.js';
import type { UsageRecord } from '../../core/usage.js';
import type { ProviderEmbedderOptions } from './embedders/provider.js';
import type { Embedder } from './embedders/types.js';
import type { AddVector, Journal, RebuildStats } from './journal.js';
import { contextKey, exactKey, lastUserText, tenantOf, type TenantScope } from './keys.js';
import { cacheOptionsSchema } from './schema.js';
import type { SemanticTier, SemanticTierOptions, StoredEntry, VerifyBand } from './semantic.js';
import { CacheStats, type CacheTotalsView } from './stats.js';
import type { Verifier, VerifierOptions } from './verifier.js';

export interface SemanticOptions extends SemanticTierOptions {
  /**
   * 'wordnet' (offline, synonym-aware, default), 'ngram' (offline, surface forms only), a
   * provider's embedding model, or your own Embedder.
   */
  embedder?: 'wordnet' | 'ngram' | ProviderEmbedderOptions | Embedder;
  /** Vector size of the 'wordnet' and 'ngram' embedders. Default 256. */
  dimensions?: number;
  /** Ask a model about candidates the guard cannot settle. Off unless given. */
  verifier?: VerifierOptions;
  /**
   * Keep vectors in the gateway Store too (restarts rebuild the index from it; instances sharing
   * the store find each other's entries). Default: on unless the store is the in-memory one.
   */
  persist?: boolean;
  /** How often an instance picks up vectors other instances stored (ms). Default 250. */
  syncMs?: number;
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
  stats(): { all: CacheTotalsView; tenants: Record<string, CacheTotalsView>; semantic?: SemanticView };
}

export interface SemanticView {
  entries: number;
  partitions: number;
  bytes: number;
  embedder: string;
  threshold: number;
  /** WordNet's load time and bytes, when the tier uses it. */
  lexicon?: { id: string; loadMs: number; bytes: number };
  /** Index rebuilt from the store on start (persist on): false until done. */
  rebuilt?: boolean;
  rebuild?: RebuildStats;
  verifier?: Verifier['stats'];
}

interface State {
  key?: string;
  tenant: string;
  namespace: string;
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
  return (
    response.choices.length > 0 &&
    response.choices.every(
      (c) => (c.finish_reason === 'stop' || c.finish_reason === 'length') && !c.message.tool_calls?.length,
    )
  );
}

/**
 * A stored entry as JSON. An answer still carrying the upstream's own JSON text (RAW_JSON: nothing
 * changed it) is embedded as that text instead of being serialised again; the entry parses the same.
 */
function entryJson(entry: StoredEntry): string {
  const raw = rawJson(entry.response);
  if (raw === undefined) return JSON.stringify(entry);
  const { response: _, ...rest } = entry;
  const tail = JSON.stringify(rest);
  return `{"response":${raw}${tail.length > 2 ? `,${tail.slice(1)}` : '}'}`;
}

export function cache(options: CacheOptions = {}): CachePlugin {
  const stats = new CacheStats();
  let tier: SemanticTier | undefined;
  let verifier: Verifier | undefined;
  let journal: Journal | undefined;
  let rebuild: RebuildStats | undefined;
  let lexiconView: SemanticView['lexicon'];
  const base = definePlugin<CacheOptions>({
    name: 'cache',
    defaults: {
      ttlSeconds: 300,
      maxTtlSeconds: 86_400,
      maxTemperature: 1,
      scope: 'project',
      statsPath: '/cache/stats',
    },
    schema: cacheOptionsSchema,
    async apply(gateway, o) {
      const { store } = gateway;
      const ttlMs = o.ttlSeconds! * 1000;
      const sem: SemanticOptions | undefined = o.semantic === true ? {} : o.semantic || undefined;
      // The semantic tier's modules load only when it is on (semantic-parts.ts).
      const parts = sem ? await import('./semantic-parts.js') : undefined;
      if (sem && parts) {
        const { Journal, SemanticTier, Verifier, ngramEmbedder, providerEmbedder, wordnet, wordnetEmbedder } = parts;
        const e = sem.embedder ?? 'wordnet';
        // WordNet is read only here, when the semantic tier is configured (index files, ~6 MB, a few ms)
        const lexicon = wordnet();
        lexiconView = { id: lexicon.id, ...lexicon.stats };
        const embedder: Embedder =
          e === 'wordnet'
            ? wordnetEmbedder(lexicon, { dimensions: sem.dimensions })
            : e === 'ngram'
              ? ngramEmbedder({ dimensions: sem.dimensions })
              : 'embed' in e
                ? e
                : providerEmbedder(gateway, e);
        if (typeof e === 'object' && !('embed' in e)) {
          gateway.hooks.ready.tap('cache:embedder', () => {
            if (!gateway.providers.get(e.provider)?.embeddings) {
              throw new PluginOptionsError(
                'cache',
                'semantic.embedder.provider',
                `names "${e.provider}", which is not an enabled provider with embeddings (enabled: ${
                  gateway.providers
                    .list()
                    .map((p) => p.name)
                    .join(', ') || 'none'
                })`,
              );
            }
          });
        }
        const t = (tier = new SemanticTier(embedder, sem, ttlMs, lexicon, e === 'wordnet' ? 0.7 : 0.85));
        if (sem.verifier) verifier = new Verifier(gateway, sem.verifier, ttlMs);
        const purge = setInterval(() => t.index.purge(), 30_000).unref();
        let sync: NodeJS.Timeout | undefined;
        let closed = false;
        if (sem.persist ?? !(store instanceof MemoryStore)) {
          const j = (journal = new Journal(store, { embedderId: embedder.id, maxEntries: sem.maxEntries ?? 100_000 }));
          const add: AddVector = (p, v, ref, ms, id, links) => {
            if (!closed) t.index.add(p, v, ref, ms, { id, links });
          };
          const started = j.rebuild(add, { stopped: () => closed }).then(
            (r) => {
              rebuild = r;
              if (!closed) gateway.log.info({ ...r }, 'cache: semantic index rebuilt from the store');
            },
            (err: Error) => {
              rebuild = { entries: 0, read: 0, ms: 0 };
              if (!closed)
                gateway.log.warn(
                  { err: { message: err.message } },
                  'cache: semantic index not rebuilt (store unreachable)',
                );
            },
          );
          void started.then(() => {
            if (closed) return;
            sync = setInterval(() => {
              j.poll(add).catch(() => undefined);
            }, sem.syncMs ?? 250).unref();
          });
          gateway.readiness.add('cache-index', () =>
            rebuild
              ? { ready: true, entries: t.index.size, rebuildMs: rebuild.ms }
              : { ready: false, loading: true, entries: t.index.size },
          );
        }
        gateway.hooks.close.tapPromise('cache', async () => {
          closed = true;
          clearInterval(purge);
          clearInterval(sync);
          t.index.clear();
        });
      }
      const semantic = tier;
      const stage = { name: 'cache', stage: gateway.Stage.NORMAL };
      const load = async (key: string) => {
        const raw = await store.get<string>(key);
        return raw === undefined ? undefined : (JSON.parse(raw) as StoredEntry);
      };
      const embeddingTokens = () =>
        semantic && 'tokens' in semantic.embedder ? (semantic.embedder as { tokens: number }).tokens : 0;
      /** Embed the state's prompt once per request, counting a provider embedder's tokens. */
      const vectorOf = async (s: State, ctx: ChatContext): Promise<Float32Array> => {
        if (s.vector) return s.vector;
        const before = embeddingTokens();
        s.vector = await semantic!.embed(s.prompt!, ctx);
        const spent = embeddingTokens() - before;
        if (spent) stats.add(s.tenant, (t) => (t.embeddingTokens += spent));
        return s.vector;
      };

      gateway.hooks.cacheLookup.tapPromise(stage, async (ctx) => {
        if ((ctx as { isShadow?: boolean }).isShadow) return undefined; // mirrored traffic neither reads nor writes
        // the cache's own verifier calls
        if ((ctx.state.cache as { internal?: boolean } | undefined)?.internal) return undefined;
        const cc = (header(ctx, 'cache-control') ?? '')
          .toLowerCase()
          .split(',')
          .map((d) => d.trim());
        const ns = header(ctx, 'x-switchyard-cache-namespace');
        const temp = ctx.request.temperature;
        const tenant = tenantOf(ctx, o.scope!);
        if (
          cc.includes('no-store') ||
          (ctx.request.n ?? 1) > 1 ||
          (ns !== undefined && !NAMESPACE.test(ns)) ||
          (typeof temp === 'number' && temp > o.maxTemperature!)
        ) {
          ctx.cache = 'bypass';
          stats.add(tenant, (t) => t.bypasses++);
          return undefined;
        }
        let ttl = ttlMs;
        const ttlHeader = header(ctx, 'x-switchyard-cache-ttl');
        if (ttlHeader !== undefined && /^\d{1,9}$/.test(ttlHeader.trim()))
          ttl = Math.min(Number(ttlHeader), o.maxTtlSeconds!) * 1000;
        const namespace = ns ?? '';
        const s: State = { key: exactKey(ctx, tenant, namespace), tenant, namespace, ttlMs: ttl };
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
          return { kind: 'hit', response: exact.response, target: exact.target };
        }
        if (semantic && s.partition) {
          try {
            const partition = s.partition;
            const band: VerifyBand | undefined = verifier && {
              minScore: verifier.o.minScore ?? semantic.threshold - 0.15,
              lexical: verifier.o.lexical !== false,
              ask: async (cached) => {
                const verdict = await verifier!.verify(ctx, partition, cached, s.prompt!);
                stats.add(tenant, (t) => {
                  t.verifier[verdict]++;
                });
                return verdict === 'yes';
              },
            };
            const found = await semantic.find(partition, await vectorOf(s, ctx), s.prompt!, load, band);
            if (found.kind === 'hit') {
              stats.add(tenant, (t) => t.semanticHits++);
              const headers: Record<string, string> = { 'x-switchyard-cache-similarity': found.score.toFixed(4) };
              if (found.verified) headers['x-switchyard-cache-verified'] = 'yes';
              return { kind: 'semantic-hit', response: found.entry.response, target: found.entry.target, headers };
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
        // Keyed and labelled by the target that answered: after failover that is not the first one,
        // and its answer must never be served as the first target's.
        const answered = ctx.target ?? ctx.targets[0];
        let { key, partition } = s;
        if (answered !== ctx.targets[0]) {
          key = exactKey(ctx, s.tenant, s.namespace, answered);
          if (semantic && partition) partition = contextKey(ctx, s.tenant, s.namespace, semantic.embedder.id, answered);
        }
        const entry: StoredEntry = { v: 2, response, target: { provider: answered.provider, model: answered.model } };
        if (partition) entry.prompt = s.prompt;
        await store.set(key, entryJson(entry), s.ttlMs);
        stats.add(s.tenant, (t) => t.stores++);
        if (semantic && partition) {
          try {
            // with a journal, index the vector every instance will read back (int8 round trip)
            const vec = journal ? parts!.roundTrip(await vectorOf(s, ctx)) : await vectorOf(s, ctx);
            semantic.add(partition, vec, key, s.ttlMs);
            if (journal) {
              // the links the graph just chose travel with the vector, so a rebuild replays them
              const seq = await journal.append(partition, vec, key, s.ttlMs, semantic.index.linksOf(key));
              semantic.index.setId(key, seq);
            }
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
        const saved = {
          cacheSavedPromptTokens: r.promptTokens,
          cacheSavedCompletionTokens: r.completionTokens,
          cacheSavedTokens: r.totalTokens,
        };
        // Field by field (Object.assign makes the record a dictionary-mode object, see model-catalog).
        r.cacheSavedPromptTokens = saved.cacheSavedPromptTokens;
        r.cacheSavedCompletionTokens = saved.cacheSavedCompletionTokens;
        r.cacheSavedTokens = saved.cacheSavedTokens;
        r.promptTokens = 0;
        r.completionTokens = 0;
        r.totalTokens = 0;
        r.cachedTokens = 0;
        r.reasoningTokens = 0;
        const tenant = (ctx.state.cache as State | undefined)?.tenant ?? '-';
        stats.add(tenant, (t) => {
          t.savedPromptTokens += saved.cacheSavedPromptTokens;
          t.savedCompletionTokens += saved.cacheSavedCompletionTokens;
          t.savedTokens += saved.cacheSavedTokens;
        });
      });

      if (o.statsPath) {
        gateway.route({
          method: 'get',
          path: o.statsPath,
          auth: 'key',
          handler: (kctx, ctx) => {
            // With auth, a caller sees its own tenant only; without, everything.
            const tenant = ctx.principal ? tenantOf(ctx, o.scope!) : undefined;
            kctx.body = tenant !== undefined ? { scope: o.scope, tenant, ...stats.tenant(tenant) } : self.stats();
          },
        });
      }
    },
  })(options);
  const self: CachePlugin = {
    ...base,
    stats: () => ({
      all: CacheStats.view(stats.all),
      tenants: stats.tenants(),
      ...(tier
        ? {
            semantic: {
              entries: tier.index.size,
              partitions: tier.index.partitions,
              bytes: tier.index.bytes,
              embedder: tier.embedder.id,
              threshold: tier.threshold,
              ...(lexiconView ? { lexicon: lexiconView } : {}),
              ...(journal ? { rebuilt: rebuild !== undefined, ...(rebuild ? { rebuild } : {}) } : {}),
              ...(verifier ? { verifier: { ...verifier.stats } } : {}),
            },
          }
        : {}),
    }),
  };
  return self;
}

export { exactCache, type ExactCacheOptions } from './exact-cache.js';

declare module '../../core/config-types.js' {
  interface SwitchyardConfig {
    /** Response cache (exact tier, optional semantic tier). Default off. See docs/caching.md. */
    cache?: CacheOptions | false;
  }
}
