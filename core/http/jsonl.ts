/**
 * JSON Lines scanning for forwarded bodies, without holding them: batch input counting (requests and
 * models of an uploaded JSONL file) and batch result usage (each result line's usage).
 */
import { Transform } from 'node:stream';
import type { Usage } from '../types.js';
import { usageOfJson } from './forward-usage.js';
import { LineSplitter } from './line-splitter.js';

const MAX_MODELS = 16;

function parseLine(text: string): Record<string, unknown> | undefined {
  const t = text.trim();
  if (!t.startsWith('{')) return undefined;
  try {
    const v = JSON.parse(t);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** What an uploaded batch input holds: request lines (`custom_id` + `body`) and their models. */
export interface BatchInput {
  requests: number;
  models: string[];
}

/** Counts batch request lines pushed to it (in a multipart upload too: the other lines are not JSON). */
export function batchInputScanner(into: BatchInput): LineSplitter {
  return new LineSplitter((text) => {
    const v = parseLine(text);
    if (!v || typeof v.custom_id !== 'string') return;
    into.requests++;
    const model =
      (v.body as { model?: unknown } | undefined)?.model ?? (v.params as { model?: unknown } | undefined)?.model;
    if (typeof model === 'string' && !into.models.includes(model) && into.models.length < MAX_MODELS)
      into.models.push(model);
  });
}

/** A pass-through stream that counts batch request lines on the way. */
export function batchInputCounter(into: BatchInput): Transform {
  const lines = batchInputScanner(into);
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      lines.push(chunk);
      cb(null, chunk);
    },
    flush(cb) {
      lines.end();
      cb();
    },
  });
}

/** Sums the usage of batch result lines (OpenAI: `response.body.usage`; Anthropic: `result.message.usage`). */
export class BatchResultUsage {
  usage: Usage | undefined;
  model: string | undefined;
  readonly #lines = new LineSplitter((text) => this.#add(text));

  push(bytes: Uint8Array): void {
    this.#lines.push(bytes);
  }
  end(): void {
    this.#lines.end();
  }

  #add(text: string): void {
    const v = parseLine(text);
    if (!v) return;
    const body = ((v.response as { body?: unknown } | undefined)?.body ??
      (v.result as { message?: unknown } | undefined)?.message) as Record<string, unknown> | undefined;
    const u = usageOfJson(body);
    if (!u) return;
    if (!this.model && typeof body?.model === 'string') this.model = body.model;
    const a = this.usage;
    const sum = (x: number | undefined, y: number | undefined) => (x ?? 0) + (y ?? 0);
    this.usage = {
      prompt_tokens: sum(a?.prompt_tokens, u.prompt_tokens),
      completion_tokens: sum(a?.completion_tokens, u.completion_tokens),
      total_tokens: sum(a?.total_tokens, u.total_tokens),
      prompt_tokens_details: {
        cached_tokens: sum(a?.prompt_tokens_details?.cached_tokens, u.prompt_tokens_details?.cached_tokens),
        cache_creation_tokens: sum(
          a?.prompt_tokens_details?.cache_creation_tokens as number | undefined,
          u.prompt_tokens_details?.cache_creation_tokens as number | undefined,
        ),
      },
      completion_tokens_details: {
        reasoning_tokens: sum(
          a?.completion_tokens_details?.reasoning_tokens,
          u.completion_tokens_details?.reasoning_tokens,
        ),
      },
    };
  }
}
