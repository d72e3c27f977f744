/**
 * An emulated Cohere API (v2) on 127.0.0.1, reproducing its documented wire format:
 *
 * - POST /v2/chat with `Authorization: Bearer <key>`; a wrong key answers 401 `{id, message:
 *   "invalid api token"}`. JSON answer: {id, message: {role: assistant, content: [{type: text,
 *   text}], tool_plan, tool_calls: [{id, type: function, function: {name, arguments}}]},
 *   finish_reason: COMPLETE | MAX_TOKENS | STOP_SEQUENCE | TOOL_CALL, usage: {billed_units:
 *   {input_tokens, output_tokens}, tokens: {input_tokens, output_tokens}}}.
 * - stream: true answers SSE `event: <type>\ndata: {"type": <type>, ...}` events in Cohere's order:
 *   message-start, content-start, content-delta..., content-end, or tool-plan-delta...,
 *   tool-call-start, tool-call-delta..., tool-call-end per call; message-end with finish_reason
 *   and usage.
 * - POST /v2/embed {model, texts, input_type, embedding_types} -> {id, embeddings: {float: [...]},
 *   texts, meta: {api_version, billed_units: {input_tokens}}, response_type: embeddings_by_type}.
 * - POST /v2/rerank {model, query, documents (strings), top_n?, max_tokens_per_doc?} -> {id, results: [{index,
 *   relevance_score}], meta: {api_version: {version: '2'}, billed_units: {search_units}}}; a search unit is up to
 *   100 documents, a document longer than 500 tokens with the query counting as several. Other fields: 400.
 * - Errors are `{id, message}` with Cohere's statuses (400, 401, 402, 404, 422, 429 with
 *   retry-after, 498, 499, 500, 503); every answer has an x-debug-trace-id header.
 *
 * Behaviour by model id: normal ids answer (content from simulateChat, tool calls when tools are
 * given); 'error-<status>', 'overloaded' (503), 'context-too-long' (400 too many tokens),
 * 'stream-error-midway' (message-end with finish_reason ERROR and an error text),
 * 'stream-truncated' (socket destroyed mid-stream), 'slow' (2 s), 'slow-stream' (50 ms between deltas).
 */
import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChatCompletionRequest, ChatMessage } from '../../core/types.js';
import { countTokens, simulateChat, simulateEmbedding, wordPieces } from '../../plugins/providers/mock/simulate.js';
import { rankDocuments } from './rerank.js';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: any;
}

export interface CohereEmulator {
  url: string;
  requests: RecordedRequest[];
  /** Requests whose connection closed before the emulator finished answering. */
  aborted: RecordedRequest[];
  close(): Promise<void>;
}

/** Tokens Cohere adds for its own system preamble (in usage.tokens, not billed). */
export const COHERE_PREAMBLE_TOKENS = 150;

const ERRORS: Record<string, { status: number; message: string; headers?: Record<string, string> }> = {
  'error-400': { status: 400, message: "invalid request: 'temperature' must be between 0 and 5" },
  'error-401': { status: 401, message: 'invalid api token' },
  'error-402': { status: 402, message: 'Please add a payment method to your account to continue using the API.' },
  'error-403': { status: 403, message: 'Forbidden: you do not have access to this resource.' },
  'error-404': {
    status: 404,
    message:
      "model 'error-404' not found, make sure the correct model ID was used and that you have access to the model.",
  },
  'error-422': { status: 422, message: 'invalid request: messages must not be empty' },
  'error-429': {
    status: 429,
    message: 'You are past the per minute request limit, please wait and try again later.',
    headers: { 'retry-after': '1' },
  },
  'error-498': { status: 498, message: 'invalid api token' },
  'error-499': { status: 499, message: 'request cancelled by the client' },
  'error-500': { status: 500, message: 'internal server error, this has been reported to our developers. id 7f0e3c2a' },
  'error-503': { status: 503, message: 'service unavailable, please try again later' },
  overloaded: { status: 503, message: 'The model is overloaded, please try again later.' },
  'context-too-long': {
    status: 400,
    message:
      'too many tokens: total number of tokens in the prompt cannot exceed 128000 - received 131072. ' +
      'Try using a shorter prompt, or enabling prompt truncating. ' +
      'See https://docs.cohere.com/reference/chat for more info.',
  },
};

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'content-type': 'application/json',
    'x-debug-trace-id': createHash('md5').update(String(Math.random())).digest('hex'),
    ...headers,
  });
  res.end(JSON.stringify(body));
}

const textOf = (c: unknown): string =>
  typeof c === 'string' ? c : Array.isArray(c) ? c.map((p) => (p?.type === 'text' ? p.text : '')).join(' ') : '';

/** Read a Cohere request back into the canonical shape simulateChat understands. */
function toCanonical(body: any): ChatCompletionRequest {
  const messages: ChatMessage[] = (body.messages ?? []).map((m: any) => ({
    role: m.role,
    content:
      m.role === 'user' && Array.isArray(m.content)
        ? m.content.map((p: any) =>
            p.type === 'image_url' ? { type: 'image_url', image_url: p.image_url } : { type: 'text', text: p.text },
          )
        : textOf(m.content),
    ...(m.tool_calls ? { tool_calls: m.tool_calls } : {}),
  }));
  return {
    model: body.model,
    messages,
    tools: body.tools,
    tool_choice: body.tool_choice === 'NONE' ? 'none' : body.tool_choice === 'REQUIRED' ? 'required' : undefined,
    response_format: body.response_format ? { type: 'json_object' } : undefined,
    max_tokens: body.max_tokens,
  };
}

const RERANK_FIELDS = new Set(['model', 'query', 'documents', 'top_n', 'max_tokens_per_doc', 'priority']);

function rerank(res: http.ServerResponse, id: string, body: any): void {
  const unknown = Object.keys(body).filter((k) => !RERANK_FIELDS.has(k));
  if (unknown.length) return sendJson(res, 400, { id, message: `invalid request: unknown field ${unknown[0]}` });
  const { query, documents, top_n } = body;
  if (typeof query !== 'string' || !query)
    return sendJson(res, 400, { id, message: 'invalid request: query must be a non-empty string' });
  if (!Array.isArray(documents) || !documents.length || !documents.every((d: unknown) => typeof d === 'string'))
    return sendJson(res, 400, { id, message: 'invalid request: documents must be a non-empty list of strings' });
  if (top_n !== undefined && !(Number.isInteger(top_n) && top_n > 0))
    return sendJson(res, 400, { id, message: 'invalid request: top_n must be a positive integer' });
  const q = countTokens(query);
  const chunks = documents.reduce((n: number, d: string) => n + Math.max(1, Math.ceil((q + countTokens(d)) / 500)), 0);
  sendJson(res, 200, {
    id,
    results: rankDocuments(query, documents, top_n).map((r) => ({ index: r.index, relevance_score: r.score })),
    meta: { api_version: { version: '2' }, billed_units: { search_units: Math.ceil(chunks / 100) } },
  });
}

export async function startCohereEmulator(options: { apiKey?: string } = {}): Promise<CohereEmulator> {
  const apiKey = options.apiKey ?? 'test-key';
  const requests: RecordedRequest[] = [];
  const aborted: RecordedRequest[] = [];
  const sockets = new Set<import('node:net').Socket>();

  const server = http.createServer(async (req, res) => {
    const parts: Buffer[] = [];
    for await (const c of req) parts.push(c as Buffer);
    const text = Buffer.concat(parts).toString('utf8');
    const rec: RecordedRequest = {
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      body: text ? JSON.parse(text) : undefined,
    };
    requests.push(rec);
    res.on('close', () => {
      if (!res.writableFinished) aborted.push(rec);
    });
    const id = randomUUID();

    if (req.url !== '/v2/chat' && req.url !== '/v2/embed' && req.url !== '/v2/rerank')
      return sendJson(res, 404, { id, message: `Not Found: ${req.method} ${req.url}` });
    if (req.headers.authorization !== `Bearer ${apiKey}`) {
      return sendJson(res, 401, {
        id,
        message: req.headers.authorization ? 'invalid api token' : 'no api key supplied',
      });
    }
    const body = rec.body ?? {};
    const model: string = body.model ?? '';
    const err = ERRORS[model];
    if (err) return sendJson(res, err.status, { id, message: err.message }, err.headers);
    if (model === 'slow') await new Promise((r) => setTimeout(r, 2000));
    if (res.destroyed) return;

    if (req.url === '/v2/rerank') return rerank(res, id, body);

    if (req.url === '/v2/embed') {
      if (!body.input_type)
        return sendJson(res, 400, {
          id,
          message: 'invalid request: input_type is required for embed-english-v3.0 and newer models',
        });
      if (!Array.isArray(body.embedding_types))
        return sendJson(res, 400, { id, message: 'invalid request: embedding_types is required' });
      const texts: string[] = body.texts ?? [];
      const dims = body.output_dimension ?? 8;
      return sendJson(res, 200, {
        id,
        embeddings: { float: texts.map((t) => simulateEmbedding(t, dims)) },
        texts,
        meta: {
          api_version: { version: '2' },
          billed_units: { input_tokens: texts.reduce((n, t) => n + countTokens(t), 0) },
        },
        response_type: 'embeddings_by_type',
      });
    }

    const canonical = toCanonical(body);
    const answer = simulateChat(canonical, { created: 1_700_000_000 });
    const msg = answer.choices[0].message;
    let content = typeof msg.content === 'string' ? msg.content : '';
    let finish: string = answer.choices[0].finish_reason === 'length' ? 'MAX_TOKENS' : 'COMPLETE';
    // Stop sequences end the text before the sequence.
    for (const s of body.stop_sequences ?? []) {
      const at = content.indexOf(s);
      if (at !== -1 && finish === 'COMPLETE') {
        content = content.slice(0, at);
        finish = 'STOP_SEQUENCE';
      }
    }
    const toolCalls = (msg.tool_calls ?? []).map((t, i) => ({
      id: `${t.function.name}_${createHash('sha1')
        .update(id + i)
        .digest('hex')
        .slice(0, 12)}`,
      type: 'function' as const,
      function: { name: t.function.name, arguments: t.function.arguments },
    }));
    if (toolCalls.length) finish = 'TOOL_CALL';
    const toolPlan = toolCalls.length ? `I will use ${toolCalls.map((t) => t.function.name).join(' and ')}.` : '';
    const outTokens = toolCalls.length ? answer.usage!.completion_tokens + countTokens(toolPlan) : countTokens(content);
    const usage = {
      billed_units: { input_tokens: answer.usage!.prompt_tokens, output_tokens: outTokens },
      tokens: { input_tokens: answer.usage!.prompt_tokens + COHERE_PREAMBLE_TOKENS, output_tokens: outTokens + 2 },
    };

    if (!body.stream) {
      return sendJson(res, 200, {
        id,
        message: toolCalls.length
          ? { role: 'assistant', tool_plan: toolPlan, tool_calls: toolCalls }
          : { role: 'assistant', content: [{ type: 'text', text: content }] },
        finish_reason: finish,
        usage,
      });
    }

    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      'x-debug-trace-id': id.replace(/-/g, ''),
    });
    const send = (type: string, data: Record<string, unknown>) =>
      res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
    send('message-start', {
      id,
      delta: { message: { role: 'assistant', content: [], tool_plan: '', tool_calls: [], citations: [] } },
    });
    if (toolCalls.length) {
      for (const piece of wordPieces(toolPlan)) send('tool-plan-delta', { delta: { message: { tool_plan: piece } } });
      toolCalls.forEach((t, index) => {
        send('tool-call-start', {
          index,
          delta: {
            message: { tool_calls: { id: t.id, type: 'function', function: { name: t.function.name, arguments: '' } } },
          },
        });
        const args = t.function.arguments;
        for (let i = 0; i < args.length; i += 5) {
          send('tool-call-delta', {
            index,
            delta: { message: { tool_calls: { function: { arguments: args.slice(i, i + 5) } } } },
          });
        }
        send('tool-call-end', { index });
      });
    } else {
      send('content-start', { index: 0, delta: { message: { content: { type: 'text', text: '' } } } });
      const pieces = wordPieces(content);
      for (const [i, piece] of pieces.entries()) {
        send('content-delta', { index: 0, delta: { message: { content: { text: piece } } } });
        if (model === 'slow-stream') await new Promise((r) => setTimeout(r, 50));
        if (res.destroyed) return;
        if (i === 0 && (model === 'stream-error-midway' || model === 'stream-truncated')) {
          await new Promise((r) => setTimeout(r, 20));
          if (model === 'stream-truncated') return void res.socket?.destroy();
          send('message-end', {
            delta: { error: 'internal server error while generating, please try again', finish_reason: 'ERROR', usage },
          });
          return void res.end();
        }
      }
      send('content-end', { index: 0 });
    }
    send('message-end', { delta: { finish_reason: finish, usage } });
    res.end();
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    aborted,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
