/** Switchyard's public API: the gateway, config helpers, plugin authoring, and built-in plugins. */
import { assembleGateway, type SwitchyardGateway } from './core/gateway.js';
import type { SwitchyardConfig } from './core/config-types.js';
import { builtinPlugins } from './plugins/builtin.js';
import { providersFromEnv } from './plugins/providers/from-env.js';

export {
  assembleGateway,
  type GatewayWiring,
  type SwitchyardGateway,
  type ListenOptions,
  type Listening,
} from './core/gateway.js';

/**
 * Create a gateway from a config: the core with the built-in plugins that the config's sections switch on,
 * and, when the config names no providers, every provider whose key or base URL is in the environment.
 */
export function createGateway(config: SwitchyardConfig = {}): Promise<SwitchyardGateway> {
  return assembleGateway(config, { envProviders: () => providersFromEnv(process.env), builtins: builtinPlugins });
}
export { defineConfig, ConfigError, validateConfig } from './core/config.js';
export type * from './core/config-types.js';
export {
  checkOptions,
  definePlugin,
  PluginDependencyError,
  PluginOptionsError,
  type Plugin,
  type PluginSpec,
} from './core/plugin.js';
export type { Gateway } from './core/gateway-types.js';
export type {
  Hooks,
  CachedAnswer,
  FailoverInfo,
  FailoverDecision,
  AttemptStart,
  AttemptEnd,
  AttemptReason,
  AuditEvent,
} from './core/hooks.js';
export type {
  RequestContext,
  ChatContext,
  EmbeddingsContext,
  Principal,
  Target,
  AttemptRecord,
  CacheStatus,
} from './core/context.js';
export type { ProviderAdapter, UpstreamCall } from './core/provider.js';
export type { UsageRecord } from './core/usage.js';
export type * from './core/types.js';
export { GatewayError, errors, isRetryableStatus } from './core/errors.js';
export { Stage } from './core/stages.js';
export { stateKey, getState, setState, type StateKey } from './core/state.js';
export type { RouteSpec, RouteAuth, RouteHandler, RouteMethod, MountedRoute } from './core/routes.js';
export { createContext, authenticate, startRequest, type ContextKind } from './core/request-context.js';
// The ingress extension point: `gateway.ingress({ name, routes })` and the blocks an ingress is built from.
export type { IngressSpec, IngressRoute } from './core/ingress.js';
export type { Dialect, StreamEncoder } from './core/http/dialect.js';
export { chatHandler } from './core/http/handlers.js';
export { RequestLife, type ErrorBody } from './core/http/request-life.js';
export { answerStream } from './core/http/stream-answer.js';
export { runChat, admitRequest, finishRequest, type ChatOutcome } from './core/pipeline.js';
export { AdapterView } from './core/provider.js';
export { MemoryStore, type Store } from './core/store.js';
export { parseSse, sseData } from './core/sse.js';
export { ChunkAccumulator, responseToChunks } from './core/chunks.js';
export {
  transportError,
  bodyError,
  readErrorBody,
  readJsonBody,
  type UpstreamClient,
  type UpstreamObserver,
  type UpstreamObservation,
} from './core/upstream.js';

export { mock, type MockOptions } from './plugins/providers/mock/index.js';
export {
  openai,
  deepseek,
  groq,
  together,
  fireworks,
  mistral,
  xai,
  openrouter,
  perplexity,
  cerebras,
  jina,
  voyage,
  ollama,
  vllm,
  openaiCompatible,
  type OpenAICompatibleOptions,
} from './plugins/providers/openai-compatible/index.js';
export { anthropic, type AnthropicOptions } from './plugins/providers/anthropic/index.js';
export { gemini, vertex, type GeminiOptions, type VertexOptions } from './plugins/providers/gemini/index.js';
export { azureOpenAI, type AzureOpenAIOptions } from './plugins/providers/azure-openai/index.js';
export { cohere, type CohereOptions } from './plugins/providers/cohere/index.js';
export { bedrock, type BedrockOptions } from './plugins/providers/bedrock/index.js';
export { providersFromEnv } from './plugins/providers/from-env.js';
export { staticKeys } from './plugins/auth/index.js';
export { anthropicIngress, anthropicDialect } from './plugins/anthropic-ingress/index.js';
export { responsesIngress } from './plugins/responses-ingress/index.js';
export { presentedKey } from './core/credentials.js';
export { modelRouter } from './plugins/router/index.js';
export { retryFailover } from './plugins/failover/index.js';
export { cache, exactCache, type CachePlugin, type CacheOptions as CacheConfig } from './plugins/cache/index.js';
export { modelCatalog, Catalog, computeCost, type CatalogConfig } from './plugins/catalog/index.js';
export { usageMeter, type UsageTotals } from './plugins/meter/index.js';
export {
  governance,
  LOCAL_ADMIN_KEY,
  MemoryQuotaStore,
  SqliteLedger,
  type GovernanceConfig,
  type GovernancePlugin,
  type QuotaStore,
  type Ledger,
} from './plugins/governance/index.js';
export { dashboard, type DashboardOptions } from './plugins/dashboard/index.js';
export {
  guardrails,
  scoreInjection,
  PII_ENTITIES,
  SECRET_TYPES,
  guardrailsState,
  type GuardrailsOptions,
  type GuardrailPolicy,
  type GuardrailCheck,
  type GuardrailAction,
  type GuardrailVerdict,
} from './plugins/guardrails/index.js';
export {
  redis,
  RedisStore,
  postgresLedger,
  PostgresLedger,
  sharedGovernance,
  type RedisStoreOptions,
  type PostgresLedgerOptions,
  type OutagePolicy,
} from './plugins/scaleout/index.js';
export { otel, type OtelOptions, type OtelPlugin } from './plugins/otel/index.js';
export {
  eventExport,
  type ExportOptions,
  type ExportPlugin,
  type ExportEvent,
  type SinkStats,
} from './plugins/export/index.js';
