/**
 * The emulated OpenAI-compatible upstream (its own process). Chat completions get a fixed small JSON
 * answer; `stream: true` gets an SSE stream of N content chunks with a configurable delay between
 * them, a usage chunk when stream_options.include_usage is set, and [DONE].
 *
 *   node --import tsx bench/upstream.ts --port=PORT [--chunks=20] [--chunk-delay=2]
 */
import http from 'node:http';
import { argValue, HOST } from './common.js';

const argv = process.argv.slice(2);
const port = Number(argValue(argv, 'port') ?? 0);
const chunks = Number(argValue(argv, 'chunks') ?? 20);
const chunkDelayMs = Number(argValue(argv, 'chunk-delay') ?? 2);

const USAGE = { prompt_tokens: 12, completion_tokens: 9, total_tokens: 21 };
const CREATED = 1_700_000_000;

function answer(model: string): string {
  return JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion',
    created: CREATED,
    model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: 'The gateway routes every request fast.' },
        finish_reason: 'stop',
        logprobs: null,
      },
    ],
    usage: USAGE,
  });
}

function chunk(model: string, delta: Record<string, unknown>, finish: string | null): string {
  return `data: ${JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion.chunk',
    created: CREATED,
    model,
    choices: [{ index: 0, delta, finish_reason: finish }],
  })}\n\n`;
}

function stream(res: http.ServerResponse, model: string, usage: boolean): void {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  let i = 0;
  const next = () => {
    if (res.destroyed) return;
    if (i === 0) res.write(chunk(model, { role: 'assistant', content: 'word0 ' }, null));
    else if (i < chunks) res.write(chunk(model, { content: `word${i} ` }, i === chunks - 1 ? 'stop' : null));
    i++;
    if (i < chunks) {
      setTimeout(next, chunkDelayMs);
      return;
    }
    if (usage)
      res.write(
        `data: ${JSON.stringify({
          id: 'chatcmpl-bench',
          object: 'chat.completion.chunk',
          created: CREATED,
          model,
          choices: [],
          usage: USAGE,
        })}\n\n`,
      );
    res.end('data: [DONE]\n\n');
  };
  next();
}

const server = http.createServer((req, res) => {
  if (req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      req.url === '/v1/models'
        ? '{"object":"list","data":[{"id":"bench-model","object":"model","created":0,"owned_by":"bench"}]}'
        : '{"status":"ok"}',
    );
    return;
  }
  const parts: Buffer[] = [];
  req.on('data', (c: Buffer) => parts.push(c));
  req.on('end', () => {
    let body: { model?: string; stream?: boolean; stream_options?: { include_usage?: boolean } };
    try {
      body = JSON.parse(Buffer.concat(parts).toString('utf8'));
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end('{"error":{"message":"bad json","type":"invalid_request_error"}}');
      return;
    }
    const model = body.model ?? 'bench-model';
    if (body.stream) {
      stream(res, model, body.stream_options?.include_usage === true);
      return;
    }
    const text = answer(model);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(port, HOST);
process.on('SIGTERM', () => process.exit(0));
