/**
 * What the router needs to know about a chat request before choosing a target: estimated prompt
 * tokens (o200k_base, core/tokens.ts: exact for recent OpenAI models, a close estimate for others),
 * whether it uses tools, images or JSON output, and whether it looks like code. Computed once per
 * request, on demand (only strategies that need it pay for tokenizing).
 */
import type { RequestFeatures } from '../../core/config-types.js';
import type { RequestContext } from '../../core/context.js';
import { countTokens, embeddingTokens, promptTokens } from '../../core/tokens.js';
import type { ChatCompletionRequest, ChatMessage, ContentPart } from '../../core/types.js';

export { IMAGE_TOKENS, loadTokenizer } from '../../core/tokens.js';

const CODE = new RegExp(
  [
    /```/,
    /^\s*(def |class |function |import |#include|public static|SELECT .* FROM|const \w+ = |let \w+ = )/,
    /=>/,
    /\)\s*\{/,
    /;\s*$/,
  ]
    .map((r) => r.source)
    .join('|'),
  'im',
);
const STATE_KEY = 'router.features';

export function requestFeatures(ctx: RequestContext): RequestFeatures {
  const cached = ctx.state[STATE_KEY] as RequestFeatures | undefined;
  if (cached) return cached;
  const f =
    ctx.operation === 'chat' || ctx.operation === 'count_tokens'
      ? chatFeatures(ctx.request)
      : ctx.operation === 'rerank'
        ? {
            ...embeddingFeatures({}),
            promptTokens: rerankTokens(ctx.request as { query?: unknown; documents?: unknown }),
          }
        : embeddingFeatures(ctx.request as { input?: unknown });
  ctx.state[STATE_KEY] = f;
  return f;
}

export function chatFeatures(req: ChatCompletionRequest): RequestFeatures {
  let images = false;
  let lastUser = '';
  for (const m of req.messages ?? []) {
    if (Array.isArray(m.content) && (m.content as ContentPart[]).some((p) => p.type === 'image_url')) images = true;
    if (m.role === 'user') lastUser = textOf(m.content);
  }
  const fmt = req.response_format?.type;
  return {
    promptTokens: promptTokens(req),
    maxTokens: maxTokensOf(req),
    tools: Boolean(req.tools?.length),
    images,
    json: fmt === 'json_object' || fmt === 'json_schema',
    code: CODE.test(lastUser),
    stream: req.stream === true,
  };
}

/** The output tokens a chat request asks for at most (max_completion_tokens, else max_tokens), if it says. */
export function maxTokensOf(req: ChatCompletionRequest): number | undefined {
  const max = req.max_completion_tokens ?? req.max_tokens;
  return typeof max === 'number' ? max : undefined;
}

function textOf(content: ChatMessage['content']): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return (content as ContentPart[])
    .filter(
      (p): p is { type: 'text'; text: string } =>
        p.type === 'text' && typeof (p as { text?: unknown }).text === 'string',
    )
    .map((p) => p.text)
    .join('\n');
}

/**
 * The tokens a rerank may bill, as token-priced rerankers count them (Voyage documents it): the query's tokens
 * once per document, plus every document's.
 */
function rerankTokens(req: { query?: unknown; documents?: unknown }): number {
  const docs = Array.isArray(req.documents) ? req.documents : [];
  const query = typeof req.query === 'string' ? countTokens(req.query) : 0;
  return query * docs.length + embeddingTokens(docs);
}

function embeddingFeatures(req: { input?: unknown }): RequestFeatures {
  return {
    promptTokens: embeddingTokens(req.input),
    tools: false,
    images: false,
    json: false,
    code: false,
    stream: false,
  };
}
