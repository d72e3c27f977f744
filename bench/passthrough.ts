/**
 * A minimal undici pass-through proxy (its own process): the floor for any Node gateway. It forwards
 * method, path, headers and body to the upstream over a keep-alive pool and streams the answer back,
 * without parsing anything.
 *
 *   node --import tsx bench/passthrough.ts --port=PORT --upstream=http://127.0.0.1:UPORT
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
