/** The metering record produced once per request, after the response or stream has ended. */
import type { CacheStatus, Operation } from './context.js';

/** One rule of a guardrail policy that fired during a request (plugins/guardrails): counts and ids, never text. */
export interface GuardrailVerdict {
  policy: string;
  /** e.g. "pii.email", "injection.ignore_instructions", "moderation.violence", "moderation.unavailable". */
  rule: string;
  action: 'block' | 'redact' | 'flag' | 'log';
  phase: 'input' | 'output';
  /** How many times it fired (matches found, or 1 for a classification). */
  count: number;
}

/**
 * The billed units of a request that are not tokens (media operations and rerank, core/media.ts), priced per
 * unit by the catalog and stored in the ledgers. Counts only, never content.
 */
export interface BilledUnits {
  /** Images generated, with their size ("1024x1024") and quality ("standard", "hd", "low", ...). */
  images?: number;
  imageSize?: string;
  imageQuality?: string;
  /** Characters of text turned into speech. */
  characters?: number;
  /** Seconds of audio transcribed or translated. */
  audioSeconds?: number;
  /** Rerank: search units (Cohere) or queries (Bedrock), each up to 100 documents. */
  searchUnits?: number;
  /** Rerank: documents ranked. */
  documents?: number;
  /**
   * GPT image models: the input tokens that are images (the answer's `usage.input_tokens_details.image_tokens`).
   * They are part of the record's prompt tokens and priced at the catalog's `media.perMillionImageInputTokens`.
   */
  imageInputTokens?: number;
}

/** The units of a media request (the same shape as every billed unit). */
export type MediaUsage = BilledUnits;

export interface UsageRecord {
  requestId: string;
  /** Epoch milliseconds when the request arrived. */
  time: number;
  operation: Operation;
  dialect: string;
  principalId?: string;
  project?: string;
  /** End user within the principal (validated id or its hash; see docs/governance.md#end-users). */
  endUser?: string;
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
  /**
   * The token counts are the gateway's estimate, not the upstream's: a stream ended without its usage
   * chunk (e.g. aborted after the content). Prompt: the admission estimate; output: the delivered
   * chunks counted with the tokenizer. Priced and charged to budgets like reported usage.
   */
  usageEstimated?: boolean;
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
  /**
   * Billed units other than tokens (images, characters, audio seconds, rerank search units and documents);
   * `usageEstimated` applies to them too. Stored in the ledgers.
   */
  units?: BilledUnits;
  /** Priced at batch prices (the catalog's batch price, else 50% of list): batch results. */
  batch?: boolean;
  /** A mirrored request whose answer was discarded (shadow traffic). */
  shadow?: boolean;
  /** Guardrail verdicts (plugins/guardrails), when a policy applied and fired. */
  guardrails?: GuardrailVerdict[];
  /** Per-attempt detail: target, status, latency (no content). */
  attemptLog?: Array<{
    target: string;
    status: number;
    code?: string | null;
    latencyMs: number;
    hedge?: boolean;
    cancelled?: boolean;
  }>;
}
