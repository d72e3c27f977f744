/**
 * The least an adapter's answer must look like before the gateway renders, caches or meters it: a
 * chat completion with a `choices` array of objects that carry a `message` (chunks: a `delta`), an
 * embeddings list with a `data` array, usage an object when present. Anything else (`null`,
 * `choices: "nope"` ...) is 502 upstream_bad_response, which failover may retry elsewhere, instead of
 * a relayed 200 or a TypeError (500) further down. Usage counts are made sane for the meter separately
 * (`tokenCount`).
 */
import { errors } from './errors.js';
import type { ChatCompletionChunk, ChatCompletionResponse, EmbeddingsResponse } from './types.js';

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function choicesOk(choices: unknown, field: 'message' | 'delta'): boolean {
  if (!Array.isArray(choices)) return false;
  for (const c of choices) if (!isObject(c) || !isObject(c[field])) return false;
  return true;
}

const usageOk = (u: unknown) => u === undefined || u === null || isObject(u);

export function checkChatResponse(r: unknown, provider: string): ChatCompletionResponse {
  if (!isObject(r)) throw errors.upstreamBadResponse(provider, 'the answer is not a JSON object');
  if (!choicesOk(r.choices, 'message')) throw errors.upstreamBadResponse(provider, 'the answer has no valid `choices`');
  if (!usageOk(r.usage)) throw errors.upstreamBadResponse(provider, "the answer's `usage` is not an object");
  return r as ChatCompletionResponse;
}

export function checkChunk(c: unknown, provider: string): ChatCompletionChunk {
  if (!isObject(c)) throw errors.upstreamBadResponse(provider, 'a stream event is not a JSON object');
  if (!choicesOk(c.choices, 'delta'))
    throw errors.upstreamBadResponse(provider, 'a stream chunk has no valid `choices`');
  if (!usageOk(c.usage)) throw errors.upstreamBadResponse(provider, "a stream chunk's `usage` is not an object");
  return c as ChatCompletionChunk;
}

export function checkEmbeddings(r: unknown, provider: string): EmbeddingsResponse {
  if (!isObject(r)) throw errors.upstreamBadResponse(provider, 'the answer is not a JSON object');
  if (!Array.isArray(r.data) || !r.data.every(isObject))
    throw errors.upstreamBadResponse(provider, 'the answer has no valid `data`');
  if (!usageOk(r.usage)) throw errors.upstreamBadResponse(provider, "the answer's `usage` is not an object");
  return r as EmbeddingsResponse;
}

/** A token count as the meter may use it: a finite, non-negative number, else 0. */
export function tokenCount(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0;
}
