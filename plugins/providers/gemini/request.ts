/**
 * Canonical (OpenAI) chat request -> Gemini GenerateContentRequest (shared by Gemini API and Vertex).
 *
 * Rules (documented in index.ts as well):
 * - system/developer messages (wherever they appear) -> systemInstruction.parts, in order.
 * - user -> role "user"; assistant -> role "model"; tool -> functionResponse parts in a "user" turn.
 *   Consecutive turns of the same role are merged into one Content (Gemini wants alternating turns).
 * - assistant tool_calls -> functionCall parts {name, args}; a thought signature carried in our
 *   tool-call id (see ids below) is sent back as the part's thoughtSignature.
 * - tool messages -> functionResponse {name, response}; the name is recovered from the earlier
 *   assistant tool call with the same id (else the message's `name`). The content becomes `response`
 *   as is when it is a JSON object, else `{ result: <parsed JSON or text> }`.
 * - image_url data: URLs -> inlineData; http(s)/gs:// URLs -> fileData {fileUri, mimeType} with the
 *   mime type guessed from the extension (default image/jpeg). input_audio -> inlineData audio/<fmt>
 *   (empty data: 400 naming it); file parts with file_data -> inlineData. Audio output (`modalities` with
 *   "audio") is refused in adapter.ts (400, param `modalities`).
 * - tools -> one Tool {functionDeclarations}; parameters cleaned by `cleanSchema` below.
 * - tool_choice auto/none/required/named -> functionCallingConfig AUTO / NONE / ANY / ANY +
 *   allowedFunctionNames [name].
 * - response_format json_object -> responseMimeType application/json; json_schema -> that plus
 *   responseSchema (cleaned).
 * - temperature, top_p, top_k, max_(completion_)tokens, stop, n, seed, presence/frequency penalty ->
 *   generationConfig; reasoning_effort -> thinkingConfig (see thinkingFor).
 * - Everything else that is set (user, logit_bias, logprobs, parallel_tool_calls=false, store,
 *   metadata, service_tier, ...) is dropped and listed in `dropped`.
 */
import { createHash } from 'node:crypto';
import { errors } from '../../../core/errors.js';
import { inputAudio, systemTexts, textOnly } from '../../../core/provider-kit/index.js';
import type { ChatCompletionRequest, ChatMessage, ContentPart } from '../../../core/types.js';

export interface GeminiPart {
  text?: string;
  thought?: boolean;
  thoughtSignature?: string;
  inlineData?: { mimeType: string; data: string };
  fileData?: { mimeType?: string; fileUri: string };
  functionCall?: { name: string; args?: Record<string, unknown>; id?: string };
  functionResponse?: { name: string; response: Record<string, unknown>; id?: string };
  [k: string]: unknown;
}

export interface GeminiContent {
  role?: 'user' | 'model';
  parts: GeminiPart[];
}

export interface GeminiRequest {
  contents: GeminiContent[];
  systemInstruction?: { parts: GeminiPart[] };
  tools?: Array<{
    functionDeclarations: Array<{ name: string; description?: string; parameters?: Record<string, unknown> }>;
  }>;
  toolConfig?: { functionCallingConfig: { mode: 'AUTO' | 'ANY' | 'NONE'; allowedFunctionNames?: string[] } };
  generationConfig?: Record<string, unknown>;
}

/** Fields we translate, or that carry no meaning upstream (stream flags). */
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
  'presence_penalty',
  'frequency_penalty',
  'seed',
  'tools',
  'tool_choice',
  'response_format',
  'reasoning_effort',
  'parallel_tool_calls',
  'modalities', // text only here: audio output is refused before translation (adapter.ts)
]);

// ---------------------------------------------------------------------------------------------
// Tool-call ids. Gemini (generateContent) gives function calls no ids, so we make stable ones:
// "call_" + 24 hex of sha256(response id | candidate | call index | name | args). Gemini 2.5/3 attach
// a `thoughtSignature` to function-call parts that must be sent back with the call on the next turn;
// we carry it statelessly inside the id as "<id>__ts__<signature>" (base64 has no "_").
// ---------------------------------------------------------------------------------------------
const SIG_SEP = '__ts__';

export function makeToolCallId(seed: string, signature?: string): string {
  const base = `call_${createHash('sha256').update(seed).digest('hex').slice(0, 24)}`;
  return signature ? `${base}${SIG_SEP}${signature}` : base;
}

export function signatureOf(id: string | undefined): string | undefined {
  if (!id) return undefined;
  const at = id.indexOf(SIG_SEP);
  return at === -1 ? undefined : id.slice(at + SIG_SEP.length) || undefined;
}

// ---------------------------------------------------------------------------------------------
// JSON schema cleaning. Gemini's `parameters`/`responseSchema` take an OpenAPI 3.0 subset and reject
// unknown keywords (additionalProperties, $schema, $ref, $defs, const, strict, ...). Rule: keep only
// the keys below; resolve local "#/$defs/..." / "#/definitions/..." refs inline (depth-limited);
// `const: v` -> `enum: [v]`; `type: [T, "null"]` -> `type: T, nullable: true`; `oneOf` -> `anyOf`;
// recurse into properties/items/anyOf; drop `required` entries naming no property.
// ---------------------------------------------------------------------------------------------
const KEEP = new Set([
  'type',
  'format',
  'title',
  'description',
  'nullable',
  'enum',
  'maxItems',
  'minItems',
  'properties',
  'required',
  'minProperties',
  'maxProperties',
  'minLength',
  'maxLength',
  'pattern',
  'example',
  'anyOf',
  'propertyOrdering',
  'default',
  'items',
  'minimum',
  'maximum',
]);

export function cleanSchema(
  schema: unknown,
  root: Record<string, unknown> = schema as Record<string, unknown>,
  depth = 0,
): Record<string, unknown> {
  if (!schema || typeof schema !== 'object' || Array.isArray(schema) || depth > 32) return {};
  let s = schema as Record<string, unknown>;
  if (typeof s.$ref === 'string') {
    const m = /^#\/(\$defs|definitions)\/(.+)$/.exec(s.$ref);
    const defs = m ? (root?.[m[1]] as Record<string, unknown> | undefined) : undefined;
    const target = m && defs ? defs[decodeURIComponent(m[2]).replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
    s = { ...((target as Record<string, unknown>) ?? {}), ...s };
    delete s.$ref;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === 'const') out.enum = [v];
    else if (k === 'oneOf' && Array.isArray(v) && !s.anyOf) out.anyOf = v.map((x) => cleanSchema(x, root, depth + 1));
    else if (!KEEP.has(k)) continue;
    else if (k === 'type' && Array.isArray(v)) {
      const types = v.filter((t) => t !== 'null');
      if (types.length !== v.length) out.nullable = true;
      if (types.length === 1) out.type = types[0];
      else if (types.length > 1) out.anyOf = types.map((t) => ({ type: t }));
    } else if (k === 'properties' && v && typeof v === 'object') {
      const props: Record<string, unknown> = {};
      for (const [name, p] of Object.entries(v as Record<string, unknown>))
        props[name] = cleanSchema(p, root, depth + 1);
      out.properties = props;
    } else if (k === 'items')
      out.items = Array.isArray(v) ? cleanSchema(v[0], root, depth + 1) : cleanSchema(v, root, depth + 1);
    else if (k === 'anyOf' && Array.isArray(v)) out.anyOf = v.map((x) => cleanSchema(x, root, depth + 1));
    else if (k === 'enum' && Array.isArray(v)) out.enum = v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x)));
    else out[k] = v;
  }
  if (out.enum && !out.type) out.type = 'string';
  if (Array.isArray(out.required) && out.properties) {
    const props = out.properties as Record<string, unknown>;
    out.required = (out.required as unknown[]).filter((r) => typeof r === 'string' && r in props);
  } else if (Array.isArray(out.required) && !out.properties) delete out.required;
  return out;
}

// ---------------------------------------------------------------------------------------------

const EXT_MIME: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
  heic: 'image/heic',
  heif: 'image/heif',
  pdf: 'application/pdf',
  mp3: 'audio/mp3',
  wav: 'audio/wav',
  mp4: 'video/mp4',
  txt: 'text/plain',
};

export function guessMime(url: string, fallback = 'image/jpeg'): string {
  let path = url;
  try {
    path = new URL(url).pathname;
  } catch {
    /* not a URL: use as is */
  }
  const ext = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase();
  return (ext && EXT_MIME[ext]) || fallback;
}

function dataUrl(url: string): { mimeType: string; data: string } | undefined {
  const m = /^data:([^;,]+)?((?:;[^;,]+)*?);base64,(.*)$/s.exec(url);
  if (!m) return undefined;
  return { mimeType: m[1] || 'application/octet-stream', data: m[3] };
}

function partsOf(content: ChatMessage['content'], where: string): GeminiPart[] {
  if (content == null) return [];
  if (typeof content === 'string') return content ? [{ text: content }] : [];
  const out: GeminiPart[] = [];
  for (const [j, p] of (content as ContentPart[]).entries()) {
    if (p.type === 'text' && typeof (p as { text?: unknown }).text === 'string') {
      if ((p as { text: string }).text) out.push({ text: (p as { text: string }).text });
    } else if (p.type === 'image_url') {
      const url = (p as { image_url?: { url?: string } }).image_url?.url;
      if (typeof url !== 'string') throw errors.invalidRequest(`${where}: image_url.url must be a string.`, where);
      const inline = dataUrl(url);
      if (inline) out.push({ inlineData: inline });
      else if (url.startsWith('data:'))
        throw errors.invalidRequest(`${where}: only base64 data: URLs are supported for images.`, where);
      else out.push({ fileData: { mimeType: guessMime(url), fileUri: url } });
    } else if (p.type === 'input_audio') {
      const a = inputAudio(p, `${where}.content[${j}]`);
      out.push({ inlineData: { mimeType: `audio/${a.format}`, data: a.data } });
    } else if (p.type === 'file') {
      const f = (p as { file?: { file_data?: string; filename?: string } }).file;
      const inline = f?.file_data ? dataUrl(f.file_data) : undefined;
      if (inline) out.push({ inlineData: inline });
      else throw errors.invalidRequest(`${where}: file parts must carry file_data as a base64 data: URL.`, where);
    } else {
      throw errors.invalidRequest(`${where}: content part type "${p.type}" is not supported by Gemini.`, where);
    }
  }
  return out;
}

function parseArgs(args: string): Record<string, unknown> {
  if (!args) return {};
  try {
    const v = JSON.parse(args);
    return v && typeof v === 'object' && !Array.isArray(v) ? v : { value: v };
  } catch {
    throw errors.invalidRequest('An assistant tool call has arguments that are not valid JSON.', 'messages');
  }
}

function toolResponse(content: ChatMessage['content']): Record<string, unknown> {
  const text = textOnly(content);
  try {
    const v = JSON.parse(text);
    if (v && typeof v === 'object' && !Array.isArray(v)) return v;
    return { result: v };
  } catch {
    return { result: text };
  }
}

/** reasoning_effort -> thinkingConfig: Gemini 3 takes thinkingLevel, 2.5 a token budget. */
function thinkingFor(effort: string, model: string): Record<string, unknown> | undefined {
  if (/^gemini-3/.test(model)) {
    const level = effort === 'none' || effort === 'minimal' || effort === 'low' ? 'low' : 'high';
    return { thinkingLevel: level, includeThoughts: true };
  }
  const budgets: Record<string, number> = { none: 0, minimal: 512, low: 1024, medium: 8192, high: 24576 };
  const budget = budgets[effort];
  if (budget === undefined) return undefined;
  return budget === 0 ? { thinkingBudget: 0 } : { thinkingBudget: budget, includeThoughts: true };
}

export function toGeminiRequest(req: ChatCompletionRequest): { body: GeminiRequest; dropped: string[] } {
  const system: GeminiPart[] = systemTexts(req.messages);
  const contents: GeminiContent[] = [];
  const callNames = new Map<string, string>();
  const push = (role: 'user' | 'model', parts: GeminiPart[]) => {
    if (!parts.length) return;
    const last = contents[contents.length - 1];
    if (last && last.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  };

  req.messages.forEach((m, i) => {
    const where = `messages[${i}]`;
    switch (m.role) {
      case 'system':
      case 'developer':
        break; // in `system` (systemTexts)
      case 'user':
        push('user', partsOf(m.content, where));
        break;
      case 'assistant': {
        const parts = partsOf(m.content, where).filter((p) => p.text !== undefined);
        for (const tc of m.tool_calls ?? []) {
          callNames.set(tc.id, tc.function.name);
          const part: GeminiPart = { functionCall: { name: tc.function.name, args: parseArgs(tc.function.arguments) } };
          const sig = signatureOf(tc.id);
          if (sig) part.thoughtSignature = sig;
          parts.push(part);
        }
        push('model', parts);
        break;
      }
      case 'tool': {
        const name =
          (m.tool_call_id && callNames.get(m.tool_call_id)) || (typeof m.name === 'string' ? m.name : undefined);
        if (!name) {
          throw errors.invalidRequest(
            `${where}: tool message answers tool_call_id "${m.tool_call_id ?? ''}", ` +
              'which matches no earlier assistant tool call.',
            `${where}.tool_call_id`,
          );
        }
        push('user', [{ functionResponse: { name, response: toolResponse(m.content) } }]);
        break;
      }
      case 'function': {
        // Legacy function-role message: the name is on the message.
        push('user', [{ functionResponse: { name: String(m.name ?? 'function'), response: toolResponse(m.content) } }]);
        break;
      }
      default:
        throw errors.invalidRequest(`${where}: role "${String(m.role)}" is not supported.`, `${where}.role`);
    }
  });
  if (!contents.length)
    throw errors.invalidRequest('Gemini needs at least one user or assistant message with content.', 'messages');

  const body: GeminiRequest = { contents };
  if (system.length) body.systemInstruction = { parts: system };

  const dropped: string[] = [];
  const tools = (req.tools ?? []).filter((t) => t?.type === 'function' && t.function?.name);
  if (tools.length && req.tool_choice !== undefined && req.tool_choice !== null) {
    const choice = req.tool_choice;
    if (choice === 'auto') body.toolConfig = { functionCallingConfig: { mode: 'AUTO' } };
    else if (choice === 'none') body.toolConfig = { functionCallingConfig: { mode: 'NONE' } };
    else if (choice === 'required') body.toolConfig = { functionCallingConfig: { mode: 'ANY' } };
    else if (typeof choice === 'object' && choice.function?.name) {
      body.toolConfig = { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [choice.function.name] } };
    }
  }
  if (tools.length) {
    body.tools = [
      {
        functionDeclarations: tools.map((t) => {
          const d: { name: string; description?: string; parameters?: Record<string, unknown> } = {
            name: t.function.name,
          };
          if (t.function.description) d.description = t.function.description;
          const params = t.function.parameters ? cleanSchema(t.function.parameters) : undefined;
          // Gemini rejects an object schema with no properties; a function without arguments has none.
          if (
            params &&
            !(params.type === 'object' && (!params.properties || !Object.keys(params.properties as object).length))
          )
            d.parameters = params;
          return d;
        }),
      },
    ];
  }

  const g: Record<string, unknown> = {};
  if (req.temperature != null) g.temperature = req.temperature;
  if (req.top_p != null) g.topP = req.top_p;
  if (typeof req.top_k === 'number') g.topK = req.top_k;
  const max = req.max_completion_tokens ?? req.max_tokens;
  if (max != null) g.maxOutputTokens = max;
  if (req.stop != null) {
    const stops = (Array.isArray(req.stop) ? req.stop : [req.stop]).filter((s) => typeof s === 'string' && s);
    if (stops.length) g.stopSequences = stops;
  }
  if (req.n != null && req.n !== 1) g.candidateCount = req.n;
  if (req.seed != null) g.seed = req.seed;
  if (req.presence_penalty != null) g.presencePenalty = req.presence_penalty;
  if (req.frequency_penalty != null) g.frequencyPenalty = req.frequency_penalty;
  const rf = req.response_format;
  if (rf?.type === 'json_object') g.responseMimeType = 'application/json';
  else if (rf?.type === 'json_schema') {
    g.responseMimeType = 'application/json';
    const schema = (rf.json_schema as { schema?: unknown } | undefined)?.schema;
    if (schema) g.responseSchema = cleanSchema(schema);
  }
  if (typeof req.reasoning_effort === 'string') {
    const t = thinkingFor(req.reasoning_effort, req.model);
    if (t) g.thinkingConfig = t;
    else dropped.push('reasoning_effort');
  }
  if (Object.keys(g).length) body.generationConfig = g;

  if (req.parallel_tool_calls === false) dropped.push('parallel_tool_calls');
  for (const [k, v] of Object.entries(req)) {
    if (v === undefined || v === null || HANDLED.has(k)) continue;
    dropped.push(k);
  }
  return { body, dropped };
}
