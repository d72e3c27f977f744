/**
 * A controllable OpenAI-compatible upstream for routing tests: per-server behaviour that a test can
 * change at any time (delay, failure status, dropped connections, hanging), request counts, and
 * the requests whose connection the gateway closed (cancelled hedges).
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { responseToChunks } from '../../core/chunks.js';
import type { ChatCompletionRequest } from '../../core/types.js';
import { simulateChat, wordPieces } from '../../plugins/providers/mock/simulate.js';

export interface Behaviour {
  /** Delay before answering (ms); for streams, before the first chunk. */
  delayMs?: number;
  /** Answer with this error status. */
  status?: number;
  /** Error message for `status`. */
  message?: string;
  code?: string | null;
  retryAfter?: string;
  /** Destroy the connection without answering. */
  reset?: boolean;
  /** Never answer. */
  hang?: boolean;
}

export interface Upstream {
  url: string;
  port: number;
  behaviour: Behaviour;
  count: number;
  bodies: any[];
  aborted: number;
  close(): Promise<void>;
}

export async function startUpstream(behaviour: Behaviour = {}, port = 0): Promise<Upstream> {
  const sockets = new Set<Socket>();
  const up: Upstream = { url: '', port: 0, behaviour, count: 0, bodies: [], aborted: 0, close: async () => undefined };
  const server = http.createServer(async (req, res) => {
    const parts: Buffer[] = [];
    for await (const c of req) parts.push(c as Buffer);
    const body = JSON.parse(Buffer.concat(parts).toString('utf8') || '{}');
    up.count++;
    up.bodies.push(body);
    res.on('close', () => { if (!res.writableFinished) up.aborted++; });
    const b = up.behaviour;
    if (b.reset) return void req.socket.destroy();
    if (b.hang) return;
    if (b.delayMs) await new Promise((r) => setTimeout(r, b.delayMs));
    if (res.destroyed) return;
    if (b.status) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (b.retryAfter) headers['retry-after'] = b.retryAfter;
      res.writeHead(b.status, headers);
      return void res.end(JSON.stringify({ error: { message: b.message ?? `Error ${b.status}`, type: 'server_error', param: null, code: b.code ?? null } }));
    }
    const answer = simulateChat(body as ChatCompletionRequest, { created: 1_700_000_000 });
    if (!body.stream) {
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify(answer));
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    for (const c of responseToChunks(answer, wordPieces).filter((c) => c.choices.length > 0)) res.write(`data: ${JSON.stringify(c)}\n\n`);
    if (body.stream_options?.include_usage) res.write(`data: ${JSON.stringify({ id: answer.id, object: 'chat.completion.chunk', created: answer.created, model: answer.model, choices: [], usage: answer.usage })}\n\n`);
    res.end('data: [DONE]\n\n');
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  up.port = (server.address() as AddressInfo).port;
  up.url = `http://127.0.0.1:${up.port}/v1`;
  up.close = () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); });
  return up;
}

/** A port nothing listens on (connection refused). */
export async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export const user = (content: string) => [{ role: 'user' as const, content }];
