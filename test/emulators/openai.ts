/**
 * An emulated OpenAI API on 127.0.0.1 reproducing the documented wire format: JSON answers, SSE
 * streams (`data: {...}` events, usage chunk when stream_options.include_usage, `data: [DONE]`),
 * error bodies `{ error: { message, type, param, code } }` with their statuses and headers.
 *
 * Behaviour by requested model id: normal ids answer (content from simulateChat); 'error-<status>'
 * answers that error ('overloaded' a 503, 'context-too-long' OpenAI's context_length_exceeded 400);
 * 'stream-error-midway' sends two chunks then an error event; 'stream-truncated'
 * sends two chunks then drops the connection; 'slow' waits 2 s; 'hang' never answers.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { responseToChunks } from '../../core/chunks.js';
import type { ChatCompletionRequest } from '../../core/types.js';
import { simulateChat, simulateEmbedding, wordPieces } from '../../plugins/providers/mock/simulate.js';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: any;
}

export interface OpenAIEmulator {
  url: string;
  requests: RecordedRequest[];
  /** Requests whose connection closed before the emulator finished answering. */
  aborted: RecordedRequest[];
  close(): Promise<void>;
}

const ERRORS: Record<number, { type: string; code: string | null; message: string }> = {
  400: { type: 'invalid_request_error', code: null, message: "Invalid value for 'temperature'." },
  401: { type: 'invalid_request_error', code: 'invalid_api_key', message: 'Incorrect API key provided: sk-****.' },
  403: { type: 'invalid_request_error', code: 'unsupported_country_region_territory', message: 'Country, region, or territory not supported' },
  404: { type: 'invalid_request_error', code: 'model_not_found', message: 'The model `error-404` does not exist or you do not have access to it.' },
  429: { type: 'requests', code: 'rate_limit_exceeded', message: 'Rate limit reached for requests. Please try again in 1s.' },
  500: { type: 'server_error', code: null, message: 'The server had an error while processing your request. Sorry about that!' },
  503: { type: 'server_error', code: null, message: 'The engine is currently overloaded, please try again later.' },
};

function sendError(res: http.ServerResponse, status: number): void {
  const e = ERRORS[status] ?? { type: 'server_error', code: null, message: `Error ${status}` };
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-request-id': `req_${status}` };
  if (status === 429) {
    headers['retry-after'] = '1';
    headers['x-ratelimit-remaining-requests'] = '0';
  }
  res.writeHead(status, headers);
  res.end(JSON.stringify({ error: { message: e.message, type: e.type, param: null, code: e.code } }));
}

export async function startOpenAIEmulator(options: { apiKey?: string } = {}): Promise<OpenAIEmulator> {
  const apiKey = options.apiKey ?? 'test-key';
  const requests: RecordedRequest[] = [];
  const aborted: RecordedRequest[] = [];
  const sockets = new Set<import('node:net').Socket>();

  const server = http.createServer(async (req, res) => {
    const parts: Buffer[] = [];
    for await (const c of req) parts.push(c as Buffer);
    const text = Buffer.concat(parts).toString('utf8');
    const rec: RecordedRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: text ? JSON.parse(text) : undefined };
    requests.push(rec);
    res.on('close', () => { if (!res.writableFinished) aborted.push(rec); });

    if (req.headers.authorization !== `Bearer ${apiKey}`) return sendError(res, 401);
    const body = rec.body ?? {};
    const model: string = body.model ?? '';
    const m = /^error-(\d{3})$/.exec(model);
    if (m) return sendError(res, Number(m[1]));
    if (model === 'overloaded') return sendError(res, 503);
    if (model === 'context-too-long') {
      res.writeHead(400, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ error: {
        message: "This model's maximum context length is 128000 tokens. However, your messages resulted in 130512 tokens. Please reduce the length of the messages.",
        type: 'invalid_request_error', param: 'messages', code: 'context_length_exceeded',
      } }));
    }
    if (model === 'hang') return; // never answers
    if (model === 'slow') await new Promise((r) => setTimeout(r, 2000));
    if (res.destroyed) return;

    if (req.url === '/v1/embeddings') {
      const inputs: string[] = typeof body.input === 'string' ? [body.input] : body.input;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({
        object: 'list',
        data: inputs.map((t, index) => ({ object: 'embedding', index, embedding: simulateEmbedding(t, body.dimensions ?? 8) })),
        model,
        usage: { prompt_tokens: inputs.length * 3, total_tokens: inputs.length * 3 },
      }));
      return;
    }
    if (req.url !== '/v1/chat/completions') {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `Invalid URL (POST ${req.url})`, type: 'invalid_request_error', param: null, code: null } }));
      return;
    }
    const answer = simulateChat(body as ChatCompletionRequest, { created: 1_700_000_000 });
    if (!body.stream) {
      res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': 'req_ok' });
      res.end(JSON.stringify(answer));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const chunks = responseToChunks(answer, wordPieces).filter((c) => c.choices.length > 0);
    const send = (o: unknown) => res.write(`data: ${JSON.stringify(o)}\n\n`);
    if (model === 'stream-error-midway' || model === 'stream-truncated') {
      send(chunks[0]);
      send(chunks[1]);
      await new Promise((r) => setTimeout(r, 20));
      if (model === 'stream-truncated') return void res.socket?.destroy();
      send({ error: { message: 'The server had an error while processing your request.', type: 'server_error', param: null, code: null } });
      return void res.end();
    }
    for (const c of chunks) {
      send(body.stream_options?.include_usage ? { ...c, usage: null } : c);
      if (body.model === 'slow-stream') await new Promise((r) => setTimeout(r, 50));
      if (res.destroyed) return;
    }
    if (body.stream_options?.include_usage) send({ ...chunks[0], choices: [], usage: answer.usage });
    res.end('data: [DONE]\n\n');
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    aborted,
    close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}
