/**
 * The streaming pass-through (the benchmark's old floor, kept for reference): it streams the request
 * body upstream (chunked, no Content-Length) through undici's global-style Agent, flushes the
 * response headers on their own and pipes the answer back. Each of those costs a write or a stream
 * turn, so it reaches only a fraction of the upstream's rate and is a weak floor; bench/floor.ts
 * (whole body, Content-Length, one write back) is the floor now.
 *
 *   node --import tsx bench/streaming-passthrough.ts --port=PORT --upstream=http://127.0.0.1:UPORT
 */
import http from 'node:http';
import { pipeline } from 'node:stream/promises';
import { Agent, request } from 'undici';
import { argValue, HOST } from './common.js';

const argv = process.argv.slice(2);
const port = Number(argValue(argv, 'port') ?? 0);
const upstream = argValue(argv, 'upstream') ?? 'http://127.0.0.1:9000';
const agent = new Agent({ connections: 256, keepAliveTimeout: 30_000 });

const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host', 'upgrade', 'proxy-connection']);
const REQUEST_SKIP = new Set([...HOP, 'content-length']);

const server = http.createServer(async (req, res) => {
  try {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (!REQUEST_SKIP.has(k) && typeof v === 'string') headers[k] = v;
    const up = await request(upstream + req.url, {
      dispatcher: agent,
      method: req.method as 'POST',
      headers,
      body: req.method === 'GET' || req.method === 'HEAD' ? undefined : req,
    });
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(up.headers)) if (!HOP.has(k) && v !== undefined) out[k] = v;
    res.writeHead(up.statusCode, out);
    res.flushHeaders();
    await pipeline(up.body, res);
  } catch {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
    res.end('{"error":{"message":"upstream failed","type":"server_error"}}');
  }
});
server.keepAliveTimeout = 65_000;
server.listen(port, HOST);
process.on('SIGTERM', () => process.exit(0));
