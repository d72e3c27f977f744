/**
 * Every route mounted on the gateway's router, with the built-in plugins that mount routes switched on
 * (client keys, governance's admin API, /v1/usage and /metrics, the cache's stats, failover's
 * /health/targets, the dashboard), refuses a request without credentials (401/403, or a redirect to the
 * sign-in page for dashboard pages) unless it is in the documented public list below, and every public
 * plugin route says why in `gateway.routes`.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { dashboard, mock } from '../../index.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

const KEY = 'sk-route-audit-client-1';
const ADMIN = 'route-audit-admin-key-0123456789';

/** Public on purpose (docs/architecture.md, "Routes and authentication"). */
const PUBLIC = new Set([
  'GET /health',
  'GET /ready', // liveness and readiness probes
  'GET /dashboard', // the sign-in page
  'POST /dashboard/login',
  'POST /dashboard/logout',
  'GET /dashboard/assets/:file',
]);

let t: TestGateway;

/** Valid bodies for the model endpoints, so that what refuses is authentication, not parsing. */
const messages = [{ role: 'user', content: 'hi' }];
const BODIES: Record<string, unknown> = {
  '/v1/chat/completions': { model: 'mock/m', messages },
  '/v1/embeddings': { model: 'mock/m', input: 'hi' },
  '/v1/messages': { model: 'mock/m', messages, max_tokens: 8 },
  '/v1/messages/count_tokens': { model: 'mock/m', messages },
  '/v1/responses': { model: 'mock/m', input: 'hi' },
  '/v1/completions': { model: 'mock/m', prompt: 'hi' },
  '/v1/moderations': { model: 'mock/m', input: 'hi' },
  '/v1/images/generations': { model: 'mock/m', prompt: 'a cat' },
  '/v1/audio/speech': { model: 'mock/m', input: 'hi', voice: 'alloy' },
  '/v1/rerank': { model: 'mock/m', query: 'hi', documents: ['a', 'b'] },
  '/v2/rerank': { model: 'mock/m', query: 'hi', documents: ['a', 'b'] },
};

before(async () => {
  t = await startGateway({
    providers: [mock()],
    auth: { keys: [KEY] },
    governance: { adminKey: ADMIN, ledger: { path: ':memory:' } },
    cache: { statsPath: '/cache/stats' },
    plugins: [dashboard()],
    logging: { level: 'silent' },
  } as never);
});

after(async () => {
  await t?.close();
});

interface Layer {
  path: string | RegExp;
  methods: string[];
}

function routes(): Array<{ method: string; path: string; url: string }> {
  const stack = (t.gw.router as unknown as { stack: Layer[] }).stack;
  const out: Array<{ method: string; path: string; url: string }> = [];
  for (const layer of stack) {
    const path = String(layer.path);
    const url =
      layer.path instanceof RegExp
        ? '/dashboard/api/admin/keys' // the dashboard's proxy: /dashboard/api/admin/<anything>
        : path.replace(/:[A-Za-z]+/g, 'x').replace(/\*[A-Za-z]+/g, 'mock/m');
    for (const method of layer.methods) if (method !== 'HEAD') out.push({ method, path, url });
  }
  return out;
}

test('every mounted route refuses a request without credentials, or is documented public', async () => {
  const all = routes();
  assert.ok(all.length >= 25, `found ${all.length} routes`);
  const seenPublic = new Set<string>();
  for (const r of all) {
    const id = `${r.method} ${r.path}`;
    const res = await fetch(t.url + r.url, {
      method: r.method,
      redirect: 'manual',
      ...(r.method === 'GET'
        ? {}
        : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(BODIES[r.path] ?? {}) }),
    });
    await res.arrayBuffer();
    if (PUBLIC.has(id)) {
      seenPublic.add(id);
      continue;
    }
    const refused =
      res.status === 401 || res.status === 403 || (res.status === 303 && res.headers.get('location') === '/dashboard');
    assert.ok(refused, `${id} answered ${res.status} without credentials`);
  }
  assert.deepEqual([...seenPublic].sort(), [...PUBLIC].sort(), 'every documented public route is mounted');
});

test('plugin routes are listed with their rule; public ones say why', () => {
  const listed = t.gw.routes;
  assert.ok(listed.some((r) => r.auth === 'admin' && r.path === '/admin/keys'));
  assert.ok(listed.some((r) => r.auth === 'key' && r.path === '/health/targets'));
  assert.ok(listed.some((r) => r.auth === 'key' && r.path === '/cache/stats'));
  assert.ok(listed.some((r) => r.auth === 'custom' && r.path === '/metrics'));
  // Ingress plugins (gateway.ingress) are listed too: their handlers run the pipeline's auth.
  assert.ok(listed.some((r) => r.ingress === 'anthropic' && r.auth === 'key' && r.path === '/v1/messages'));
  assert.ok(listed.some((r) => r.ingress === 'responses' && r.auth === 'key' && r.path === '/v1/responses'));
  for (const r of listed.filter((x) => x.auth === 'public')) {
    assert.ok(r.note && r.note.length > 10, `${r.methods} ${String(r.path)} has a reason`);
    for (const m of r.methods)
      assert.ok(PUBLIC.has(`${m} ${String(r.path)}`), `${m} ${String(r.path)} is in the public list`);
  }
});

test('with credentials the same routes answer', async () => {
  const auth = (key: string) => ({ headers: { authorization: `Bearer ${key}` } });
  assert.equal((await fetch(`${t.url}/health/targets`, auth(KEY))).status, 200);
  assert.equal((await fetch(`${t.url}/cache/stats`, auth(KEY))).status, 200);
  assert.equal((await fetch(`${t.url}/v1/usage`, auth(KEY))).status, 200);
  assert.equal((await fetch(`${t.url}/admin/keys`, auth(ADMIN))).status, 200);
  assert.equal((await fetch(`${t.url}/metrics`, auth(ADMIN))).status, 200);
  assert.equal((await fetch(`${t.url}/admin/keys`, auth(KEY))).status, 401, 'a client key is not the admin key');
});
