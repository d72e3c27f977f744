/**
 * The semantic tier's modules (embedders, WordNet, the vector index, the journal, the verifier) load only
 * when a config turns the tier on: a gateway with the exact tier alone neither loads nor keeps them
 * (plugins/cache/semantic-parts.ts). Each case runs in a fresh process that records every module URL the
 * loader resolves, then starts a gateway with that cache config and answers one request through it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

// A loader hook that posts each loaded URL back to the main thread; then the gateway, one chat, the list.
const CHILD = `
import { register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';
const { port1, port2 } = new MessageChannel();
const loaded = new Set();
let flushed;
port1.on('message', (u) => (typeof u === 'string' ? loaded.add(u) : flushed()));
// The hook answers 'flush' after every URL it posted (one port keeps order): no wait on time.
const hook = 'let port; export function initialize(d) { port = d.port;' +
  " port.on('message', () => port.postMessage({ flushed: true })); port.unref(); }" +
  ' export async function load(url, context, next) { port.postMessage(url); return next(url, context); }';
register('data:text/javascript,' + encodeURIComponent(hook), { data: { port: port2 }, transferList: [port2] });
const { createGateway, mock } = await import('./index.ts');
const cache = JSON.parse(process.env.CACHE_CONFIG);
const gw = await createGateway({ providers: [mock()], cache, logging: { level: 'silent' } });
const { url } = await gw.listen({ port: 0, host: '127.0.0.1' });
const res = await fetch(url + '/v1/chat/completions', {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ model: 'mock-small', messages: [{ role: 'user', content: 'hello there' }] }),
});
await res.arrayBuffer();
await gw.close();
await new Promise((r) => { flushed = r; port1.postMessage('flush'); });
port1.close();
const cacheModules = [...loaded].filter((u) => u.includes('/plugins/cache/'));
process.stdout.write(JSON.stringify({ status: res.status, loaded: cacheModules }));
`;

function run(cache: object): Promise<{ status: number; loaded: string[] }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', CHILD],
      { cwd: ROOT, env: { ...process.env, CACHE_CONFIG: JSON.stringify(cache) }, timeout: 60_000 },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`${err.message}\n${stderr}`));
        resolve(JSON.parse(stdout));
      },
    );
  });
}

const SEMANTIC = ['semantic-parts', 'semantic.ts', 'vector-index', 'journal', 'verifier', 'lexicon/', 'embedders/'];
const names = (urls: string[]) => urls.map((u) => u.slice(u.indexOf('/plugins/cache/') + '/plugins/cache/'.length));

test('the exact tier alone loads none of the semantic tier modules', async () => {
  const r = await run({});
  assert.equal(r.status, 200);
  const loaded = names(r.loaded);
  assert.ok(loaded.includes('index.ts') && loaded.includes('keys.ts'), loaded.join(', '));
  for (const part of SEMANTIC) assert.ok(!loaded.some((n) => n.includes(part)), `${part} loaded: ${loaded.join(', ')}`);
});

test('the semantic tier loads its modules when configured', async () => {
  const r = await run({ semantic: { embedder: 'ngram' } });
  assert.equal(r.status, 200);
  const loaded = names(r.loaded);
  for (const part of ['semantic-parts', 'semantic.ts', 'vector-index', 'embedders/ngram'])
    assert.ok(
      loaded.some((n) => n.includes(part)),
      `${part} not loaded: ${loaded.join(', ')}`,
    );
});
