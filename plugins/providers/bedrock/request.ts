/**
 * Canonical (OpenAI) chat request -> Bedrock Converse request body.
 *
 * Rules (documented in index.ts too):
 * - system / developer messages -> `system: [{text}]`, in order, wherever they appear.
 * - user / assistant content -> content blocks: text -> {text}; image_url with a data: URL
 *   (png, jpeg, gif, webp) -> {image: {format, source: {bytes: <base64>}}}. http(s) image URLs are
 *   rejected with 400 (Converse only takes bytes and the gateway does not fetch URLs). Audio input -> 400
 *   naming the part; audio output (`modalities` with "audio") -> 400, param `modalities` (adapter.ts).
 * - assistant tool_calls -> {toolUse: {toolUseId, name, input}} (arguments parsed as JSON);
 *   tool messages -> a user message with {toolResult: {toolUseId, content: [{text}]}}.
 * - consecutive messages of the same role are merged into one (Converse requires alternation).
 * - tools -> toolConfig.tools[].toolSpec {name, description, inputSchema: {json}}; tool_choice
 *   auto -> {auto:{}}, required -> {any:{}}, named -> {tool:{name}}; none -> toolConfig omitted,
 *   unless the history holds toolUse/toolResult blocks (Bedrock then requires toolConfig): the tools
 *   are kept without toolChoice. History tool names with no declared tool get a permissive spec.
 * - max_completion_tokens / max_tokens -> inferenceConfig.maxTokens; temperature; top_p -> topP;
 *   stop -> stopSequences.
 * - response_format json_object -> a system block asking for one JSON object only; json_schema ->
 *   the same plus the schema. (Converse has no portable JSON mode.)
 * - dropped and listed in x-switchyard-dropped-params: every other field that is set (e.g.
 *   frequency_penalty, presence_penalty, seed, logit_bias, logprobs, user, parallel_tool_calls,
 *   reasoning_effort, top_k, unknown vendor fields), and n when above 1.
 */
import { GatewayError } from '../../../core/errors.js';
import { parseToolArguments, pushTurn, systemTexts, textOnly } from '../../../core/provider-kit/index.js';
import type { ChatCompletionRequest, ChatMessage, ContentPart } from '../../../core/types.js';

export type ContentBlock = Record<string, unknown>;
export interface ConverseMessage {
  role: 'user' | 'assistant';
  content: ContentBlock[];
}

export interface ConverseRequest {
  messages: ConverseMessage[];
  system?: Array<{ text: string }>;
  inferenceConfig?: { maxTokens?: number; temperature?: number; topP?: number; stopSequences?: string[] };
  toolConfig?: {
    tools: Array<{ toolSpec: { name: string; description?: string; inputSchema: { json: Record<string, unknown> } } }>;
    toolChoice?: { auto: Record<string, never> } | { any: Record<string, never> } | { tool: { name: string } };
  };
}

/** Request fields the translation uses; any other field that is set is dropped and reported. */
const TRANSLATED = new Set([
  'model',
  'messages',
  'stream',
  'stream_options',
  'max_tokens',
  'max_completion_tokens',
  'temperature',
  'top_p',
  'stop',
  'tools',
  'tool_choice',
  'response_format',
  'n',
  'modalities', // text only here: audio output is refused before translation (adapter.ts)
]);

const IMAGE_FORMATS: Record<string, string> = { png: 'png', jpeg: 'jpeg', jpg: 'jpeg', gif: 'gif', webp: 'webp' };

const invalid = (message: string, param: string) => new GatewayError(400, message, { code: 'invalid_request', param });

function imageBlock(url: string, param: string): ContentBlock {
  const m = /^data:image\/([a-z0-9.+-]+);base64,(.*)$/is.exec(url);
  if (!m) {
    if (/^https?:/i.test(url)) {
      throw invalid(
        'Amazon Bedrock (Converse) needs image bytes: send the image as a data: URL ' +
          '(data:image/png;base64,...). http(s) image URLs are not supported by this provider.',
        param,
      );
    }
    throw invalid('Image URL must be a base64 data: URL (data:image/<format>;base64,...).', param);
  }
  const format = IMAGE_FORMATS[m[1].toLowerCase()];
  if (!format)
    throw invalid(`Image format "${m[1]}" is not supported by Amazon Bedrock (png, jpeg, gif, webp).`, param);
  return { image: { format, source: { bytes: m[2].replace(/\s+/g, '') } } };
}

function contentBlocks(content: ChatMessage['content'], param: string): ContentBlock[] {
  if (content === null || content === undefined) return [];
  if (typeof content === 'string') return content ? [{ text: content }] : [];
  const out: ContentBlock[] = [];
  content.forEach((part: ContentPart, j) => {
    const p = part as Record<string, unknown>;
    if (part.type === 'text' && typeof p.text === 'string') {
      if (p.text) out.push({ text: p.text });
    } else if (part.type === 'image_url') {
      const iu = p.image_url as { url?: unknown } | string | undefined;
      const url = typeof iu === 'string' ? iu : iu?.url;
      if (typeof url !== 'string') throw invalid('image_url.url must be a string.', `${param}[${j}].image_url`);
      out.push(imageBlock(url, `${param}[${j}].image_url`));
    } else {
      throw invalid(`Content part type "${part.type}" is not supported by Amazon Bedrock.`, `${param}[${j}]`);
    }
  });
  return out;
}

export interface Translated {
  body: ConverseRequest;
  dropped: string[];
}

export function toConverse(req: ChatCompletionRequest): Translated {
  const system: Array<{ text: string }> = systemTexts(req.messages);
  const messages: ConverseMessage[] = [];
  const historyTools = new Set<string>();
  let hasToolBlocks = false;

  const push = (role: 'user' | 'assistant', blocks: ContentBlock[]) => pushTurn(messages, 'content', role, blocks);

  req.messages.forEach((m, i) => {
    const param = `messages[${i}].content`;
    switch (m.role) {
      case 'system':
      case 'developer':
        break; // in `system` (systemTexts)
      case 'user':
        push('user', contentBlocks(m.content, param));
        break;
      case 'assistant': {
        const blocks = contentBlocks(m.content, param);
        for (const [k, tc] of (m.tool_calls ?? []).entries()) {
          const input = parseToolArguments(tc.function?.arguments, () =>
            invalid(
              'Tool call arguments must be valid JSON for Amazon Bedrock.',
              `messages[${i}].tool_calls[${k}].function.arguments`,
            ),
          );
          hasToolBlocks = true;
          historyTools.add(tc.function.name);
          blocks.push({ toolUse: { toolUseId: tc.id, name: tc.function.name, input } });
        }
        push('assistant', blocks);
        break;
      }
      case 'tool':
      case 'function': {
        hasToolBlocks = true;
        const text = textOnly(m.content);
        const id = m.tool_call_id ?? (typeof m.name === 'string' ? m.name : undefined);
        if (!id) throw invalid('A tool message needs tool_call_id.', `messages[${i}].tool_call_id`);
        push('user', [{ toolResult: { toolUseId: id, content: [{ text: text || '(empty)' }] } }]);
        break;
      }
      default:
        throw invalid(`Message role "${m.role}" is not supported by Amazon Bedrock.`, `messages[${i}].role`);
    }
  });

  const format = req.response_format?.type;
  if (format === 'json_object') {
    system.push({ text: 'Respond with a single valid JSON object and nothing else: no prose, no code fences.' });
  } else if (format === 'json_schema') {
    const schema = (req.response_format?.json_schema as { schema?: unknown } | undefined)?.schema;
    system.push({
      text:
        'Respond with a single valid JSON object and nothing else: no prose, no code fences.' +
        (schema ? ` It must conform to this JSON schema: ${JSON.stringify(schema)}` : ''),
    });
  }

  const body: ConverseRequest = { messages };
  if (system.length) body.system = system;

  const inference: NonNullable<ConverseRequest['inferenceConfig']> = {};
  const maxTokens = req.max_completion_tokens ?? req.max_tokens;
  if (typeof maxTokens === 'number') inference.maxTokens = maxTokens;
  if (typeof req.temperature === 'number') inference.temperature = req.temperature;
  if (typeof req.top_p === 'number') inference.topP = req.top_p;
  if (req.stop !== undefined && req.stop !== null) {
    const stops = (Array.isArray(req.stop) ? req.stop : [req.stop]).filter((s) => typeof s === 'string' && s.length);
    if (stops.length) inference.stopSequences = stops;
  }
  if (Object.keys(inference).length) body.inferenceConfig = inference;

  const tools = req.tools ?? [];
  const choice = req.tool_choice;
  if ((tools.length && choice !== 'none') || hasToolBlocks) {
    const specs: NonNullable<ConverseRequest['toolConfig']>['tools'] = tools.map((t) => ({
      toolSpec: {
        name: t.function.name,
        ...(t.function.description ? { description: t.function.description } : {}),
        inputSchema: {
          json: (t.function.parameters as Record<string, unknown> | undefined) ?? { type: 'object', properties: {} },
        },
      },
    }));
    for (const name of historyTools) {
      if (!specs.some((s) => s.toolSpec.name === name)) {
        specs.push({ toolSpec: { name, inputSchema: { json: { type: 'object' } } } });
      }
    }
    if (specs.length) {
      body.toolConfig = { tools: specs };
      if (choice !== 'none' && tools.length) {
        if (choice === 'required') body.toolConfig.toolChoice = { any: {} };
        else if (choice && typeof choice === 'object') {
          if (!tools.some((t) => t.function.name === choice.function.name)) {
            throw invalid(`tool_choice names "${choice.function.name}", which is not in tools.`, 'tool_choice');
          }
          body.toolConfig.toolChoice = { tool: { name: choice.function.name } };
        } else if (choice === 'auto') body.toolConfig.toolChoice = { auto: {} };
      }
    }
  }

  const dropped: string[] = [];
  for (const k of Object.keys(req)) {
    if (!TRANSLATED.has(k) && req[k] !== undefined && req[k] !== null) dropped.push(k);
  }
  if (typeof req.n === 'number' && req.n > 1) dropped.push('n');

  return { body, dropped };
}
