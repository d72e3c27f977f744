/**
 * What the router needs to know about a chat request before choosing a target: estimated prompt
 * tokens (gpt-tokenizer, o200k_base: exact for recent OpenAI models, a close estimate for others),
 * whether it uses tools, images or JSON output, and whether it looks like code. Computed once per
 * request, on demand (only strategies that need it pay for tokenizing).
 */
import type { RequestFeatures } from '../../core/config-types.js';
import type { RequestContext } from '../../core/context.js';
import type { ChatCompletionRequest, ContentPart } from '../../core/types.js';

/**
 * The tokenizer's tables cost about 75 MiB of memory, so it is loaded only by plugins that need exact
 * counts (the `cheapest`/`auto` strategies, governance budgets), at boot through loadTokenizer().
 * Until then (and in gateways that never need it) counts are estimated at 4 characters per token.
 */
let counter: ((text: string) => number) | undefined;

export async function loadTokenizer(): Promise<void> {
  counter ??= (await import('gpt-tokenizer/encoding/o200k_base')).countTokens;
}

function countTokens(text: string): number {
  return counter ? counter(text) : Math.ceil(text.length / 4);
}

/** Per-image estimate: OpenAI's high-detail tile cost for a 1024x1024 image (85 + 4 x 170). */
export const IMAGE_TOKENS = 765;
const LOW_DETAIL_IMAGE_TOKENS = 85;
/** Per-message framing overhead (role and separators) in OpenAI's chat format. */
const PER_MESSAGE = 4;
const CODE = /```|^\s*(def |class |function |import |#include|public static|SELECT .* FROM|const \w+ = |let \w+ = )|=>|\)\s*\{|;\s*$/im;
const STATE_KEY = 'router.features';

export function requestFeatures(ctx: RequestContext): RequestFeatures {
  const cached = ctx.state[STATE_KEY] as RequestFeatures | undefined;
  if (cached) return cached;
  const f = ctx.operation === 'chat' ? chatFeatures(ctx.request) : embeddingFeatures(ctx.request as { input?: unknown });
  ctx.state[STATE_KEY] = f;
  return f;
}

export function chatFeatures(req: ChatCompletionRequest): RequestFeatures {
  let tokens = 3; // reply priming
  let images = false;
  let text = '';
  let lastUser = '';
  for (const m of req.messages ?? []) {
    tokens += PER_MESSAGE;
    const parts: string[] = [];
    if (typeof m.content === 'string') parts.push(m.content);
    else if (Array.isArray(m.content)) {
      for (const p of m.content as ContentPart[]) {
        if (p.type === 'text' && typeof p.text === 'string') parts.push(p.text);
        else if (p.type === 'image_url') {
          images = true;
          const detail = (p as { image_url?: { detail?: string } }).image_url?.detail;
          tokens += detail === 'low' ? LOW_DETAIL_IMAGE_TOKENS : IMAGE_TOKENS;
        }
      }
    }
    if (m.tool_calls) parts.push(JSON.stringify(m.tool_calls));
    const joined = parts.join('\n');
    text += joined + '\n';
    if (m.role === 'user') lastUser = joined;
  }
  if (req.tools?.length) text += JSON.stringify(req.tools);
  tokens += countTokens(text);
  const max = req.max_completion_tokens ?? req.max_tokens ?? undefined;
  const fmt = req.response_format?.type;
  return {
    promptTokens: tokens,
    maxTokens: typeof max === 'number' ? max : undefined,
    tools: Boolean(req.tools?.length),
    images,
    json: fmt === 'json_object' || fmt === 'json_schema',
    code: CODE.test(lastUser),
    stream: req.stream === true,
  };
}

function embeddingFeatures(req: { input?: unknown }): RequestFeatures {
  const input = req.input;
  const texts = typeof input === 'string' ? [input] : Array.isArray(input) && typeof input[0] === 'string' ? (input as string[]) : [];
  return { promptTokens: texts.reduce((n, t) => n + countTokens(t), 0), tools: false, images: false, json: false, code: false, stream: false };
}
