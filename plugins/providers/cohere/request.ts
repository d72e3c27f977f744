/**
 * The canonical (OpenAI) requests in Cohere's v2 format: Chat (POST /v2/chat) and Embed (POST /v2/embed).
 *
 * Request rules (POST /v2/chat):
 * - messages: system and developer -> role "system"; user text / parts (text, image_url) -> role
 *   "user" (image parts keep `image_url: {url, detail}`, as Cohere v2 vision models take them; other
 *   part types, input_audio included, are rejected with 400 naming the part; audio output is refused
 *   in adapter.ts, 400 param `modalities`); assistant -> role "assistant" with `content` text and
 *   `tool_calls`; tool -> role "tool" with `tool_call_id` and the result text as `content`.
 * - tools (type function with parameters) are forwarded; any `strict: true` tool sets
 *   `strict_tools: true`.
 * - tool_choice: "required" -> REQUIRED, "none" -> NONE, "auto" -> omitted; a named tool choice
 *   {type: function, function: {name}} -> only that tool is sent, with REQUIRED (Cohere has no
 *   named choice; this forces exactly that tool).
 * - response_format json_object -> {type: json_object}; json_schema -> {type: json_object,
 *   json_schema: <the schema>}; text -> omitted.
 * - max_completion_tokens / max_tokens -> max_tokens; temperature; top_p -> p; top_k (or k) -> k;
 *   stop -> stop_sequences; seed; frequency_penalty; presence_penalty.
 * - Fields Cohere cannot take are dropped and listed in x-switchyard-dropped-params: n > 1,
 *   parallel_tool_calls: false, logprobs / top_logprobs, logit_bias, user, and any other field not
 *   named above (null values and defaults that change nothing are not reported).
 */
import { GatewayError } from '../../../core/errors.js';
import { textOnly } from '../../../core/provider-kit/index.js';
import type {
  ChatCompletionRequest,
  ChatMessage,
  ContentPart,
  EmbeddingsRequest,
  FunctionTool,
} from '../../../core/types.js';

/** Fields of the canonical request this translation handles (everything else is dropped). */
const HANDLED = new Set([
  'model',
  'messages',
  'stream',
  'stream_options',
  'temperature',
  'top_p',
  'top_k',
  'k',
  'max_tokens',
  'max_completion_tokens',
  'stop',
  'seed',
  'frequency_penalty',
  'presence_penalty',
  'tools',
  'tool_choice',
  'response_format',
  'modalities', // text only here: audio output is refused before translation (adapter.ts)
]);

export interface CohereChatBody {
  model: string;
  messages: Array<Record<string, unknown>>;
  stream?: boolean;
  tools?: Array<{
    type: 'function';
    function: { name: string; description?: string; parameters?: Record<string, unknown> };
  }>;
  strict_tools?: boolean;
  tool_choice?: 'REQUIRED' | 'NONE';
  response_format?: { type: 'json_object'; json_schema?: Record<string, unknown> };
  max_tokens?: number;
  stop_sequences?: string[];
  temperature?: number;
  seed?: number;
  frequency_penalty?: number;
  presence_penalty?: number;
  k?: number;
  p?: number;
}

const invalid = (message: string, param: string | null = null) =>
  new GatewayError(400, message, { type: 'invalid_request_error', code: 'invalid_request', param });

function userContent(content: ChatMessage['content'], i: number): string | Array<Record<string, unknown>> {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((p: ContentPart, j) => {
    if (p.type === 'text') return { type: 'text', text: String((p as { text?: unknown }).text ?? '') };
    if (p.type === 'image_url') {
      const img = (p as { image_url?: { url?: string; detail?: string } }).image_url;
      if (!img?.url) throw invalid('An image_url part needs image_url.url.', `messages[${i}].content[${j}]`);
      return { type: 'image_url', image_url: { url: img.url, ...(img.detail ? { detail: img.detail } : {}) } };
    }
    throw invalid(
      `Content parts of type "${p.type}" are not supported by Cohere (text and image_url are).`,
      `messages[${i}].content[${j}]`,
    );
  });
}

function messages(req: ChatCompletionRequest): Array<Record<string, unknown>> {
  return req.messages.map((m, i) => {
    switch (m.role) {
      case 'system':
      case 'developer':
        return { role: 'system', content: textOnly(m.content) };
      case 'user':
        return { role: 'user', content: userContent(m.content, i) };
      case 'assistant': {
        const text = textOnly(m.content);
        const out: Record<string, unknown> = { role: 'assistant' };
        if (m.tool_calls?.length) {
          out.tool_calls = m.tool_calls.map((t) => ({
            id: t.id,
            type: 'function',
            function: { name: t.function.name, arguments: t.function.arguments },
          }));
          if (text) out.content = text;
        } else {
          out.content = text;
        }
        return out;
      }
      case 'tool':
        if (!m.tool_call_id) throw invalid('A tool message needs tool_call_id.', `messages[${i}].tool_call_id`);
        return { role: 'tool', tool_call_id: m.tool_call_id, content: textOnly(m.content) };
      default:
        throw invalid(`Messages with role "${m.role}" are not supported by Cohere.`, `messages[${i}].role`);
    }
  });
}

const present = (v: unknown) => v !== undefined && v !== null;

/** Build the Cohere /v2/chat body; returns it with the names of dropped parameters. */
export function toCohereChat(req: ChatCompletionRequest, stream: boolean): { body: CohereChatBody; dropped: string[] } {
  const dropped: string[] = [];
  for (const [key, value] of Object.entries(req)) {
    if (HANDLED.has(key) || !present(value)) continue;
    if (key === 'n' && value === 1) continue;
    if (key === 'parallel_tool_calls' && value === true) continue;
    if (key === 'logprobs' && value === false) continue;
    dropped.push(key);
  }
  const body: CohereChatBody = { model: req.model, messages: messages(req) };
  if (stream) body.stream = true;

  let tools: FunctionTool[] | undefined = req.tools?.length ? req.tools : undefined;
  const choice = req.tool_choice;
  if (choice && typeof choice === 'object') {
    const name = choice.function?.name;
    const named = tools?.filter((t) => t.function.name === name);
    if (!named?.length) throw invalid(`tool_choice names "${name}", which is not among the tools.`, 'tool_choice');
    tools = named;
    body.tool_choice = 'REQUIRED';
  } else if (choice === 'required') body.tool_choice = 'REQUIRED';
  else if (choice === 'none') body.tool_choice = 'NONE';
  if (body.tool_choice && !tools) delete body.tool_choice;
  if (tools) {
    body.tools = tools.map((t) => ({
      type: 'function',
      function: {
        name: t.function.name,
        ...(t.function.description !== undefined ? { description: t.function.description } : {}),
        parameters: t.function.parameters ?? { type: 'object', properties: {} },
      },
    }));
    if (tools.some((t) => t.function.strict)) body.strict_tools = true;
  }

  const rf = req.response_format;
  if (rf?.type === 'json_object') body.response_format = { type: 'json_object' };
  else if (rf?.type === 'json_schema') {
    const schema = (rf.json_schema as { schema?: Record<string, unknown> } | undefined)?.schema;
    body.response_format = { type: 'json_object', ...(schema ? { json_schema: schema } : {}) };
  }

  const maxTokens = req.max_completion_tokens ?? req.max_tokens;
  if (present(maxTokens)) body.max_tokens = maxTokens as number;
  if (present(req.stop)) body.stop_sequences = Array.isArray(req.stop) ? req.stop : [req.stop as string];
  if (present(req.temperature)) body.temperature = req.temperature as number;
  if (present(req.top_p)) body.p = req.top_p as number;
  const k = req.top_k ?? req.k;
  if (present(k)) body.k = k as number;
  if (present(req.seed)) body.seed = req.seed as number;
  if (present(req.frequency_penalty)) body.frequency_penalty = req.frequency_penalty as number;
  if (present(req.presence_penalty)) body.presence_penalty = req.presence_penalty as number;
  return { body, dropped };
}

export type CohereInputType = 'search_document' | 'search_query' | 'classification' | 'clustering';

export function toCohereEmbed(
  req: EmbeddingsRequest,
  defaultInputType: CohereInputType,
): { body: Record<string, unknown>; dropped: string[] } {
  const input = req.input;
  const texts =
    typeof input === 'string'
      ? [input]
      : Array.isArray(input) && input.every((x) => typeof x === 'string')
        ? (input as string[])
        : undefined;
  if (!texts)
    throw invalid('Cohere embeddings take text input (a string or an array of strings), not token arrays.', 'input');
  const dropped: string[] = [];
  for (const [key, value] of Object.entries(req)) {
    if (['model', 'input', 'encoding_format', 'dimensions', 'input_type'].includes(key) || !present(value)) continue;
    dropped.push(key);
  }
  const inputType = typeof req.input_type === 'string' ? req.input_type : defaultInputType;
  return {
    body: {
      model: req.model,
      texts,
      input_type: inputType,
      embedding_types: ['float'],
      ...(present(req.dimensions) ? { output_dimension: req.dimensions } : {}),
    },
    dropped,
  };
}
