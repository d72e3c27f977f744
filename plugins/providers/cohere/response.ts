/** Cohere's v2 Chat and Embed answers in the canonical (OpenAI) shapes: messages, usage, finish reasons, vectors. */
import { GatewayError } from '../../../core/errors.js';
import type {
  ChatCompletionResponse,
  EmbeddingsRequest,
  EmbeddingsResponse,
  FinishReason,
  ToolCall,
  Usage,
} from '../../../core/types.js';

export interface CohereUsage {
  billed_units?: { input_tokens?: number; output_tokens?: number; [k: string]: unknown };
  tokens?: { input_tokens?: number; output_tokens?: number };
  cached_tokens?: number;
}

export interface CohereToolCall {
  id?: string;
  type?: string;
  function?: { name?: string; arguments?: string };
}

export interface CohereChatResponse {
  id: string;
  finish_reason: string;
  message?: {
    role?: string;
    content?: Array<{ type: string; text?: string; thinking?: string }>;
    tool_plan?: string;
    tool_calls?: CohereToolCall[];
    citations?: unknown[];
  };
  usage?: CohereUsage;
}

/**
 * Cohere usage -> OpenAI usage. Billed units are what the account pays for (they leave out the
 * tokens of Cohere's own system preamble), so they are preferred; `tokens` fills in what is missing.
 */
export function toUsage(u: CohereUsage | undefined): Usage | undefined {
  if (!u) return undefined;
  const prompt = u.billed_units?.input_tokens ?? u.tokens?.input_tokens ?? 0;
  const completion = u.billed_units?.output_tokens ?? u.tokens?.output_tokens ?? 0;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    ...(typeof u.cached_tokens === 'number' ? { prompt_tokens_details: { cached_tokens: u.cached_tokens } } : {}),
  };
}

/** COMPLETE / STOP_SEQUENCE -> stop, MAX_TOKENS -> length, TOOL_CALL -> tool_calls; ERROR / TIMEOUT throw. */
export function toFinishReason(reason: string | undefined, provider: string, error?: string): FinishReason {
  switch (reason) {
    case 'COMPLETE':
    case 'STOP_SEQUENCE':
      return 'stop';
    case 'MAX_TOKENS':
      return 'length';
    case 'TOOL_CALL':
      return 'tool_calls';
    case 'TIMEOUT':
      throw new GatewayError(504, error || 'The Cohere generation timed out.', {
        type: 'timeout_error',
        code: 'upstream_timeout',
        retryable: true,
        upstream: { provider },
      });
    case 'ERROR':
      throw new GatewayError(502, error || 'The Cohere generation failed with an internal error.', {
        type: 'api_error',
        code: 'upstream_generation_error',
        retryable: true,
        upstream: { provider },
      });
    default:
      return 'stop';
  }
}

export function fromCohereChat(res: CohereChatResponse, model: string, provider: string): ChatCompletionResponse {
  const finish = toFinishReason(res.finish_reason, provider);
  const parts = res.message?.content ?? [];
  const text = parts
    .filter((p) => p.type === 'text')
    .map((p) => p.text ?? '')
    .join('');
  const thinking = parts
    .filter((p) => p.type === 'thinking')
    .map((p) => p.thinking ?? p.text ?? '')
    .join('');
  const toolCalls: ToolCall[] = (res.message?.tool_calls ?? []).map((t, i) => ({
    id: t.id ?? `call_${i}`,
    type: 'function',
    function: { name: t.function?.name ?? '', arguments: t.function?.arguments ?? '{}' },
  }));
  const usage = toUsage(res.usage);
  return {
    id: res.id,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: text || !toolCalls.length ? text : null,
          ...(thinking ? { reasoning_content: thinking } : {}),
          ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
        },
        finish_reason: finish,
        logprobs: null,
      },
    ],
    ...(usage ? { usage } : {}),
  };
}

export interface CohereEmbedResponse {
  id?: string;
  embeddings?: { float?: number[][] };
  texts?: string[];
  meta?: { billed_units?: { input_tokens?: number } };
}

/** Float32 little-endian, base64: what OpenAI sends for encoding_format "base64". */
function toBase64(v: number[]): string {
  const buf = Buffer.alloc(v.length * 4);
  v.forEach((x, i) => buf.writeFloatLE(x, i * 4));
  return buf.toString('base64');
}

export function fromCohereEmbed(res: CohereEmbedResponse, req: EmbeddingsRequest): EmbeddingsResponse | undefined {
  const vectors = res.embeddings?.float;
  if (!Array.isArray(vectors)) return undefined;
  const tokens = res.meta?.billed_units?.input_tokens ?? 0;
  return {
    object: 'list',
    data: vectors.map((embedding, index) => ({
      object: 'embedding' as const,
      index,
      embedding: req.encoding_format === 'base64' ? toBase64(embedding) : embedding,
    })),
    model: req.model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}
