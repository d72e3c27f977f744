import { check } from '../../core/http/openai-dialect.js';
import type { ChatCompletionRequest, ChatMessage, ContentPart, FunctionTool, ToolCall } from '../../core/types.js';
import { compile } from '../../core/validation.js';
import { countTokensRequestSchema, messagesRequestSchema } from './schema.js';

/** The client's Messages body and the canonical request made from it (identity = not transformed). */
export interface AnthropicOrigin {
  body: Record<string, unknown>;
  canonical: ChatCompletionRequest;
}

export const ANTHROPIC_BODY = Symbol.for('switchyard.anthropic.body');

export function anthropicOrigin(request: ChatCompletionRequest): AnthropicOrigin | undefined {
  return (request as { [ANTHROPIC_BODY]?: AnthropicOrigin })[ANTHROPIC_BODY];
}

type Block = { type: string; [k: string]: any };
type Body = {
  model: string;
  messages: Array<{ role: 'user' | 'assistant'; content: string | Block[] }>;
  system?: string | Block[];
  max_tokens?: number;
  stop_sequences?: string[];
  stream?: boolean;
  temperature?: number;
  top_p?: number;
  top_k?: number;
  metadata?: { user_id?: string | null };
  tools?: Array<{
    type?: string;
    name: string;
    description?: string;
    input_schema?: Record<string, unknown>;
    [k: string]: unknown;
  }>;
  tool_choice?: { type: 'auto' | 'any' | 'tool' | 'none'; name?: string; disable_parallel_tool_use?: boolean };
  thinking?: { type: 'enabled' | 'disabled'; budget_tokens?: number };
};

const validateMessages = compile<Body>(messagesRequestSchema);
const validateCount = compile<Body>(countTokensRequestSchema);

/** Validate a Messages body and return its canonical request (with the body attached). */
export function parseMessages(raw: unknown): ChatCompletionRequest {
  const body = check(validateMessages, raw);
  const canonical = toCanonical(body);
  Object.defineProperty(canonical, ANTHROPIC_BODY, { value: { body: raw as Record<string, unknown>, canonical } });
  return canonical;
}

/** Validate a count_tokens body. */
export function parseCountTokens(raw: unknown): { body: Record<string, unknown>; canonical: ChatCompletionRequest } {
  const body = check(validateCount, raw);
  return { body: raw as Record<string, unknown>, canonical: toCanonical(body) };
}

export function reasoningEffort(budget: number | undefined): 'low' | 'medium' | 'high' {
  if (!budget || budget <= 2048) return 'low';
  return budget <= 8192 ? 'medium' : 'high';
}

export function toCanonical(body: Body): ChatCompletionRequest {
  const messages: ChatMessage[] = [];
  const system =
    typeof body.system === 'string'
      ? body.system
      : (body.system ?? [])
          .map((b) => String(b.text ?? ''))
          .filter(Boolean)
          .join('\n');
  if (system) messages.push({ role: 'system', content: system });
  body.messages.forEach((m) => {
    const blocks: Block[] = typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : m.content;
    if (m.role === 'assistant') messages.push(assistantMessage(blocks));
    else messages.push(...userMessages(blocks));
  });

  const req: ChatCompletionRequest = { model: body.model, messages };
  if (body.max_tokens !== undefined) req.max_tokens = body.max_tokens;
  if (body.stream === true) {
    req.stream = true;
    req.stream_options = { include_usage: true };
  }
  if (body.temperature !== undefined) req.temperature = body.temperature;
  if (body.top_p !== undefined) req.top_p = body.top_p;
  if (body.top_k !== undefined) req.top_k = body.top_k;
  if (body.stop_sequences?.length) req.stop = body.stop_sequences;
  if (typeof body.metadata?.user_id === 'string' && body.metadata.user_id) req.user = body.metadata.user_id;
  if (body.thinking?.type === 'enabled') req.reasoning_effort = reasoningEffort(body.thinking.budget_tokens);
  if (body.tools?.length) {
    req.tools = body.tools.map((t): FunctionTool => {
      if (t.type && t.type !== 'custom') return t as unknown as FunctionTool; // server tool: kept, the target decides
      return {
        type: 'function',
        function: {
          name: t.name,
          ...(t.description ? { description: t.description } : {}),
          parameters: t.input_schema ?? { type: 'object' },
        },
      };
    });
  }
  const tc = body.tool_choice;
  if (tc) {
    if (tc.type === 'none') req.tool_choice = 'none';
    else if (tc.type === 'any') req.tool_choice = 'required';
    else if (tc.type === 'tool') req.tool_choice = { type: 'function', function: { name: tc.name! } };
    else req.tool_choice = 'auto';
    if (tc.type !== 'none' && tc.disable_parallel_tool_use === true) req.parallel_tool_calls = false;
  }
  return req;
}

function toolCall(b: Block): ToolCall {
  return { id: b.id, type: 'function', function: { name: b.name, arguments: JSON.stringify(b.input ?? {}) } };
}

function assistantMessage(blocks: Block[]): ChatMessage {
  let text = '';
  let reasoning = '';
  let signature = '';
  const calls: ToolCall[] = [];
  const other: ContentPart[] = [];
  for (const b of blocks) {
    if (b.type === 'text') text += b.text;
    else if (b.type === 'tool_use') calls.push(toolCall(b));
    else if (b.type === 'thinking') {
      reasoning += b.thinking;
      signature = b.signature || signature;
    } else if (b.type !== 'redacted_thinking') other.push(b as ContentPart);
  }
  const msg: ChatMessage = {
    role: 'assistant',
    content: other.length ? [...(text ? [{ type: 'text' as const, text }] : []), ...other] : text || null,
  };
  if (reasoning) msg.reasoning_content = reasoning;
  if (signature) msg.reasoning_signature = signature;
  if (calls.length) msg.tool_calls = calls;
  return msg;
}

function imagePart(b: Block): ContentPart {
  const s = b.source;
  if (s?.type === 'base64') return { type: 'image_url', image_url: { url: `data:${s.media_type};base64,${s.data}` } };
  if (s?.type === 'url') return { type: 'image_url', image_url: { url: s.url } };
  return b as ContentPart;
}

function userPart(b: Block): ContentPart[] {
  switch (b.type) {
    case 'text':
      return [{ type: 'text', text: b.text }];
    case 'image':
      return [imagePart(b)];
    case 'document': {
      const s = b.source;
      if (s?.type === 'base64') {
        return [
          {
            type: 'file',
            file: { file_data: `data:${s.media_type};base64,${s.data}`, ...(b.title ? { filename: b.title } : {}) },
          },
        ];
      }
      if (s?.type === 'text') return [{ type: 'text', text: s.data }];
      if (s?.type === 'content') {
        return typeof s.content === 'string'
          ? [{ type: 'text', text: s.content }]
          : (s.content as Block[]).flatMap(userPart);
      }
      return [b as ContentPart];
    }
    default:
      return [b as ContentPart];
  }
}

function userMessages(blocks: Block[]): ChatMessage[] {
  const out: ChatMessage[] = [];
  const parts: ContentPart[] = [];
  for (const b of blocks) {
    if (b.type !== 'tool_result') {
      parts.push(...userPart(b));
      continue;
    }
    const content: Block[] = typeof b.content === 'string' ? [{ type: 'text', text: b.content }] : (b.content ?? []);
    let text = content
      .filter((c) => c.type === 'text')
      .map((c) => c.text)
      .join('\n');
    if (b.is_error === true) text = `Error: ${text}`;
    out.push({ role: 'tool', tool_call_id: b.tool_use_id, content: text });
    for (const c of content) if (c.type !== 'text') parts.push(...userPart(c));
  }
  if (parts.length) {
    const onlyText = parts.every((p) => p.type === 'text');
    out.push({ role: 'user', content: onlyText && parts.length === 1 ? (parts[0] as { text: string }).text : parts });
  }
  return out;
}
