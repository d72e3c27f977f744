/**
 * The floor: the cheapest honest Node pass-through of a JSON API, in its own process. A gateway that
 * parses JSON must hold the whole request body anyway, so this one does too: it reads the body,
 * forwards it upstream with a Content-Length over one keep-alive undici Pool, reads the whole answer
 * and writes it back in one write (status line, headers and body together). A streamed answer
 * (text/event-stream) is relayed chunk by chunk as it arrives. Nothing is parsed or validated.
 *
 * Anything Switchyard spends above this is the gateway's own cost.
 *
 * With --json it is the JSON floor, a reference beside the floor (not a replacement for it): the least
 * a gateway that reads JSON does. It parses the request body, refuses one without a string `model`
 * (400), serialises the parsed body again for the upstream (a gateway that may change the request
 * cannot relay the client's bytes: bench/profile-notes.md, fourteenth round), and parses a buffered
 * answer to read its `usage`. Streamed answers are relayed as the floor relays them. What Switchyard
 * spends above the JSON floor is what its gateway features cost; what the JSON floor spends above the
 * floor, any JSON-reading gateway pays.
 *
 *   node --import tsx bench/floor.ts --port=PORT --upstream=http://127.0.0.1:UPORT [--json]
 */
import http from 'node:http';
import { Pool } from 'undici';
import { argValue, HOST } from './common.js';

const argv = process.argv.slice(2);
const port = Number(argValue(argv, 'port') ?? 0);
const upstream = argValue(argv, 'upstream') ?? 'http://127.0.0.1:9000';
const json = argValue(argv, 'json') !== undefined;
/** Tokens read from answers' usage (--json), so the parse cannot be skipped as dead code. */
let tokens = 0;
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

function usageTokens(answer: Buffer): number {
  try {
    const total = (JSON.parse(answer.toString()) as { usage?: { total_tokens?: unknown } }).usage?.total_tokens;
    return typeof total === 'number' ? total : 0;
  } catch {
    return 0;
  }
}

/** --json: the body parsed, checked for a string model, and serialised again; undefined when refused. */
function reserialised(body: Buffer): Buffer | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString());
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || typeof (parsed as { model?: unknown }).model !== 'string') {
    return undefined;
  }
  return Buffer.from(JSON.stringify(parsed));
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
  if (json) tokens += usageTokens(answer);
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
    const raw = parts.length === 1 ? parts[0] : Buffer.concat(parts, length);
    const body = json && raw.length ? reserialised(raw) : raw;
    if (!body) {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end('{"error":{"message":"the body is not JSON with a string model","type":"invalid_request_error"}}');
      return;
    }
    forward(req, res, body).catch(() => fail(res));
  });
  req.on('error', () => fail(res));
});
server.keepAliveTimeout = 65_000;
server.listen(port, HOST);
process.on('SIGTERM', () => process.exit(tokens < 0 ? 1 : 0));
