/**
 * OpenAI Responses API <-> canonical Chat Completions, for upstreams without native Responses support.
 *
 * Request mapping: `instructions` -> a leading system message; `input` (a string, or items) -> messages:
 * message items (input_text -> text part, input_image -> image_url part from its image_url, a URL or a
 * base64 data URL; input_file -> file part; developer -> system), consecutive function_call items ->
 * one assistant message with tool_calls, function_call_output -> tool message, reasoning items ->
 * `reasoning_content` (+ `reasoning_signature` from encrypted_content) of the next assistant message.
 * Flat function tools -> nested ones; tool_choice {type:'function', name} -> {type:'function',
 * function:{name}}; max_output_tokens -> max_completion_tokens; text.format -> response_format;
 * reasoning.effort -> reasoning_effort; temperature, top_p, parallel_tool_calls, user as is.
 * `store`, `metadata`, `previous_response_id` are handled by the gateway. Other fields are dropped and
 * listed in x-switchyard-dropped-params; built-in (non-function) tools fail with 400 on such upstreams.
 */
import { randomBytes } from 'node:crypto';
import { errors } from '../../core/errors.js';
import { checkModelName } from '../../core/model-name.js';
import { bestError, compile, formatAjvError } from '../../core/validation.js';
import type {
  ChatCompletionRequest,
  ChatCompletionResponse,
  ChatMessage,
  ContentPart,
  FinishReason,
  ToolCall,
  Usage,
} from '../../core/types.js';
import { responsesRequestSchema } from './schema.js';

type Json = Record<string, unknown>;
export type InputItem = Json & { type?: string };

export interface ResponsesRequest {
  model: string;
  input?: string | InputItem[];
  instructions?: string | null;
  tools?: Array<Json & { type: string }>;
  tool_choice?: string | (Json & { type: string });
  temperature?: number | null;
  top_p?: number | null;
  max_output_tokens?: number | null;
  text?: { format?: Json & { type: string } } & Json;
  parallel_tool_calls?: boolean | null;
  stream?: boolean | null;
  store?: boolean | null;
  previous_response_id?: string | null;
  metadata?: Record<string, string> | null;
  reasoning?: ({ effort?: string | null } & Json) | null;
  user?: string;
  [k: string]: unknown;
}

/** Fields the translation understands (the rest is reported as dropped). */
const KNOWN = new Set([
  'model',
  'input',
  'instructions',
  'tools',
  'tool_choice',
  'temperature',
  'top_p',
  'max_output_tokens',
  'text',
  'parallel_tool_calls',
  'stream',
  'store',
  'previous_response_id',
  'metadata',
  'reasoning',
  'user',
]);

const validate = compile<ResponsesRequest>(responsesRequestSchema);

export function parseResponsesRequest(body: unknown): ResponsesRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw errors.invalidRequest('The request body must be a JSON object.');
  }
  if (!validate(body)) {
    const f = formatAjvError(bestError(validate.errors!), '', body);
    throw errors.invalidRequest(`Invalid request: ${f.path} ${f.message}.`, f.path);
  }
  checkModelName(body.model);
  return body;
}

export const newId = (prefix: string) => `${prefix}_${randomBytes(24).toString('hex')}`;

/** The client's input as a list of items. */
export function inputItems(input: ResponsesRequest['input']): InputItem[] {
  if (input === undefined) return [];
  if (typeof input === 'string') return [{ type: 'message', role: 'user', content: input }];
  return input;
}

export interface Translated {
  request: ChatCompletionRequest;
  /** Non-function tools (usable only by native upstreams). */
  builtinTools: string[];
  dropped: string[];
}

export function toChatRequest(req: ResponsesRequest, history: InputItem[]): Translated {
  const messages: ChatMessage[] = [];
  if (req.instructions) messages.push({ role: 'system', content: req.instructions });
  const items = [...history, ...inputItems(req.input)];
  let reasoning: { text: string; signature?: string } | undefined;
  items.forEach((item, i) => {
    const param =
      i < history.length
        ? 'previous_response_id'
        : typeof req.input === 'string'
          ? 'input'
          : `input[${i - history.length}]`;
    const type = item.type ?? 'message';
    if (type === 'message') {
      const role = item.role as string;
      if (role === 'assistant') {
        const { text, refusal } = assistantText(item.content);
        messages.push({
          role: 'assistant',
          content: text,
          ...(refusal ? { refusal } : {}),
          ...(reasoning
            ? {
                reasoning_content: reasoning.text,
                ...(reasoning.signature ? { reasoning_signature: reasoning.signature } : {}),
              }
            : {}),
        });
        reasoning = undefined;
      } else {
        messages.push({
          role: role === 'developer' ? 'system' : (role as 'user' | 'system'),
          content: userContent(item.content, `${param}.content`),
        });
      }
    } else if (type === 'function_call') {
      const call: ToolCall = {
        id: item.call_id as string,
        type: 'function',
        function: { name: item.name as string, arguments: item.arguments as string },
      };
      const prev = messages[messages.length - 1];
      if (prev?.role === 'assistant' && !reasoning) (prev.tool_calls ??= []).push(call);
      else {
        messages.push({
          role: 'assistant',
          content: null,
          tool_calls: [call],
          ...(reasoning
            ? {
                reasoning_content: reasoning.text,
                ...(reasoning.signature ? { reasoning_signature: reasoning.signature } : {}),
              }
            : {}),
        });
        reasoning = undefined;
      }
    } else if (type === 'function_call_output') {
      const out = item.output;
      messages.push({
        role: 'tool',
        tool_call_id: item.call_id as string,
        content: typeof out === 'string' ? out : userContent(out, `${param}.output`),
      });
    } else if (type === 'reasoning') {
      const parts = [
        ...(Array.isArray(item.content) ? item.content : []),
        ...(Array.isArray(item.summary) ? item.summary : []),
      ] as Json[];
      const text = parts.map((p) => (typeof p.text === 'string' ? p.text : '')).join('');
      const signature = typeof item.encrypted_content === 'string' ? item.encrypted_content : undefined;
      if (text || signature) reasoning = { text, signature };
    } else if (i >= history.length) {
      throw errors.invalidRequest(`Input items of type "${type}" are not supported for this model.`, `${param}.type`);
    } // earlier output items of other types (from a native upstream) are skipped on replay
  });
  if (!messages.some((m) => m.role !== 'system'))
    throw errors.invalidRequest('The request has no input: send `input`.', 'input');

  const request: ChatCompletionRequest = { model: req.model, messages };
  if (req.stream) request.stream = true;
  if (req.temperature != null) request.temperature = req.temperature;
  if (req.top_p != null) request.top_p = req.top_p;
  if (req.max_output_tokens != null) request.max_completion_tokens = req.max_output_tokens;
  if (req.parallel_tool_calls != null) request.parallel_tool_calls = req.parallel_tool_calls;
  if (req.user !== undefined) request.user = req.user;
  if (req.reasoning?.effort) request.reasoning_effort = req.reasoning.effort;
  const format = req.text?.format;
  if (format?.type === 'json_object') request.response_format = { type: 'json_object' };
  else if (format?.type === 'json_schema') {
    const { type: _t, ...schema } = format;
    request.response_format = { type: 'json_schema', json_schema: schema };
  }
  const builtinTools: string[] = [];
  const tools = (req.tools ?? []).flatMap((t) => {
    if (t.type !== 'function') {
      builtinTools.push(t.type);
      return [];
    }
    const fn: { name: string; description?: string; parameters?: Json; strict?: boolean } = { name: t.name as string };
    if (typeof t.description === 'string') fn.description = t.description;
    if (t.parameters) fn.parameters = t.parameters as Json;
    if (typeof t.strict === 'boolean') fn.strict = t.strict;
    return [{ type: 'function' as const, function: fn }];
  });
  if (tools.length) request.tools = tools;
  const choice = req.tool_choice;
  if (typeof choice === 'string') request.tool_choice = choice as 'none' | 'auto' | 'required';
  else if (choice?.type === 'function')
    request.tool_choice = { type: 'function', function: { name: choice.name as string } };
  else if (choice) builtinTools.push(`tool_choice.${choice.type}`);
  const dropped = Object.keys(req).filter((k) => !KNOWN.has(k));
  return { request, builtinTools, dropped };
}

function userContent(content: unknown, param: string): string | ContentPart[] {
  if (typeof content === 'string') return content;
  return (content as Json[]).map((p, j): ContentPart => {
    switch (p.type) {
      case 'input_text':
      case 'output_text':
        return { type: 'text', text: p.text as string };
      case 'input_image': {
        if (typeof p.image_url !== 'string') {
          throw errors.invalidRequest(
            'Images by file_id are not supported by this gateway: send image_url (an https or data: URL).',
            `${param}[${j}].image_url`,
          );
        }
        const detail = p.detail as 'auto' | 'low' | 'high' | undefined;
        return { type: 'image_url', image_url: { url: p.image_url, ...(detail ? { detail } : {}) } };
      }
      case 'input_file': {
        const file: Json = {};
        for (const k of ['file_data', 'file_id', 'filename']) if (typeof p[k] === 'string') file[k] = p[k];
        if (!file.file_data && !file.file_id)
          throw errors.invalidRequest('input_file needs file_data (a base64 data URL).', `${param}[${j}]`);
        return { type: 'file', file };
      }
      default:
        throw errors.invalidRequest(
          `Content parts of type "${String(p.type)}" are not allowed here.`,
          `${param}[${j}].type`,
        );
    }
  });
}

function assistantText(content: unknown): { text: string; refusal?: string } {
  if (typeof content === 'string') return { text: content };
  let text = '';
  let refusal: string | undefined;
  for (const p of content as Json[]) {
    if (typeof p.text === 'string') text += p.text;
    else if (typeof p.refusal === 'string') refusal = (refusal ?? '') + p.refusal;
  }
  return { text, refusal };
}

/** The per-response fields every rendering shares (echoes of the request). */
export interface ResponseMeta {
  id: string;
  createdAt: number;
  model: string;
  req: ResponsesRequest;
  /** Whether this response is kept for previous_response_id. */
  stored: boolean;
}

export function baseResponse(meta: ResponseMeta, status: string): Json {
  const r = meta.req;
  return {
    id: meta.id,
    object: 'response',
    created_at: meta.createdAt,
    status,
    background: false,
    error: null,
    incomplete_details: null,
    instructions: r.instructions ?? null,
    max_output_tokens: r.max_output_tokens ?? null,
    metadata: r.metadata ?? {},
    model: meta.model,
    output: [] as Json[],
    parallel_tool_calls: r.parallel_tool_calls ?? true,
    previous_response_id: r.previous_response_id ?? null,
    reasoning: { effort: r.reasoning?.effort ?? null, summary: null },
    store: meta.stored,
    temperature: r.temperature ?? 1,
    text: { format: r.text?.format ?? { type: 'text' } },
    tool_choice: r.tool_choice ?? 'auto',
    tools: r.tools ?? [],
    top_p: r.top_p ?? 1,
    truncation: 'disabled',
    usage: null,
    user: r.user ?? null,
  };
}

export function toResponsesUsage(u: Usage | undefined): Json | null {
  if (!u) return null;
  return {
    input_tokens: u.prompt_tokens,
    input_tokens_details: { cached_tokens: u.prompt_tokens_details?.cached_tokens ?? 0 },
    output_tokens: u.completion_tokens,
    output_tokens_details: { reasoning_tokens: u.completion_tokens_details?.reasoning_tokens ?? 0 },
    total_tokens: u.total_tokens,
  };
}

export function fromResponsesUsage(u: unknown): Usage | undefined {
  if (!u || typeof u !== 'object') return undefined;
  const x = u as {
    input_tokens?: number;
    output_tokens?: number;
    total_tokens?: number;
    input_tokens_details?: { cached_tokens?: number };
    output_tokens_details?: { reasoning_tokens?: number };
  };
  const prompt = x.input_tokens ?? 0;
  const completion = x.output_tokens ?? 0;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: x.total_tokens ?? prompt + completion,
    prompt_tokens_details: { cached_tokens: x.input_tokens_details?.cached_tokens ?? 0 },
    completion_tokens_details: { reasoning_tokens: x.output_tokens_details?.reasoning_tokens ?? 0 },
  };
}

/** finish_reason -> Responses status and incomplete_details. */
export function statusFor(finish: FinishReason | undefined): {
  status: 'completed' | 'incomplete';
  incomplete_details: Json | null;
} {
  if (finish === 'length') return { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } };
  if (finish === 'content_filter') return { status: 'incomplete', incomplete_details: { reason: 'content_filter' } };
  return { status: 'completed', incomplete_details: null };
}

export const outputText = (text: string) => ({ type: 'output_text', text, annotations: [], logprobs: [] });

/** A complete canonical answer as a Responses object. */
export function toResponsesObject(chat: ChatCompletionResponse, meta: ResponseMeta): Json {
  const choice = chat.choices[0];
  const msg = choice?.message ?? { role: 'assistant' };
  const { status, incomplete_details } = statusFor(choice?.finish_reason);
  const output: Json[] = [];
  if (typeof msg.reasoning_content === 'string' && msg.reasoning_content) {
    output.push({
      type: 'reasoning',
      id: newId('rs'),
      summary: [],
      content: [{ type: 'reasoning_text', text: msg.reasoning_content }],
      ...(typeof msg.reasoning_signature === 'string' ? { encrypted_content: msg.reasoning_signature } : {}),
      status: 'completed',
    });
  }
  const text =
    typeof msg.content === 'string'
      ? msg.content
      : Array.isArray(msg.content)
        ? msg.content.map((p) => ((p as { text?: unknown }).text as string | undefined) ?? '').join('')
        : '';
  const calls = msg.tool_calls ?? [];
  if (text || typeof msg.refusal === 'string' || calls.length === 0) {
    const content =
      typeof msg.refusal === 'string' && msg.refusal ? [{ type: 'refusal', refusal: msg.refusal }] : [outputText(text)];
    output.push({
      type: 'message',
      id: newId('msg'),
      status: status === 'completed' ? 'completed' : 'incomplete',
      role: 'assistant',
      content,
    });
  }
  for (const tc of calls) {
    output.push({
      type: 'function_call',
      id: newId('fc'),
      call_id: tc.id,
      name: tc.function.name,
      arguments: tc.function.arguments,
      status: 'completed',
    });
  }
  return {
    ...baseResponse({ ...meta, model: chat.model || meta.model }, status),
    incomplete_details,
    output,
    usage: toResponsesUsage(chat.usage),
  };
}

/** A native Responses object as a canonical answer (for usage, caching and transform hooks). */
export function fromResponsesObject(r: Json): ChatCompletionResponse {
  let text = '';
  const calls: ToolCall[] = [];
  let reasoning = '';
  for (const item of (r.output ?? []) as Json[]) {
    if (item.type === 'message') {
      for (const p of (item.content ?? []) as Json[]) if (p.type === 'output_text') text += p.text as string;
    } else if (item.type === 'function_call') {
      calls.push({
        id: item.call_id as string,
        type: 'function',
        function: { name: item.name as string, arguments: item.arguments as string },
      });
    } else if (item.type === 'reasoning') {
      for (const p of (item.content ?? []) as Json[]) if (typeof p.text === 'string') reasoning += p.text;
    }
  }
  const incomplete = (r.incomplete_details as { reason?: string } | null)?.reason;
  const finish: FinishReason =
    r.status === 'incomplete'
      ? incomplete === 'content_filter'
        ? 'content_filter'
        : 'length'
      : calls.length
        ? 'tool_calls'
        : 'stop';
  return {
    id: String(r.id ?? ''),
    object: 'chat.completion',
    created: Number(r.created_at ?? 0),
    model: String(r.model ?? ''),
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: calls.length && !text ? null : text,
          ...(calls.length ? { tool_calls: calls } : {}),
          ...(reasoning ? { reasoning_content: reasoning } : {}),
        },
        finish_reason: finish,
      },
    ],
    usage: fromResponsesUsage(r.usage),
  };
}
