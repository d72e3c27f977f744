/**
 * Token estimates, in one place: the router's features and strategies, governance's admission
 * estimate (budget holds, tokens per minute) and the usage of a stream that ended without the
 * upstream's usage chunk (core/pipeline.ts) all count the same way.
 *
 * Text is counted in o200k_base tokens (exact for recent OpenAI models, close for others) once the
 * counter is loaded (core/o200k-base.ts), else at 4 characters per token. Every other part counts at
 * its size, conservatively:
 * - image_url: OpenAI's high-detail tile cost of a 1024x1024 image (765; 85 for detail "low");
 * - input_audio, file (`file_data`), and any base64 data URL: decoded bytes / 4;
 * - a file by `file_id` (size unknown here): FILE_REF_TOKENS;
 * - any other part type (an Anthropic url/file document, a server-tool block ...): its JSON / 4,
 *   and at least MEDIA_TOKENS when it is not text;
 * - per message: role framing, content, tool calls, reasoning kept in the history, refusals;
 * - per request: tool definitions and response_format (a json_schema is sent to the model).
 */
import type { ChatCompletionRequest, ChatMessage, ContentPart } from './types.js';

/**
 * The counter's tables cost ~6 MiB of memory (core/bpe-counter.ts; gpt-tokenizer's cost ~57), and are read
 * only for plugins that need exact counts through loadTokenizer(): the `cheapest`/`auto` strategies and
 * tokens-per-minute limits at boot, budgets the first time one has no room for a byte bound (utf8Bytes).
 * Until then (and in gateways that never need it) counts are estimated at 4 characters per token. Client
 * text that spells a special token (`<|endoftext|>`) is counted as text, as providers tokenize user content.
 */
let counter: ((text: string) => number) | undefined;
let loading: Promise<void> | undefined;

export function loadTokenizer(): Promise<void> {
  loading ??= import('./o200k-base.js')
    .then(({ loadO200kCounter }) => {
      counter = loadO200kCounter();
    })
    .catch((err: unknown) => {
      loading = undefined; // a later call tries again
      throw err;
    });
  return loading;
}

/** Whether the o200k counter is loaded (governance loads it when it first needs an exact count). */
export const tokenizerLoaded = (): boolean => counter !== undefined;

export function countTokens(text: string): number {
  if (!text) return 0;
  return counter ? counter(text) : Math.ceil(text.length / 4);
}

/**
 * A bound on countTokens (loaded or not): every o200k token stands for at least one byte of UTF-8, and 4
 * characters per token is less still. Governance holds budgets with it while they have room.
 */
export const utf8Bytes = (text: string): number => Buffer.byteLength(text);

/** How text is counted: countTokens (o200k, or 4 characters per token until loaded) or a bound (utf8Bytes). */
export type TextCounter = (text: string) => number;

/** Per-image estimate: OpenAI's high-detail tile cost for a 1024x1024 image (85 + 4 x 170). */
export const IMAGE_TOKENS = 765;
export const LOW_DETAIL_IMAGE_TOKENS = 85;
/** A file sent by id: its size is unknown to the gateway, so a conservative figure (~30 PDF pages). */
export const FILE_REF_TOKENS = 25_000;
/** The least a non-text part of unknown kind counts (Anthropic's figure for a ~1.2 MP image or a page). */
export const MEDIA_TOKENS = 1600;
/** Per-message framing overhead (role and separators) in OpenAI's chat format. */
const PER_MESSAGE = 4;
/** Reply priming. */
const PER_REQUEST = 3;

/** Decoded bytes of base64 text (a bare payload or a data: URL). */
function base64Bytes(s: string): number {
  const comma = s.startsWith('data:') ? s.indexOf(',') : -1;
  return Math.floor(((s.length - comma - 1) * 3) / 4);
}

const bytesTokens = (bytes: number) => Math.ceil(bytes / 4);
const jsonTokens = (v: unknown) => Math.ceil((JSON.stringify(v ?? null)?.length ?? 0) / 4);

/** Tokens of one content part that is not text (text parts are tokenized together, see promptTokens). */
function partTokens(p: ContentPart, count: TextCounter): number {
  const part = p as Record<string, any>;
  switch (p.type) {
    case 'image_url': {
      const url = part.image_url?.url;
      const flat = part.image_url?.detail === 'low' ? LOW_DETAIL_IMAGE_TOKENS : IMAGE_TOKENS;
      return typeof url === 'string' && url.startsWith('data:')
        ? Math.max(flat, Math.min(bytesTokens(base64Bytes(url)), 8 * IMAGE_TOKENS))
        : flat;
    }
    case 'input_audio': {
      const data = part.input_audio?.data;
      return typeof data === 'string' ? bytesTokens(base64Bytes(data)) : MEDIA_TOKENS;
    }
    case 'file': {
      const f = part.file ?? {};
      if (typeof f.file_data === 'string')
        return bytesTokens(base64Bytes(f.file_data)) + count(String(f.filename ?? ''));
      return FILE_REF_TOKENS;
    }
    default:
      return Math.max(MEDIA_TOKENS, jsonTokens(p));
  }
}

/**
 * Estimated prompt tokens of a chat request (see the file comment); with `count` = utf8Bytes, a bound no
 * byte-level tokenizer's count exceeds (the parts that are not text count the same either way).
 */
export function promptTokens(req: ChatCompletionRequest, count: TextCounter = countTokens): number {
  let tokens = PER_REQUEST;
  const text: string[] = [];
  for (const m of req.messages ?? []) {
    tokens += PER_MESSAGE;
    tokens += messageTokens(m, text, count);
  }
  if (req.tools?.length) text.push(JSON.stringify(req.tools));
  if (req.response_format && req.response_format.type !== 'text') text.push(JSON.stringify(req.response_format));
  return tokens + count(text.join('\n'));
}

/** Non-text tokens of a message; its text goes to `text` (tokenized once for the whole request). */
function messageTokens(m: ChatMessage, text: string[], count: TextCounter): number {
  let tokens = 0;
  if (typeof m.content === 'string') text.push(m.content);
  else if (Array.isArray(m.content)) {
    for (const p of m.content as ContentPart[]) {
      if (p.type === 'text' && typeof (p as { text?: unknown }).text === 'string')
        text.push((p as { text: string }).text);
      else tokens += partTokens(p, count);
    }
  }
  if (m.tool_calls) text.push(JSON.stringify(m.tool_calls));
  for (const k of ['name', 'refusal', 'reasoning_content'] as const) {
    const v = m[k];
    if (typeof v === 'string') text.push(v);
  }
  return tokens;
}

/** Estimated tokens of an embeddings input: text tokenized, token arrays counted as they are. */
export function embeddingTokens(input: unknown): number {
  if (typeof input === 'string') return countTokens(input);
  if (!Array.isArray(input)) return 0;
  let n = 0;
  for (const item of input) {
    if (typeof item === 'string') n += countTokens(item);
    else if (typeof item === 'number') n += 1;
    else if (Array.isArray(item)) n += item.length;
  }
  return n;
}

/** Output text of a stream's chunk delta (content, reasoning, refusal, tool calls), for counting. */
export function deltaText(delta: Record<string, unknown> | undefined): string {
  if (!delta) return '';
  let s = '';
  for (const k of ['content', 'reasoning_content', 'refusal'] as const) {
    const v = delta[k];
    if (typeof v === 'string') s += v;
  }
  const calls = delta.tool_calls as Array<{ function?: { name?: string; arguments?: string } }> | undefined;
  if (Array.isArray(calls)) for (const c of calls) s += (c.function?.name ?? '') + (c.function?.arguments ?? '');
  return s;
}
