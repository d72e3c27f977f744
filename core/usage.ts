/** The metering record produced once per request, after the response or stream has ended. */
import type { CacheStatus, Operation } from './context.js';

export interface UsageRecord {
  requestId: string;
  /** Epoch milliseconds when the request arrived. */
  time: number;
  operation: Operation;
  dialect: string;
  principalId?: string;
  project?: string;
  requestedModel: string;
  provider?: string;
  model?: string;
  stream: boolean;
  /** HTTP status sent to the client (499 when the client went away first). */
  status: number;
  errorCode?: string | null;
  aborted: boolean;
  cache?: CacheStatus;
  latencyMs: number;
  ttftMs?: number;
  attempts: number;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  cachedTokens: number;
  /** Prompt tokens written to a provider-side prompt cache (billed at the cache-write price). */
  cacheWriteTokens: number;
  reasoningTokens: number;
  /** Cache hits (plugins/cache): the tokens the replayed answer cost when it was first produced. */
  cacheSavedPromptTokens?: number;
  cacheSavedCompletionTokens?: number;
  cacheSavedTokens?: number;
  /** Effective cost in USD (negotiated prices / discount / credit fee applied); set by the catalog plugin. */
  costUsd?: number;
  /** The same usage at the catalog's list prices. */
  listCostUsd?: number;
  /** Cache hits: what the replayed answer would have cost upstream (effective prices); set by the catalog plugin. */
  costSavedUsd?: number;
  /** A mirrored request whose answer was discarded (shadow traffic). */
  shadow?: boolean;
  /** Per-attempt detail: target, status, latency (no content). */
  attemptLog?: Array<{ target: string; status: number; code?: string | null; latencyMs: number; hedge?: boolean; cancelled?: boolean }>;
}
