/**
 * A fault injector, not an API emulator: a misbehaving OpenAI-compatible upstream on 127.0.0.1 for the
 * hardening tests (issue 14). The OpenAI API itself is emulated by ./openai.ts (whose `behaviour` covers the
 * ordinary routing faults: delays, error statuses, resets, hangs); this server breaks the wire format. It speaks
 * OpenAI's wire format for ordinary model ids (answers from simulateChat, streams with a usage chunk
 * and [DONE]) and misbehaves on purpose for these ids:
 *
 * - `big-json-<bytes>`: a 200 JSON answer of that many bytes, chunked (no Content-Length);
 * - `big-declared`: a 200 whose Content-Length says 300 MB (a few bytes are sent, then it waits);
 * - `big-event-<bytes>`: a stream whose first event is that large; `late-big-event-<bytes>`: one
 *   ordinary chunk, then an event that large;
 * - `null-body`: a 200 whose body is `null`; `data-null`: a stream with `data: null` after one chunk;
 * - `status-<n>`: answers status n (600, 999 ...) with an OpenAI error body;
 * - `nested-code`: a 400 whose error `code` is an object;
 * - `choices-nope`: a 200 with `choices: "nope"`; `stream-choices-nope`: a stream chunk likewise;
 * - `negative-usage`: an ordinary answer (or stream) whose usage counts are negative;
 * - `endless`: a stream that sends a chunk every 30 ms until the connection closes;
 * - `cut-after-<n>`: a stream that sends n chunks, then drops the connection;
 * - `hang`: never answers.
 *
 * `calls` counts every request by model id (once its body is read); `received` counts requests as
 * they arrive; `open` is the number of responses not yet finished.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { responseToChunks } from '../../core/chunks.js';
import type { ChatCompletionRequest } from '../../core/types.js';
import { simulateChat, wordPieces } from '../../plugins/providers/mock/simulate.js';

export interface HostileUpstream {
  url: string;
  calls: Map<string, number>;
  readonly received: number;
  /** Responses whose connection closed before the emulator finished writing them. */
  cut: string[];
  readonly open: number;
  close(): Promise<void>;
}

const chunkOf = (content: string, finish: string | null = null) => ({
  id: 'chatcmpl-hostile',
  object: 'chat.completion.chunk',
  created: 1_700_000_000,
  model: 'hostile',
  choices: [{ index: 0, delta: { content }, finish_reason: finish }],
});

/** Wait for the socket to drain (or close), without leaving listeners behind. */
function drained(res: http.ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

export async function startHostileUpstream(): Promise<HostileUpstream> {
  const calls = new Map<string, number>();
  const cut: string[] = [];
  const sockets = new Set<Socket>();
  let open = 0;
  let received = 0;

  const server = http.createServer(async (req, res) => {
    received++;
    if (req.method === 'GET' && req.url?.endsWith('/models')) {
      // model discovery of openai-compatible providers
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ object: 'list', data: [] }));
      return;
    }
    const parts: Buffer[] = [];
    for await (const c of req) parts.push(c as Buffer);
    const body = JSON.parse(Buffer.concat(parts).toString('utf8') || '{}') as ChatCompletionRequest &
      Record<string, unknown>;
    const model = String(body.model ?? '');
    calls.set(model, (calls.get(model) ?? 0) + 1);
    open++;
    res.on('close', () => {
      open--;
      if (!res.writableFinished) cut.push(model);
    });
    const json = (status: number, value: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    const sse = () => res.writeHead(200, { 'content-type': 'text/event-stream' });
    const send = (o: unknown) => res.write(`data: ${typeof o === 'string' ? o : JSON.stringify(o)}\n\n`);

    let m: RegExpExecArray | null;
    if ((m = /^big-json-(\d+)$/.exec(model))) {
      res.writeHead(200, { 'content-type': 'application/json' });
      const total = Number(m[1]);
      const piece = Buffer.alloc(64 * 1024, 0x20);
      res.write('{"pad":"');
      for (let sent = 0; sent < total && !res.destroyed; sent += piece.length) {
        if (!res.write(piece)) await drained(res);
      }
      if (!res.destroyed) res.end('"}');
      return;
    }
    if (model === 'big-declared') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(300 * 1024 * 1024) });
      res.write('{"pad":"');
      return; // waits until the gateway gives up on it
    }
    if ((m = /^(late-)?big-event-(\d+)$/.exec(model))) {
      sse();
      if (m[1]) send(chunkOf('first '));
      const size = Number(m[2]);
      res.write(`data: {"pad":"`);
      const piece = Buffer.alloc(64 * 1024, 0x61);
      for (let sent = 0; sent < size && !res.destroyed; sent += piece.length) {
        if (!res.write(piece)) await drained(res);
      }
      if (!res.destroyed) res.end('"}\n\ndata: [DONE]\n\n');
      return;
    }
    if (model === 'hang') return;
    if (model === 'null-body') return json(200, null);
    if ((m = /^status-(\d+)$/.exec(model))) {
      return json(Number(m[1]), {
        error: { message: `status ${m[1]} from upstream`, type: 'server_error', param: null, code: null },
      });
    }
    if (model === 'nested-code') {
      return json(400, {
        error: { message: 'Bad thing.', type: 'invalid_request_error', param: null, code: { reason: 'deep', n: 1 } },
      });
    }
    if (model === 'choices-nope' && !body.stream) {
      return json(200, { id: 'chatcmpl-x', object: 'chat.completion', created: 1, model, choices: 'nope' });
    }

    const answer = simulateChat(body as ChatCompletionRequest, { created: 1_700_000_000 });
    if (model === 'negative-usage')
      answer.usage = { prompt_tokens: -1000, completion_tokens: -5000, total_tokens: -6000 };
    if (!body.stream) return json(200, answer);

    sse();
    if (model === 'data-null') {
      send(chunkOf('one '));
      send('null');
      send(chunkOf('two', 'stop'));
      return void res.end('data: [DONE]\n\n');
    }
    if (model === 'stream-choices-nope') {
      send({ ...chunkOf('x'), choices: 'nope' });
      return void res.end('data: [DONE]\n\n');
    }
    if ((m = /^cut-after-(\d+)$/.exec(model))) {
      for (let i = 0; i < Number(m[1]); i++) send(chunkOf(`piece${i} `));
      await new Promise((r) => setTimeout(r, 10));
      return void res.socket?.destroy();
    }
    if (model === 'endless') {
      send(chunkOf('tick '));
      const timer = setInterval(() => send(chunkOf('tick ')), 30);
      res.once('close', () => clearInterval(timer));
      return;
    }
    const chunks = responseToChunks(answer, wordPieces).filter((c) => c.choices.length > 0);
    for (const c of chunks) send(c);
    if ((body.stream_options as { include_usage?: boolean } | undefined)?.include_usage) {
      send({ ...chunks[0], choices: [], usage: answer.usage });
    }
    res.end('data: [DONE]\n\n');
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    calls,
    cut,
    get received() {
      return received;
    },
    get open() {
      return open;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
