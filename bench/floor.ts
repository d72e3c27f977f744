/**
 * The floor: the cheapest honest Node pass-through of a JSON API, in its own process. A gateway that
 * parses JSON must hold the whole request body anyway, so this one does too: it reads the body,
 * forwards it upstream with a Content-Length over one keep-alive undici Pool, reads the whole answer
 * and writes it back in one write (status line, headers and body together). A streamed answer
 * (text/event-stream) is relayed chunk by chunk as it arrives. Nothing is parsed or validated.
 *
 * Anything Switchyard spends above this is the gateway's own cost.
 *
 *   node --import tsx bench/floor.ts --port=PORT --upstream=http://127.0.0.1:UPORT
 */
import http from 'node:http';
import { Pool } from 'undici';
import { argValue, HOST } from './common.js';

const argv = process.argv.slice(2);
const port = Number(argValue(argv, 'port') ?? 0);
const upstream = argValue(argv, 'upstream') ?? 'http://127.0.0.1:9000';
const pool = new Pool(upstream, { connections: 256, pipelining: 1, keepAliveTimeout: 30_000 });

/** Hop-by-hop headers (RFC 9110 7.6.1) and the ones the pass-through sets itself. */
const SKIP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'host',
  'upgrade',
  'proxy-connection',
  'te',
  'trailer',
  'content-length',
]);

function requestHeaders(raw: string[], length: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) if (!SKIP.has(raw[i].toLowerCase())) out.push(raw[i], raw[i + 1]);
  out.push('content-length', String(length));
  return out;
}

function responseHeaders(h: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const k in h) {
    const v = h[k];
    if (v !== undefined && !SKIP.has(k)) out[k] = v;
  }
  return out;
}

function fail(res: http.ServerResponse): void {
  if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
  res.end('{"error":{"message":"upstream failed","type":"server_error"}}');
}

async function forward(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): Promise<void> {
  const up = await pool.request({
    path: req.url ?? '/',
    method: req.method as 'POST',
    headers: requestHeaders(req.rawHeaders, body.length),
    body: body.length ? body : null,
  });
  const headers = responseHeaders(up.headers);
  const type = up.headers['content-type'];
  if (typeof type === 'string' && type.startsWith('text/event-stream')) {
    res.writeHead(up.statusCode, headers);
    for await (const chunk of up.body) res.write(chunk);
    res.end();
    return;
  }
  const parts: Buffer[] = [];
  let length = 0;
  for await (const chunk of up.body) {
    parts.push(chunk as Buffer);
    length += (chunk as Buffer).length;
  }
  const answer = parts.length === 1 ? parts[0] : Buffer.concat(parts, length);
  headers['content-length'] = String(answer.length);
  res.writeHead(up.statusCode, headers);
  res.end(answer);
}

const server = http.createServer((req, res) => {
  const parts: Buffer[] = [];
  let length = 0;
  req.on('data', (c: Buffer) => {
    parts.push(c);
    length += c.length;
  });
  req.on('end', () => {
    const body = parts.length === 1 ? parts[0] : Buffer.concat(parts, length);
    forward(req, res, body).catch(() => fail(res));
  });
  req.on('error', () => fail(res));
});
server.keepAliveTimeout = 65_000;
server.listen(port, HOST);
process.on('SIGTERM', () => process.exit(0));
