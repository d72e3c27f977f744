/**
 * Gemini GenerateContentResponse -> canonical chat completion; usage and finish-reason mapping; the
 * embeddings answers (Gemini batchEmbedContents, Vertex predict) -> OpenAI's embeddings response.
 *
 * Finish reasons: STOP -> "stop" ("tool_calls" when the candidate has function calls), MAX_TOKENS ->
 * "length", SAFETY / RECITATION / BLOCKLIST / PROHIBITED_CONTENT / SPII / IMAGE_SAFETY /
 * IMAGE_PROHIBITED_CONTENT / IMAGE_RECITATION -> "content_filter", anything else (OTHER, LANGUAGE,
 * MALFORMED_FUNCTION_CALL, ...) -> "stop" (or "tool_calls" when calls are present).
 * A response with promptFeedback.blockReason and no candidates means the prompt was blocked: that is
 * a 400 error with code "content_filter" (see errors.ts promptBlocked).
 * Usage: prompt_tokens = promptTokenCount (+ toolUsePromptTokenCount); completion_tokens =
 * candidatesTokenCount + thoughtsTokenCount; reasoning_tokens = thoughtsTokenCount; cached_tokens =
 * cachedContentTokenCount; total_tokens = totalTokenCount (else the sum).
 */
import { createHash } from 'node:crypto';
import { errors } from '../../../core/errors.js';
import type { ChatCompletionResponse, EmbeddingsResponse, FinishReason, ToolCall, Usage } from '../../../core/types.js';
import { promptBlocked } from './errors.js';
import { makeToolCallId, type GeminiPart } from './request.js';

export interface GeminiCandidate {
  content?: { role?: string; parts?: GeminiPart[] };
  finishReason?: string;
  finishMessage?: string;
  index?: number;
  [k: string]: unknown;
}

export interface GeminiUsage {
  promptTokenCount?: number;
  candidatesTokenCount?: number;
  thoughtsTokenCount?: number;
  cachedContentTokenCount?: number;
  toolUsePromptTokenCount?: number;
  totalTokenCount?: number;
}

export interface GeminiResponse {
  candidates?: GeminiCandidate[];
  promptFeedback?: { blockReason?: string; blockReasonMessage?: string };
  usageMetadata?: GeminiUsage;
  modelVersion?: string;
  responseId?: string;
  error?: unknown;
}

const FILTERED = new Set([
  'SAFETY',
  'RECITATION',
  'BLOCKLIST',
  'PROHIBITED_CONTENT',
  'SPII',
  'IMAGE_SAFETY',
  'IMAGE_PROHIBITED_CONTENT',
  'IMAGE_RECITATION',
]);

export function mapFinishReason(reason: string | undefined, hasToolCalls: boolean): FinishReason {
  if (!reason || reason === 'FINISH_REASON_UNSPECIFIED') return null;
  if (reason === 'MAX_TOKENS') return 'length';
  if (FILTERED.has(reason)) return 'content_filter';
  return hasToolCalls ? 'tool_calls' : 'stop';
}

export function mapUsage(u: GeminiUsage | undefined): Usage | undefined {
  if (!u) return undefined;
  const prompt = (u.promptTokenCount ?? 0) + (u.toolUsePromptTokenCount ?? 0);
  const thoughts = u.thoughtsTokenCount ?? 0;
  const completion = (u.candidatesTokenCount ?? 0) + thoughts;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: u.totalTokenCount ?? prompt + completion,
    prompt_tokens_details: { cached_tokens: u.cachedContentTokenCount ?? 0 },
    completion_tokens_details: { reasoning_tokens: thoughts },
  };
}

/** Id of the whole answer: Gemini's responseId when given, else a hash of the candidates. */
export function responseIdOf(res: GeminiResponse, fallbackSeed: string): string {
  if (res.responseId) return `chatcmpl-${res.responseId}`;
  return `chatcmpl-${createHash('sha256').update(fallbackSeed).digest('hex').slice(0, 24)}`;
}

/** One function-call part -> a canonical tool call with a stable id. */
export function toolCallOf(part: GeminiPart, seed: string): ToolCall {
  const fc = part.functionCall!;
  const args = JSON.stringify(fc.args ?? {});
  const id = fc.id
    ? part.thoughtSignature
      ? `${fc.id}__ts__${part.thoughtSignature}`
      : fc.id
    : makeToolCallId(`${seed}|${fc.name}|${args}`, part.thoughtSignature);
  return { id, type: 'function', function: { name: fc.name, arguments: args } };
}

/** Throws the content_filter error when the prompt was blocked and nothing was generated. */
export function checkPromptBlocked(provider: string, res: GeminiResponse): void {
  const reason = res.promptFeedback?.blockReason;
  if (reason && !res.candidates?.length) throw promptBlocked(provider, reason, res.promptFeedback?.blockReasonMessage);
}

export function fromGeminiResponse(provider: string, res: GeminiResponse, model: string): ChatCompletionResponse {
  checkPromptBlocked(provider, res);
  if (!Array.isArray(res.candidates)) throw errors.upstreamBadResponse(provider, 'the answer has no candidates');
  const id = responseIdOf(res, JSON.stringify(res.candidates));
  const choices = res.candidates.map((c, pos) => {
    const index = c.index ?? pos;
    let text = '';
    let reasoning = '';
    let hasText = false;
    const calls: ToolCall[] = [];
    for (const part of c.content?.parts ?? []) {
      if (part.functionCall) calls.push(toolCallOf(part, `${id}|${index}|${calls.length}`));
      else if (typeof part.text === 'string') {
        if (part.thought) reasoning += part.text;
        else {
          text += part.text;
          hasText = true;
        }
      }
    }
    const message: ChatCompletionResponse['choices'][number]['message'] = {
      role: 'assistant',
      content: hasText || !calls.length ? text : null,
      ...(reasoning ? { reasoning_content: reasoning } : {}),
      ...(calls.length ? { tool_calls: calls } : {}),
    };
    return {
      index,
      message,
      finish_reason: mapFinishReason(c.finishReason, calls.length > 0) ?? 'stop',
      logprobs: null,
    };
  });
  choices.sort((a, b) => a.index - b.index);
  const usage = mapUsage(res.usageMetadata);
  return {
    id,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices,
    ...(usage ? { usage } : {}),
  };
}

/** Base64 of little-endian float32s, as OpenAI's encoding_format "base64". */
function toBase64(values: number[]): string {
  return Buffer.from(new Float32Array(values).buffer).toString('base64');
}

export function embeddingsResponse(
  vectors: number[][],
  model: string,
  tokens: number,
  format?: string,
): EmbeddingsResponse {
  return {
    object: 'list',
    data: vectors.map((v, index) => ({
      object: 'embedding' as const,
      index,
      embedding: format === 'base64' ? toBase64(v) : v,
    })),
    model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}
