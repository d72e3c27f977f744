/**
 * Canonical (OpenAI Chat Completions) request -> Anthropic Messages request.
 *
 * Documented rules:
 * - `system` and `developer` messages, wherever they appear, become top-level `system` text blocks in
 *   order (a text part's `cache_control` is kept).
 * - `tool` messages become `tool_result` blocks in a user message; consecutive messages of the same
 *   Anthropic role (user/tool, or assistant) are merged into one message, as Anthropic requires.
 * - Assistant `tool_calls` become `tool_use` blocks (arguments parsed as JSON). An assistant message
 *   carrying `reasoning_content` + `reasoning_signature` (what this adapter returns) gets its thinking
 *   block back first, so thinking + tool-use turns can be continued.
 * - Images: `data:` URLs -> base64 source with their media type; http(s) URLs -> url source. A `file`
 *   part with a PDF data URL -> a document block. Audio input is refused (400 naming the part); so is
 *   audio output (`modalities` with "audio": 400, param `modalities`, in adapter.ts).
 * - `max_tokens` / `max_completion_tokens` -> `max_tokens`; absent -> `defaultMaxTokens` (4096), plus
 *   the thinking budget when thinking is on and the client gave no limit.
 * - `stop` -> `stop_sequences`; `temperature` (clamped to Anthropic's 0..1) / `top_p` kept; `top_k`
 *   passed through; `user` -> `metadata.user_id`.
 * - `response_format` json_object -> an instruction appended to `system`. json_schema -> a tool named
 *   after the schema whose input schema is the answer's schema; it is forced (`tool_choice: tool`)
 *   when the request has no tools of its own and thinking is off, otherwise offered with an
 *   instruction to call it for the final answer. Its input is turned back into message content.
 * - `reasoning_effort` low/medium/high -> `thinking: {type:'enabled', budget_tokens: 1024/4096/16384}`
 *   ('minimal'/'none' -> no thinking); an explicit `thinking` object is passed through as is and wins.
 *   With thinking on, `temperature`/`top_k` are dropped and `top_p` below 0.95 is dropped (Anthropic
 *   rejects them with thinking).
 * - `n` > 1 is refused (400): Anthropic returns one choice. Every other field Anthropic cannot take
 *   (presence/frequency_penalty, seed, logprobs, logit_bias, ...) is dropped and reported.
 */
import { GatewayError } from '../../../core/errors.js';
import { parseToolArguments } from '../../../core/provider-kit/index.js';
import type { ChatCompletionRequest, ChatMessage, ContentPart } from '../../../core/types.js';
import type {
  AnthropicContentBlock,
  AnthropicImageBlock,
  AnthropicMessageParam,
  AnthropicRequest,
  AnthropicTextBlock,
  AnthropicTool,
  AnthropicToolChoice,
} from './types.js';

export const DEFAULT_MAX_TOKENS = 4096;

export const THINKING_BUDGETS: Record<string, number> = { low: 1024, medium: 4096, high: 16384 };

export const JSON_OBJECT_INSTRUCTION =
  'Respond with a single valid JSON object only: no prose, no Markdown code fences, nothing before or after the JSON.';

export const jsonToolInstruction = (name: string) =>
  `When you give your final answer, call the tool \`${name}\` ` +
  'with the answer as its input instead of replying in text.';

/** Request fields this translation understands; any other field with a value is dropped and reported. */
const HANDLED = new Set([
  'model',
  'messages',
  'stream',
  'stream_options',
  'temperature',
  'top_p',
  'top_k',
  'n',
  'max_tokens',
  'max_completion_tokens',
  'stop',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'response_format',
  'user',
  'reasoning_effort',
  'thinking',
  'modalities', // text only here: audio output is refused before translation (adapter.ts)
]);

export interface JsonToolInfo {
  /** Name of the tool that carries the structured answer. */
  name: string;
  /** True when a non-object schema was wrapped as `{ value: <schema> }`. */
  wrapped: boolean;
}

export interface TranslatedRequest {
  body: AnthropicRequest;
  /** Canonical request fields that were not sent (for x-switchyard-dropped-params). */
  dropped: string[];
  /** Set when response_format json_schema is carried by a tool. */
  jsonTool?: JsonToolInfo;
  /** True when thinking was requested (reasoning output is expected). */
  thinking: boolean;
}

export interface RequestOptions {
  defaultMaxTokens?: number;
}

const badRequest = (message: string, param: string | null = null, code = 'invalid_request') =>
  new GatewayError(400, message, { code, param });

export function toAnthropicRequest(req: ChatCompletionRequest, options: RequestOptions = {}): TranslatedRequest {
  const dropped: string[] = [];
  const defaultMax = options.defaultMaxTokens ?? DEFAULT_MAX_TOKENS;

  if (typeof req.n === 'number' && req.n > 1) {
    throw badRequest(
      'Anthropic returns one choice per request: `n` greater than 1 is not supported by this provider.',
      'n',
      'unsupported_parameter',
    );
  }
  for (const [key, value] of Object.entries(req)) {
    if (!HANDLED.has(key) && value !== undefined && value !== null) dropped.push(key);
  }

  const { system, messages } = translateMessages(req.messages);
  const body: AnthropicRequest = { model: req.model, messages, max_tokens: defaultMax };

  // Thinking: explicit passthrough wins over reasoning_effort.
  const clientMax = req.max_completion_tokens ?? req.max_tokens ?? undefined;
  let thinking = false;
  if (req.thinking && typeof req.thinking === 'object') {
    body.thinking = req.thinking as AnthropicRequest['thinking'];
    const t = req.thinking as { type?: string; budget_tokens?: number };
    thinking = t.type !== 'disabled';
    if (clientMax === undefined && typeof t.budget_tokens === 'number') body.max_tokens = defaultMax + t.budget_tokens;
    else if (clientMax !== undefined) body.max_tokens = clientMax;
    if (req.reasoning_effort != null) dropped.push('reasoning_effort');
  } else if (typeof req.reasoning_effort === 'string' && req.reasoning_effort in THINKING_BUDGETS) {
    let budget = THINKING_BUDGETS[req.reasoning_effort];
    if (clientMax === undefined) {
      body.max_tokens = defaultMax + budget;
    } else {
      body.max_tokens = clientMax;
      if (budget >= clientMax) budget = clientMax - 1;
    }
    if (budget >= 1024) {
      body.thinking = { type: 'enabled', budget_tokens: budget };
      thinking = true;
    } else {
      dropped.push('reasoning_effort'); // the limit leaves no room for Anthropic's minimum budget of 1024
    }
  } else {
    if (clientMax !== undefined) body.max_tokens = clientMax;
    if (req.reasoning_effort != null && req.reasoning_effort !== 'none' && req.reasoning_effort !== 'minimal')
      dropped.push('reasoning_effort');
  }

  if (typeof req.temperature === 'number') {
    if (thinking) dropped.push('temperature');
    else body.temperature = Math.min(1, Math.max(0, req.temperature));
  }
  if (typeof req.top_p === 'number') {
    if (thinking && req.top_p < 0.95) dropped.push('top_p');
    else body.top_p = req.top_p;
  }
  if (typeof req.top_k === 'number') {
    if (thinking) dropped.push('top_k');
    else body.top_k = req.top_k;
  }

  const stops =
    req.stop == null
      ? []
      : (Array.isArray(req.stop) ? req.stop : [req.stop]).filter((s) => typeof s === 'string' && s.length > 0);
  if (stops.length) body.stop_sequences = stops;

  if (typeof req.user === 'string' && req.user) body.metadata = { user_id: req.user };

  // Tools and tool_choice.
  let tools: AnthropicTool[] = (req.tools ?? []).map((t) => {
    if (t?.type !== 'function' || !t.function)
      throw badRequest('Only function tools are supported by provider "anthropic".', 'tools');
    const params = t.function.parameters ?? {};
    return {
      name: t.function.name,
      ...(t.function.description ? { description: t.function.description } : {}),
      input_schema: { type: 'object', ...params },
    };
  });
  let choice = tools.length ? toolChoice(req.tool_choice, req.parallel_tool_calls) : undefined;
  if (!tools.length && req.tool_choice != null) dropped.push('tool_choice');
  if (!tools.length && req.parallel_tool_calls != null) dropped.push('parallel_tool_calls');

  // response_format.
  const systemExtra: string[] = [];
  let jsonTool: JsonToolInfo | undefined;
  const format = req.response_format;
  if (format?.type === 'json_object') {
    systemExtra.push(JSON_OBJECT_INSTRUCTION);
  } else if (format?.type === 'json_schema') {
    const spec = (format.json_schema ?? {}) as { name?: unknown; schema?: unknown; description?: unknown };
    const schema = (spec.schema && typeof spec.schema === 'object' ? spec.schema : { type: 'object' }) as Record<
      string,
      unknown
    >;
    let name = typeof spec.name === 'string' && /^[a-zA-Z0-9_-]{1,64}$/.test(spec.name) ? spec.name : 'json_response';
    if (tools.some((t) => t.name === name)) name = 'json_response';
    const wrapped = schema.type !== 'object';
    const tool: AnthropicTool = {
      name,
      description:
        typeof spec.description === 'string' ? spec.description : 'Give the final answer in this structured form.',
      input_schema: wrapped ? { type: 'object', properties: { value: schema }, required: ['value'] } : schema,
    };
    jsonTool = { name, wrapped };
    const ownTools = choice?.type !== 'none' ? tools : [];
    if (!ownTools.length && !thinking) {
      tools = [tool];
      choice = { type: 'tool', name };
    } else {
      tools = [...ownTools, tool];
      if (!choice || choice.type === 'none') choice = { type: 'auto' };
      systemExtra.push(jsonToolInstruction(name));
    }
  }
  if (tools.length) body.tools = tools;
  if (choice) {
    if (thinking && (choice.type === 'any' || choice.type === 'tool')) {
      // Anthropic rejects forced tool use together with thinking: fall back to auto.
      choice = {
        type: 'auto',
        ...('disable_parallel_tool_use' in choice
          ? { disable_parallel_tool_use: choice.disable_parallel_tool_use }
          : {}),
      };
      dropped.push('tool_choice');
    }
    body.tool_choice = choice;
  }

  const systemBlocks = [...system, ...systemExtra.map((text): AnthropicTextBlock => ({ type: 'text', text }))];
  if (systemBlocks.length) body.system = systemBlocks;

  return { body, dropped: [...new Set(dropped)], jsonTool, thinking };
}

function toolChoice(
  choice: ChatCompletionRequest['tool_choice'],
  parallel: boolean | undefined,
): AnthropicToolChoice | undefined {
  const noParallel = parallel === false ? { disable_parallel_tool_use: true } : {};
  if (choice === 'none') return { type: 'none' };
  if (choice === 'required') return { type: 'any', ...noParallel };
  if (choice && typeof choice === 'object') {
    if (!choice.function?.name) throw badRequest('tool_choice.function.name is required.', 'tool_choice');
    return { type: 'tool', name: choice.function.name, ...noParallel };
  }
  if (choice === 'auto' || parallel === false) return { type: 'auto', ...noParallel };
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Messages

function translateMessages(input: ChatMessage[]): { system: AnthropicTextBlock[]; messages: AnthropicMessageParam[] } {
  const system: AnthropicTextBlock[] = [];
  const out: AnthropicMessageParam[] = [];
  const push = (role: 'user' | 'assistant', blocks: AnthropicContentBlock[]) => {
    if (!blocks.length) return;
    const last = out[out.length - 1];
    if (last && last.role === role) last.content.push(...blocks);
    else out.push({ role, content: blocks });
  };

  input.forEach((m, i) => {
    switch (m.role) {
      case 'system':
      case 'developer':
        system.push(...textBlocks(m.content, `messages[${i}].content`));
        break;
      case 'user':
        push('user', userBlocks(m.content, `messages[${i}].content`));
        break;
      case 'assistant':
        push('assistant', assistantBlocks(m, i));
        break;
      case 'tool': {
        if (!m.tool_call_id)
          throw badRequest(
            `messages[${i}].tool_call_id is required for a tool message.`,
            `messages[${i}].tool_call_id`,
          );
        const content = toolResultContent(m.content, `messages[${i}].content`);
        push('user', [
          {
            type: 'tool_result',
            tool_use_id: m.tool_call_id,
            ...(content !== undefined ? { content } : {}),
          } as AnthropicContentBlock,
        ]);
        break;
      }
      default:
        throw badRequest(
          `messages[${i}]: role "${m.role}" is not supported by provider "anthropic"; ` +
            'use tool calls and "tool" messages.',
          `messages[${i}].role`,
        );
    }
  });

  // Anthropic rejects a final assistant (prefill) turn that ends with whitespace.
  const last = out[out.length - 1];
  if (last?.role === 'assistant') {
    const tail = last.content[last.content.length - 1];
    if (tail?.type === 'text') {
      tail.text = tail.text.trimEnd();
      if (!tail.text) last.content.pop();
      if (!last.content.length) out.pop();
    }
  }
  return { system, messages: out };
}

function textBlock(part: ContentPart): AnthropicTextBlock {
  const p = part as { text?: unknown; cache_control?: unknown };
  return { type: 'text', text: String(p.text ?? ''), ...(p.cache_control ? { cache_control: p.cache_control } : {}) };
}

function textBlocks(content: ChatMessage['content'], param: string): AnthropicTextBlock[] {
  if (content == null) return [];
  if (typeof content === 'string') return content ? [{ type: 'text', text: content }] : [];
  return content.flatMap((part, j) => {
    if (part.type !== 'text') throw badRequest(`${param}[${j}]: only text parts are allowed here.`, `${param}[${j}]`);
    const block = textBlock(part);
    return block.text ? [block] : [];
  });
}

function userBlocks(content: ChatMessage['content'], param: string): AnthropicContentBlock[] {
  if (content == null) return [];
  if (typeof content === 'string') return content ? [{ type: 'text', text: content }] : [];
  const out: AnthropicContentBlock[] = [];
  content.forEach((part, j) => {
    const where = `${param}[${j}]`;
    switch (part.type) {
      case 'text': {
        const block = textBlock(part);
        if (block.text) out.push(block);
        break;
      }
      case 'image_url': {
        const url = (part as { image_url?: { url?: unknown } }).image_url?.url;
        if (typeof url !== 'string') throw badRequest(`${where}.image_url.url is required.`, where);
        out.push(imageBlock(url, where, (part as { cache_control?: unknown }).cache_control));
        break;
      }
      case 'file': {
        const file = (part as { file?: { file_data?: unknown; filename?: unknown } }).file;
        const data = typeof file?.file_data === 'string' ? parseDataUrl(file.file_data) : undefined;
        if (!data || data.mediaType !== 'application/pdf') {
          throw badRequest(
            `${where}: provider "anthropic" takes files only as PDF data URLs (data:application/pdf;base64,...).`,
            where,
          );
        }
        out.push({
          type: 'document',
          source: { type: 'base64', media_type: data.mediaType, data: data.data },
          ...(typeof file?.filename === 'string' ? { title: file.filename } : {}),
        });
        break;
      }
      default:
        throw badRequest(
          `${where}: content parts of type "${part.type}" are not supported by provider "anthropic".`,
          where,
        );
    }
  });
  return out;
}

function parseDataUrl(url: string): { mediaType: string; data: string } | undefined {
  const m = /^data:([^;,]+)(?:;[^,]*)?;base64,([\s\S]*)$/.exec(url);
  return m ? { mediaType: m[1].toLowerCase(), data: m[2] } : undefined;
}

function imageBlock(url: string, where: string, cacheControl?: unknown): AnthropicImageBlock {
  const cc = cacheControl ? { cache_control: cacheControl } : {};
  if (url.startsWith('data:')) {
    const d = parseDataUrl(url);
    if (!d) throw badRequest(`${where}: an image data URL must be base64 encoded (data:image/png;base64,...).`, where);
    return { type: 'image', source: { type: 'base64', media_type: d.mediaType, data: d.data }, ...cc };
  }
  if (/^https?:\/\//i.test(url)) return { type: 'image', source: { type: 'url', url }, ...cc };
  throw badRequest(`${where}: image URLs must be http(s) or base64 data URLs.`, where);
}

function assistantBlocks(m: ChatMessage, i: number): AnthropicContentBlock[] {
  const out: AnthropicContentBlock[] = [];
  const reasoning = m.reasoning_content;
  const signature = m.reasoning_signature;
  if (typeof reasoning === 'string' && reasoning && typeof signature === 'string' && signature) {
    out.push({ type: 'thinking', thinking: reasoning, signature });
  }
  out.push(
    ...textBlocks(
      Array.isArray(m.content) ? m.content.filter((p) => p.type === 'text') : m.content,
      `messages[${i}].content`,
    ),
  );
  (m.tool_calls ?? []).forEach((tc, k) => {
    const param = `messages[${i}].tool_calls[${k}].function.arguments`;
    const input = parseToolArguments(tc.function?.arguments, () => badRequest(`${param} is not valid JSON.`, param));
    out.push({ type: 'tool_use', id: tc.id, name: tc.function.name, input });
  });
  return out;
}

function toolResultContent(
  content: ChatMessage['content'],
  param: string,
): string | Array<AnthropicTextBlock | AnthropicImageBlock> | undefined {
  if (content == null) return undefined;
  if (typeof content === 'string') return content || undefined;
  const blocks = userBlocks(content, param).filter(
    (b): b is AnthropicTextBlock | AnthropicImageBlock => b.type === 'text' || b.type === 'image',
  );
  return blocks.length ? blocks : undefined;
}
