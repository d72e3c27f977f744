/**
 * Legacy text completions (POST /v1/completions) <-> the canonical chat format. A prompt string becomes
 * one user message; the fields chat has no faithful equivalent for (suffix, echo, logprobs, best_of > 1,
 * token-array prompts, several prompts) are listed in `nativeOnly`: only a native completions upstream
 * can serve such a request, others refuse it with a 400.
 */
import { randomBytes } from 'node:crypto';
import { errors } from '../errors.js';
import type { ChatCompletionChunk, ChatCompletionRequest, ChatCompletionResponse, Usage } from '../types.js';
import { compile } from '../validation.js';
import { completionsRequestSchema } from './media-schema.js';
import { check } from './openai-dialect.js';

type Json = Record<string, unknown>;

export interface CompletionsRequest {
  model: string;
  prompt: string | string[] | number[] | number[][];
  stream?: boolean | null;
  max_tokens?: number | null;
  n?: number | null;
  best_of?: number | null;
  [k: string]: unknown;
}

/** OpenAI's documented default of max_tokens for completions (chat has none). */
export const COMPLETIONS_DEFAULT_MAX_TOKENS = 16;

/** Fields carried over to chat unchanged. */
const SHARED = [
  'temperature',
  'top_p',
  'n',
  'stop',
  'presence_penalty',
  'frequency_penalty',
  'logit_bias',
  'seed',
  'user',
  'stream',
  'stream_options',
] as const;

const validate = compile<CompletionsRequest>(completionsRequestSchema);

export function parseCompletions(body: unknown): CompletionsRequest {
  return check(validate, body);
}

/** Prompts as strings: one string, a list of strings; token arrays are native-only. */
function prompts(p: CompletionsRequest['prompt']): { texts: string[]; tokens: boolean } {
  if (typeof p === 'string') return { texts: [p], tokens: false };
  if (p.every((x) => typeof x === 'string')) return { texts: p as string[], tokens: false };
  return { texts: [], tokens: true };
}

export interface CompletionsPlan {
  /** The client's body (the native upstream gets it with the target's model). */
  body: Json;
  /** The chat translation (also what admission estimates and the cache keys). */
  canonical: ChatCompletionRequest;
  /** Fields only a native completions upstream can honour (empty: the translation is faithful). */
  nativeOnly: string[];
}

export function planCompletions(req: CompletionsRequest): CompletionsPlan {
  const { texts, tokens } = prompts(req.prompt);
  const nativeOnly: string[] = [];
  if (tokens) nativeOnly.push('prompt (token arrays)');
  if (texts.length > 1) nativeOnly.push('prompt (several prompts)');
  if (typeof req.suffix === 'string' && req.suffix) nativeOnly.push('suffix');
  if (req.echo === true) nativeOnly.push('echo');
  if (typeof req.logprobs === 'number') nativeOnly.push('logprobs');
  if ((req.best_of ?? 1) > 1) nativeOnly.push('best_of');
  const canonical: ChatCompletionRequest = {
    model: req.model,
    // Several prompts (native only) are estimated together; token arrays count as their length.
    messages: [
      {
        role: 'user',
        content: tokens ? ' '.repeat((req.prompt as unknown[]).flat().length) : texts.join('\n'),
      },
    ],
    max_tokens: req.max_tokens ?? COMPLETIONS_DEFAULT_MAX_TOKENS,
  };
  for (const k of SHARED) if (req[k] !== undefined && req[k] !== null) canonical[k] = req[k] as never;
  const per = Math.max(1, texts.length) * Math.max(req.n ?? 1, req.best_of ?? 1);
  if (per > 1) canonical.n = per;
  return { body: { ...req }, canonical, nativeOnly };
}

/** 400 for a request that needs a native upstream the target does not have. */
export function notFaithful(provider: string, fields: string[]) {
  return errors.invalidRequest(
    `Provider "${provider}" has no native text completions; ` +
      `these fields cannot be translated to chat: ${fields.join(', ')}.`,
    fields[0].split(' ')[0],
  );
}

const newId = () => `cmpl-${randomBytes(12).toString('base64url')}`;

/** A canonical chat answer as a text_completion object. */
export function toCompletion(r: ChatCompletionResponse): Json {
  return {
    id: r.id?.startsWith('cmpl-') ? r.id : newId(),
    object: 'text_completion',
    created: r.created,
    model: r.model,
    choices: r.choices.map((c) => ({
      text: typeof c.message.content === 'string' ? c.message.content : '',
      index: c.index,
      logprobs: null,
      finish_reason: c.finish_reason === 'tool_calls' ? 'stop' : c.finish_reason,
    })),
    ...(r.usage ? { usage: r.usage } : {}),
  };
}

/** A native text_completion answer as a canonical chat answer (usage, caching, transforms). */
export function fromCompletion(body: Json): ChatCompletionResponse {
  const choices = Array.isArray(body.choices) ? (body.choices as Json[]) : [];
  return {
    id: String(body.id ?? ''),
    object: 'chat.completion',
    created: Number(body.created ?? Math.floor(Date.now() / 1000)),
    model: String(body.model ?? ''),
    choices: choices.map((c, i) => ({
      index: typeof c.index === 'number' ? c.index : i,
      message: { role: 'assistant', content: typeof c.text === 'string' ? c.text : '' },
      finish_reason: (c.finish_reason ?? null) as ChatCompletionResponse['choices'][0]['finish_reason'],
    })),
    ...(body.usage ? { usage: body.usage as Usage } : {}),
  };
}

/** One native stream event (a text_completion chunk) as a canonical chunk. */
export function fromCompletionChunk(data: Json): ChatCompletionChunk {
  const choices = Array.isArray(data.choices) ? (data.choices as Json[]) : [];
  return {
    id: String(data.id ?? ''),
    object: 'chat.completion.chunk',
    created: Number(data.created ?? Math.floor(Date.now() / 1000)),
    model: String(data.model ?? ''),
    choices: choices.map((c, i) => ({
      index: typeof c.index === 'number' ? c.index : i,
      delta: { content: typeof c.text === 'string' ? c.text : '' },
      finish_reason: (c.finish_reason ?? null) as ChatCompletionChunk['choices'][0]['finish_reason'],
    })),
    ...(data.usage ? { usage: data.usage as Usage } : {}),
  };
}

/** Canonical chunks as text_completion stream events (one id for the whole stream). */
export class CompletionsStreamEncoder {
  readonly #id = newId();

  chunk(c: ChatCompletionChunk): Json {
    return {
      id: c.id?.startsWith('cmpl-') ? c.id : this.#id,
      object: 'text_completion',
      created: c.created,
      model: c.model,
      choices: c.choices.map((x) => ({
        text: typeof x.delta.content === 'string' ? x.delta.content : '',
        index: x.index,
        logprobs: null,
        finish_reason: x.finish_reason === 'tool_calls' ? 'stop' : x.finish_reason,
      })),
      ...(c.usage ? { usage: c.usage } : {}),
    };
  }
}
