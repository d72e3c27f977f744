/**
 * Usage from answers in a known format, for endpoints the gateway relays without modelling them
 * (passthrough, batch results): OpenAI `usage` (chat, completions, embeddings: prompt/completion
 * tokens; Responses: input/output tokens) and Anthropic `usage` (input, output, cache read/write).
 * Streams: a line scanner over SSE `data:` lines picks up the usage events (OpenAI's last chunk,
 * Anthropic's message_start/message_delta, Responses' response.completed) without holding the stream.
 */
import type { Usage } from '../types.js';
import { LineSplitter } from './line-splitter.js';

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.floor(v) : 0);
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Canonical usage from one `usage` object in OpenAI's or Anthropic's shape; undefined when it is neither. */
export function usageFrom(u: unknown): Usage | undefined {
  if (!isObj(u)) return undefined;
  if ('prompt_tokens' in u || 'completion_tokens' in u) {
    const prompt = num(u.prompt_tokens);
    const completion = num(u.completion_tokens);
    const cached = isObj(u.prompt_tokens_details) ? num(u.prompt_tokens_details.cached_tokens) : 0;
    const reasoning = isObj(u.completion_tokens_details) ? num(u.completion_tokens_details.reasoning_tokens) : 0;
    return {
      prompt_tokens: prompt,
      completion_tokens: completion,
      total_tokens: num(u.total_tokens) || prompt + completion,
      ...(cached ? { prompt_tokens_details: { cached_tokens: cached } } : {}),
      ...(reasoning ? { completion_tokens_details: { reasoning_tokens: reasoning } } : {}),
    };
  }
  if (!('input_tokens' in u) && !('output_tokens' in u)) return undefined;
  // Anthropic: input excludes the cache reads and writes; Responses: input includes cached tokens.
  const anthropic = 'cache_read_input_tokens' in u || 'cache_creation_input_tokens' in u || !('total_tokens' in u);
  const read = anthropic
    ? num(u.cache_read_input_tokens)
    : isObj(u.input_tokens_details)
      ? num(u.input_tokens_details.cached_tokens)
      : 0;
  const write = anthropic ? num(u.cache_creation_input_tokens) : 0;
  const prompt = anthropic ? num(u.input_tokens) + read + write : num(u.input_tokens);
  const completion = num(u.output_tokens);
  const reasoning = isObj(u.output_tokens_details) ? num(u.output_tokens_details.reasoning_tokens) : 0;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    ...(read || write ? { prompt_tokens_details: { cached_tokens: read, cache_creation_tokens: write } } : {}),
    ...(reasoning ? { completion_tokens_details: { reasoning_tokens: reasoning } } : {}),
  };
}

/** Usage of a JSON answer (its top-level `usage`, or a Responses object's under `response`). */
export function usageOfJson(body: unknown): Usage | undefined {
  if (!isObj(body)) return undefined;
  return usageFrom(body.usage) ?? (isObj(body.response) ? usageFrom(body.response.usage) : undefined);
}

/** Scans relayed SSE bytes for usage; `usage` holds what was found so far. */
export class SseUsageScanner {
  usage: Usage | undefined;
  #prompt = 0;
  readonly #lines = new LineSplitter((line) => this.#line(line));

  push(bytes: Uint8Array): void {
    this.#lines.push(bytes);
  }

  #line(line: string): void {
    if (!line.startsWith('data:') || !line.includes('"usage"')) return;
    let ev: unknown;
    try {
      ev = JSON.parse(line.slice(5));
    } catch {
      return;
    }
    if (!isObj(ev)) return;
    if (ev.type === 'message_start' && isObj(ev.message)) {
      // Anthropic: the prompt side arrives first; message_delta carries the cumulative output.
      const u = usageFrom(ev.message.usage);
      if (u) {
        this.#prompt = u.prompt_tokens;
        this.usage = u;
      }
      return;
    }
    if (ev.type === 'message_delta' && isObj(ev.usage)) {
      const out = num(ev.usage.output_tokens);
      const base = this.usage ?? { prompt_tokens: this.#prompt, completion_tokens: 0, total_tokens: this.#prompt };
      this.usage = { ...base, completion_tokens: out, total_tokens: base.prompt_tokens + out };
      return;
    }
    const u = usageOfJson(ev);
    if (u) this.usage = u;
  }
}
