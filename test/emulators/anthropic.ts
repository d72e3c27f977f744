/**
 * An emulated Anthropic Messages API on 127.0.0.1 reproducing the documented wire format:
 * POST /v1/messages (and /v1/messages/count_tokens, answering `{input_tokens}`; Message Batches under
 * /v1/messages/batches, see ./anthropic-batches.ts) with `x-api-key` and `anthropic-version` headers;
 * JSON Message answers; SSE streams with named events (message_start, content_block_start, ping,
 * content_block_delta with text_delta / input_json_delta / thinking_delta / signature_delta, content_block_stop,
 * message_delta with stop_reason and usage, message_stop); error bodies
 * `{"type":"error","error":{"type","message"},"request_id"}` with a `request-id` header.
 * It also enforces some of the API's documented request rules (max_tokens required, roles
 * user/assistant only, non-empty text blocks, tool_result ids matching the previous turn's tool_use,
 * thinking budget rules) so translation mistakes show up as the 400s the real API would send.
 *
 * Behaviour by requested model id: normal ids answer (content from simulateChat); 'error-<status>'
 * and 'overloaded' (529) and 'context-too-long' answer those errors; 'refuse' answers with
 * stop_reason "refusal"; 'stream-error-midway' streams a little then sends `event: error`
 * (overloaded_error); 'stream-truncated' streams a little then drops the connection; 'slow' waits 2 s; 'slow-stream'
 * waits 50 ms between text deltas.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { ChatCompletionRequest, ChatMessage, ContentPart, FunctionTool } from '../../core/types.js';
import { countTokens, promptTokens, simulateChat, wordPieces } from '../../plugins/providers/mock/simulate.js';
import { messageBatchesRoutes } from './anthropic-batches.js';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

export interface AnthropicEmulator {
  url: string;
  requests: RecordedRequest[];
  /** Requests whose connection closed before the emulator finished answering. */
  aborted: RecordedRequest[];
  close(): Promise<void>;
}

interface ErrorSpec {
  status: number;
  type: string;
  message: string;
}

const ERRORS: Record<string, ErrorSpec> = {
  'error-400': { status: 400, type: 'invalid_request_error', message: 'messages.0.content.0.type: Field required' },
  'error-401': { status: 401, type: 'authentication_error', message: 'invalid x-api-key' },
  'error-403': {
    status: 403,
    type: 'permission_error',
    message: 'Your API key does not have permission to use the specified resource.',
  },
  'error-404': { status: 404, type: 'not_found_error', message: 'model: error-404' },
  'error-413': {
    status: 413,
    type: 'request_too_large',
    message: 'Request exceeds the maximum allowed number of bytes.',
  },
  'error-429': {
    status: 429,
    type: 'rate_limit_error',
    message: 'This request would exceed the rate limit for your organization of 50 requests per minute.',
  },
  'error-500': { status: 500, type: 'api_error', message: 'Internal server error' },
  'error-503': { status: 503, type: 'api_error', message: 'Service unavailable' },
  'error-529': { status: 529, type: 'overloaded_error', message: 'Overloaded' },
  overloaded: { status: 529, type: 'overloaded_error', message: 'Overloaded' },
  'context-too-long': {
    status: 400,
    type: 'invalid_request_error',
    message: 'prompt is too long: 208656 tokens > 200000 maximum',
  },
};

export const JSON_HINT = /valid JSON object/i;
const THINKING_TEXT = 'The user wants a short answer. I will keep it brief and accurate.';

let counter = 0;
const requestId = () => `req_emu${(++counter).toString(16).padStart(8, '0')}`;
const hash = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 20);

function sendError(res: http.ServerResponse, e: ErrorSpec): void {
  const id = requestId();
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'request-id': id,
    'x-should-retry': String(e.status >= 500 || e.status === 429),
  };
  if (e.status === 429) {
    headers['retry-after'] = '1';
    headers['anthropic-ratelimit-requests-limit'] = '50';
    headers['anthropic-ratelimit-requests-remaining'] = '0';
  }
  res.writeHead(e.status, headers);
  res.end(JSON.stringify({ type: 'error', error: { type: e.type, message: e.message }, request_id: id }));
}

const invalid = (message: string): ErrorSpec => ({ status: 400, type: 'invalid_request_error', message });

/** The documented request rules the emulator enforces; returns an error message or undefined. */
function validate(body: any): string | undefined {
  if (!body || typeof body !== 'object') return 'body: Input should be an object';
  if (typeof body.model !== 'string') return 'model: Field required';
  if (typeof body.max_tokens !== 'number') return 'max_tokens: Field required';
  if (!Array.isArray(body.messages)) return 'messages: Field required';
  if (body.system !== undefined && typeof body.system !== 'string' && !Array.isArray(body.system))
    return 'system: Input should be a valid string or list';
  if (typeof body.temperature === 'number' && (body.temperature < 0 || body.temperature > 1))
    return 'temperature: range: 0..1';
  const thinking = body.thinking?.type === 'enabled';
  if (thinking) {
    if (typeof body.thinking.budget_tokens !== 'number' || body.thinking.budget_tokens < 1024)
      return 'thinking.enabled.budget_tokens: Input should be greater than or equal to 1024';
    if (body.max_tokens <= body.thinking.budget_tokens)
      return '`max_tokens` must be greater than `thinking.budget_tokens`';
    if (body.temperature !== undefined && body.temperature !== 1)
      return '`temperature` may only be set to 1 when thinking is enabled or in interleaved thinking mode.';
    if (body.tool_choice && (body.tool_choice.type === 'any' || body.tool_choice.type === 'tool'))
      return 'Thinking may not be enabled when tool_choice forces tool use.';
  }
  let previous: any;
  for (const [i, m] of (body.messages as any[]).entries()) {
    if (m.role !== 'user' && m.role !== 'assistant') return `messages.${i}.role: Input should be 'user' or 'assistant'`;
    const blocks = typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : m.content;
    if (!Array.isArray(blocks)) return `messages.${i}.content: Input should be a valid list`;
    if (!blocks.length)
      return `messages.${i}: all messages must have non-empty content except for the optional final assistant message`;
    for (const [j, b] of blocks.entries()) {
      if (b.type === 'text' && !b.text) return `messages.${i}.content.${j}: text content blocks must be non-empty`;
      if (b.type === 'tool_result') {
        const ids = Array.isArray(previous?.content)
          ? previous.content.filter((x: any) => x.type === 'tool_use').map((x: any) => x.id)
          : [];
        if (!ids.includes(b.tool_use_id)) {
          return (
            `messages.${i}.content.${j}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ` +
            `${b.tool_use_id}. Each \`tool_result\` block must have a corresponding \`tool_use\` block ` +
            'in the previous message.'
          );
        }
      }
      if (b.type === 'image' && b.source?.type !== 'base64' && b.source?.type !== 'url')
        return (
          `messages.${i}.content.${j}.image.source: Input tag '${b.source?.type}' found using 'type' ` +
          "does not match any of the expected tags: 'base64', 'url'"
        );
    }
    previous = m;
  }
  if (body.tool_choice && body.tool_choice.type !== 'none' && !Array.isArray(body.tools))
    return 'tool_choice: tool_choice may only be specified while providing tools.';
  return undefined;
}

const textOfBlocks = (content: any): string =>
  typeof content === 'string'
    ? content
    : Array.isArray(content)
      ? content
          .filter((b: any) => b.type === 'text')
          .map((b: any) => b.text)
          .join('\n')
      : '';

/** Reconstruct an OpenAI-shaped request so simulateChat can produce the answer. */
function toSimRequest(body: any): ChatCompletionRequest {
  const messages: ChatMessage[] = [];
  const system = textOfBlocks(body.system);
  if (system) messages.push({ role: 'system', content: system });
  for (const m of body.messages as any[]) {
    const blocks: any[] = typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : m.content;
    if (m.role === 'assistant') {
      const calls = blocks
        .filter((b) => b.type === 'tool_use')
        .map((b) => ({
          id: b.id,
          type: 'function' as const,
          function: { name: b.name, arguments: JSON.stringify(b.input) },
        }));
      messages.push({
        role: 'assistant',
        content: textOfBlocks(blocks) || null,
        ...(calls.length ? { tool_calls: calls } : {}),
      });
      continue;
    }
    for (const b of blocks.filter((x) => x.type === 'tool_result')) {
      messages.push({ role: 'tool', tool_call_id: b.tool_use_id, content: textOfBlocks(b.content) });
    }
    const parts: ContentPart[] = blocks.flatMap((b): ContentPart[] => {
      if (b.type === 'text') return [{ type: 'text', text: b.text }];
      if (b.type === 'image')
        return [
          {
            type: 'image_url',
            image_url: {
              url: b.source.type === 'url' ? b.source.url : `data:${b.source.media_type};base64,${b.source.data}`,
            },
          },
        ];
      return [];
    });
    if (parts.length) messages.push({ role: 'user', content: parts });
  }
  const tools: FunctionTool[] | undefined = Array.isArray(body.tools)
    ? body.tools.map((t: any) => ({
        type: 'function',
        function: { name: t.name, description: t.description, parameters: t.input_schema },
      }))
    : undefined;
  const tc = body.tool_choice;
  const toolChoice = !tc
    ? undefined
    : tc.type === 'any'
      ? 'required'
      : tc.type === 'none'
        ? 'none'
        : tc.type === 'tool'
          ? { type: 'function' as const, function: { name: tc.name } }
          : 'auto';
  return {
    model: body.model,
    messages,
    max_tokens: body.max_tokens,
    ...(tools ? { tools } : {}),
    ...(toolChoice ? { tool_choice: toolChoice } : {}),
    ...(tc?.disable_parallel_tool_use ? { parallel_tool_calls: false } : {}),
    ...(JSON_HINT.test(system) ? { response_format: { type: 'json_object' as const } } : {}),
  };
}

interface Answer {
  id: string;
  content: any[];
  stop_reason: string;
  stop_sequence: string | null;
  usage: {
    input_tokens: number;
    cache_creation_input_tokens: number;
    cache_read_input_tokens: number;
    output_tokens: number;
    service_tier: string;
  };
}

function answer(body: any): Answer {
  const sim = simulateChat(toSimRequest(body), { created: 1_700_000_000 });
  const choice = sim.choices[0];
  const content: any[] = [];
  let outTokens = sim.usage?.completion_tokens ?? 0;
  if (body.thinking?.type === 'enabled') {
    content.push({ type: 'thinking', thinking: THINKING_TEXT, signature: `sig_${hash(THINKING_TEXT)}` });
    outTokens += countTokens(THINKING_TEXT);
  }
  let stopReason =
    choice.finish_reason === 'length' ? 'max_tokens' : choice.finish_reason === 'tool_calls' ? 'tool_use' : 'end_turn';
  let stopSequence: string | null = null;
  let text = typeof choice.message.content === 'string' ? choice.message.content : '';
  if (body.model === 'refuse') {
    text = '';
    stopReason = 'refusal';
  }
  if (Array.isArray(body.stop_sequences) && stopReason === 'end_turn') {
    let at = -1;
    for (const s of body.stop_sequences as string[]) {
      const k = text.indexOf(s);
      if (k !== -1 && (at === -1 || k < at)) {
        at = k;
        stopSequence = s;
      }
    }
    if (stopSequence !== null) {
      text = text.slice(0, at);
      stopReason = 'stop_sequence';
      outTokens = countTokens(text);
    }
  }
  if (text) content.push({ type: 'text', text });
  for (const tc of choice.message.tool_calls ?? []) {
    content.push({
      type: 'tool_use',
      id: `toolu_${hash(tc.id)}`,
      name: tc.function.name,
      input: JSON.parse(tc.function.arguments),
    });
  }
  const cached = Array.isArray(body.system) && body.system.some((b: any) => b.cache_control);
  return {
    id: `msg_${hash(JSON.stringify(body.messages))}`,
    content,
    stop_reason: stopReason,
    stop_sequence: stopSequence,
    usage: {
      input_tokens: promptTokens(toSimRequest(body)),
      cache_creation_input_tokens: cached ? 512 : 0,
      cache_read_input_tokens: cached ? 2048 : 0,
      output_tokens: Math.max(1, outTokens),
      service_tier: 'standard',
    },
  };
}

const sse = (res: http.ServerResponse, event: string, data: unknown) =>
  res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);

/** Split a JSON text into a few fragments, as input_json_delta does. */
function jsonFragments(json: string): string[] {
  if (json.length < 4) return [json];
  const a = Math.floor(json.length / 3);
  const b = Math.floor((2 * json.length) / 3);
  return [json.slice(0, a), json.slice(a, b), json.slice(b)];
}

async function stream(res: http.ServerResponse, body: any, a: Answer): Promise<void> {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'request-id': requestId(),
  });
  const partial = body.model === 'stream-error-midway' || body.model === 'stream-truncated';
  sse(res, 'message_start', {
    type: 'message_start',
    message: {
      id: a.id,
      type: 'message',
      role: 'assistant',
      model: body.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { ...a.usage, output_tokens: 1 },
    },
  });
  for (const [index, block] of a.content.entries()) {
    if (block.type === 'text') {
      sse(res, 'content_block_start', {
        type: 'content_block_start',
        index,
        content_block: { type: 'text', text: '' },
      });
      if (index === 0) sse(res, 'ping', { type: 'ping' });
      const pieces = wordPieces(block.text);
      for (const [k, piece] of pieces.entries()) {
        sse(res, 'content_block_delta', {
          type: 'content_block_delta',
          index,
          delta: { type: 'text_delta', text: piece },
        });
        if (body.model === 'slow-stream') await new Promise((r) => setTimeout(r, 50));
        if (res.destroyed) return;
        if (partial && k === 1) {
          await new Promise((r) => setTimeout(r, 20));
          if (body.model === 'stream-truncated') return void res.socket?.destroy();
          sse(res, 'error', { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
          return void res.end();
        }
      }
    } else if (block.type === 'thinking') {
      sse(res, 'content_block_start', {
        type: 'content_block_start',
        index,
        content_block: { type: 'thinking', thinking: '', signature: '' },
      });
      for (const piece of wordPieces(block.thinking)) {
        sse(res, 'content_block_delta', {
          type: 'content_block_delta',
          index,
          delta: { type: 'thinking_delta', thinking: piece },
        });
      }
      sse(res, 'content_block_delta', {
        type: 'content_block_delta',
        index,
        delta: { type: 'signature_delta', signature: block.signature },
      });
    } else if (block.type === 'tool_use') {
      sse(res, 'content_block_start', {
        type: 'content_block_start',
        index,
        content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} },
      });
      sse(res, 'content_block_delta', {
        type: 'content_block_delta',
        index,
        delta: { type: 'input_json_delta', partial_json: '' },
      });
      for (const f of jsonFragments(JSON.stringify(block.input))) {
        sse(res, 'content_block_delta', {
          type: 'content_block_delta',
          index,
          delta: { type: 'input_json_delta', partial_json: f },
        });
      }
    }
    sse(res, 'content_block_stop', { type: 'content_block_stop', index });
    if (res.destroyed) return;
  }
  sse(res, 'message_delta', {
    type: 'message_delta',
    delta: { stop_reason: a.stop_reason, stop_sequence: a.stop_sequence },
    usage: { output_tokens: a.usage.output_tokens },
  });
  sse(res, 'message_stop', { type: 'message_stop' });
  res.end();
}

export async function startAnthropicEmulator(options: { apiKey?: string } = {}): Promise<AnthropicEmulator> {
  const apiKey = options.apiKey ?? 'test-key';
  const requests: RecordedRequest[] = [];
  const aborted: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  let origin = '';
  const sendJson = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json', 'request-id': requestId() });
    res.end(JSON.stringify(body));
  };
  const batches = messageBatchesRoutes(() => origin, sendJson, sendError);

  const server = http.createServer(async (req, res) => {
    const parts: Buffer[] = [];
    for await (const c of req) parts.push(c as Buffer);
    const text = Buffer.concat(parts).toString('utf8');
    let body: any;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      return sendError(res, invalid('There was an error parsing the body of your request.'));
    }
    const rec: RecordedRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body };
    requests.push(rec);
    res.on('close', () => {
      if (!res.writableFinished) aborted.push(rec);
    });

    if (req.method === 'POST' && req.url === '/v1/messages/count_tokens') {
      if (req.headers['x-api-key'] !== apiKey) return sendError(res, ERRORS['error-401']);
      if (typeof body?.model !== 'string' || !Array.isArray(body?.messages))
        return sendError(res, invalid('messages: Field required'));
      for (const extra of ['max_tokens', 'stream', 'temperature']) {
        if (body[extra] !== undefined) return sendError(res, invalid(`${extra}: Extra inputs are not permitted`));
      }
      res.writeHead(200, { 'content-type': 'application/json', 'request-id': requestId() });
      return void res.end(JSON.stringify({ input_tokens: promptTokens(toSimRequest({ ...body, max_tokens: 1 })) }));
    }
    if (req.url?.startsWith('/v1/messages/batches')) {
      if (req.headers['x-api-key'] !== apiKey) return sendError(res, ERRORS['error-401']);
      if (!req.headers['anthropic-version']) return sendError(res, invalid('anthropic-version: header is required'));
      return void batches(req.method ?? '', req.url.split('?')[0], body, res);
    }
    if (req.method !== 'POST' || req.url !== '/v1/messages')
      return sendError(res, { status: 404, type: 'not_found_error', message: 'Not Found' });
    if (req.headers['x-api-key'] !== apiKey) return sendError(res, ERRORS['error-401']);
    if (!req.headers['anthropic-version']) return sendError(res, invalid('anthropic-version: header is required'));
    const model: string = body?.model ?? '';
    if (ERRORS[model]) return sendError(res, ERRORS[model]);
    const problem = validate(body);
    if (problem) return sendError(res, invalid(problem));
    if (model === 'slow') await new Promise((r) => setTimeout(r, 2000));
    if (res.destroyed) return;

    const a = answer(body);
    if (body.stream) return stream(res, body, a);
    res.writeHead(200, { 'content-type': 'application/json', 'request-id': requestId() });
    res.end(
      JSON.stringify({
        id: a.id,
        type: 'message',
        role: 'assistant',
        model,
        content: a.content,
        stop_reason: a.stop_reason,
        stop_sequence: a.stop_sequence,
        usage: a.usage,
      }),
    );
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;
  return {
    url: origin,
    requests,
    aborted,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
