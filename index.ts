/** Switchyard's public API: the gateway, config helpers, plugin authoring, and built-in plugins. */
export { createGateway, type SwitchyardGateway, type ListenOptions, type Listening } from './core/gateway.js';
export { defineConfig, ConfigError, validateConfig } from './core/config.js';
export type * from './core/config-types.js';
export { definePlugin, PluginOptionsError, type Plugin, type PluginSpec } from './core/plugin.js';
export type { Gateway } from './core/gateway-types.js';
export type { Hooks, CachedAnswer, FailoverInfo, FailoverDecision } from './core/hooks.js';
export type { RequestContext, ChatContext, EmbeddingsContext, Principal, Target, AttemptRecord, CacheStatus } from './core/context.js';
export type { ProviderAdapter, UpstreamCall } from './core/provider.js';
export type { UsageRecord } from './core/usage.js';
export type * from './core/types.js';
export { GatewayError, errors, isRetryableStatus } from './core/errors.js';
export { Stage } from './core/stages.js';
export { MemoryStore, type Store } from './core/store.js';
export { parseSse, sseData } from './core/sse.js';
export { ChunkAccumulator, responseToChunks } from './core/chunks.js';
export { transportError, bodyError, readErrorBody, readJsonBody, type UpstreamClient } from './core/upstream.js';

export { mock, type MockOptions } from './plugins/providers/mock/index.js';
export {
  openai, deepseek, groq, together, fireworks, mistral, xai, openrouter, perplexity, cerebras, ollama, vllm,
  openaiCompatible, type OpenAICompatibleOptions,
} from './plugins/providers/openai-compatible/index.js';
export { anthropic, type AnthropicOptions } from './plugins/providers/anthropic/index.js';
export { gemini, vertex, type GeminiOptions, type VertexOptions } from './plugins/providers/gemini/index.js';
export { azureOpenAI, type AzureOpenAIOptions } from './plugins/providers/azure-openai/index.js';
export { cohere, type CohereOptions } from './plugins/providers/cohere/index.js';
export { bedrock, type BedrockOptions } from './plugins/providers/bedrock/index.js';
export { providersFromEnv } from './plugins/providers/from-env.js';
export { staticKeys } from './plugins/auth/static-keys.js';
export { modelRouter } from './plugins/router/model-router.js';
export { retryFailover } from './plugins/failover/retry-failover.js';
export { exactCache } from './plugins/cache/exact-cache.js';
export { cache, type CachePlugin } from './plugins/cache/index.js';
export { modelCatalog, Catalog, computeCost, type CatalogConfig } from './plugins/catalog/index.js';
export { usageMeter, type UsageTotals } from './plugins/meter/usage-meter.js';
export { governance, MemoryQuotaStore, SqliteLedger, type GovernancePlugin, type QuotaStore, type Ledger } from './plugins/governance/index.js';
export { dashboard, type DashboardOptions } from './plugins/dashboard/index.js';
export { redis, RedisStore, postgresLedger, PostgresLedger, sharedGovernance, type RedisStoreOptions, type PostgresLedgerOptions, type OutagePolicy } from './plugins/scaleout/index.js';
