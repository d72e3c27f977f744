/**
 * The built gateway loads its CommonJS dependencies (pino, ajv, tapable, koa, @koa/router, esbuild for a
 * `.ts` config) with require, never through import: an import makes Node run its CommonJS export lexer
 * over each such module, which at start-up cost ~10 MiB of idle RSS in about half the starts
 * (core/cjs-packages.ts, bench/profile-notes.md). A fresh process runs the built package (dist/, as users
 * get it) with a loader hook that records every module the ES loader loads as CommonJS; it loads a `.ts`
 * config from a temporary project, starts a gateway from it and answers one request.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const CHILD = `
import { register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';
const { port1, port2 } = new MessageChannel();
const cjs = new Set();
let loaded = 0;
let flushed;
port1.on('message', (m) => {
  if (m === 'flushed') return flushed();
  loaded++;
  if (m.format === 'commonjs') cjs.add(m.url);
});
const hook = 'let port; export function initialize(d) { port = d.port;' +
  " port.on('message', () => port.postMessage('flushed')); port.unref(); }" +
  ' export async function load(url, context, next) { const r = await next(url, context);' +
  ' port.postMessage({ url, format: r.format }); return r; }';
register('data:text/javascript,' + encodeURIComponent(hook), { data: { port: port2 }, transferList: [port2] });
const root = process.env.GATEWAY_ROOT;
const { createGateway } = await import(root + '/dist/index.js');
const { loadConfig } = await import(root + '/dist/core/config-loader.js');
const { config } = await loadConfig(process.env.CONFIG_FILE);
const gw = await createGateway(config);
const { url } = await gw.listen({ port: 0, host: '127.0.0.1' });
const res = await fetch(url + '/v1/chat/completions', {
  method: 'POST',
  headers: { 'content-type': 'application/json', authorization: 'Bearer sk-team-0123456789abcdef' },
  body: JSON.stringify({ model: 'mock-small', messages: [{ role: 'user', content: 'hello there' }] }),
});
await res.arrayBuffer();
await gw.close();
await new Promise((r) => { flushed = r; port1.postMessage('flush'); });
port1.close();
process.stdout.write(JSON.stringify({ status: res.status, loaded, cjs: [...cjs] }));
`;

// The benchmark's production shape: virtual key with budget and RPM, SQLite ledger, exact cache, metrics.
const CONFIG = `
import { defineConfig, mock } from 'switchyard-gateway';
export default defineConfig({
  providers: [mock()],
  governance: {
    keys: [
      {
        id: 'app',
        key: 'sk-team-0123456789abcdef',
        budgets: [{ limitUsd: 100, period: 'month' }],
        limits: { requestsPerMinute: 1000 },
      },
    ],
    ledger: { path: './ledger.db' },
    metrics: true,
  },
  cache: {},
  logging: { level: 'silent' },
});
`;

test('the built gateway with a .ts config loads no CommonJS module through import', async () => {
  assert.ok(existsSync(join(ROOT, 'dist/index.js')), 'dist/ is built by npm ci (prepare)');
  const dir = mkdtempSync(join(tmpdir(), 'sy-cjs-'));
  try {
    const file = join(dir, 'switchyard.config.ts');
    writeFileSync(file, CONFIG);
    const out = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ['--input-type=module', '-e', CHILD],
        { cwd: dir, env: { ...process.env, GATEWAY_ROOT: ROOT, CONFIG_FILE: file }, timeout: 60_000 },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
      );
    });
    const r = JSON.parse(out) as { status: number; loaded: number; cjs: string[] };
    assert.equal(r.status, 200);
    assert.ok(r.loaded > 50, `the hook saw the gateway's modules (${r.loaded})`);
    assert.deepEqual(r.cjs, [], `CommonJS modules loaded through import:\n${r.cjs.join('\n')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
