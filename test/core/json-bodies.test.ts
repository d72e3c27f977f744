/**
 * Routes that answer a JSON object (health, readiness, models, admin, cache stats, errors) never make
 * Node load its bundled undici. Koa's body setter tests every object body with `instanceof Response`,
 * and the first read of the global `Response` loads Node's whole fetch implementation (a second HTTP
 * client: ~11 MiB of RSS, ~2 MiB of heap) and compiles its llhttp WebAssembly on V8 worker threads. A
 * health probe was enough. The gateway's own Koa app keeps plain objects from Koa's tests and sends
 * their JSON text (core/http/json-bodies.ts); plugin routes still use the body as an object. A fresh
 * process runs the built package and asks over node:http (fetch would load undici itself), then reports
 * whether the module was loaded.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const CHILD = `
import http from 'node:http';
const root = process.env.GATEWAY_ROOT;
const { createGateway, definePlugin, mock } = await import(root + '/dist/index.js');
// plugin routes that use the body as an object after setting it, a JSON type of their own, and next()
const probes = definePlugin({
  name: 'probes',
  apply(gateway) {
    const route = (path, handler) =>
      gateway.route({ method: 'get', path, auth: 'public', reason: 'test probe', handler });
    route('/probe/object', (kctx) => {
      kctx.body = { a: 1 };
      kctx.body.kind = typeof kctx.body;
    });
    route('/probe/problem', (kctx) => {
      kctx.status = 418;
      kctx.type = 'application/problem+json';
      kctx.body = { title: 'teapot' };
    });
    route('/probe/chain', async (kctx, _ctx, next) => {
      await next();
      kctx.body.appended = true;
    });
    route('/probe/chain', (kctx) => {
      kctx.body = [{ base: 1 }];
      kctx.body = { list: kctx.body };
    });
    route('/probe/circular', (kctx) => {
      const o = {};
      o.self = o;
      kctx.body = o;
    });
  },
});
const gw = await createGateway({
  plugins: [probes()],
  providers: [mock()],
  governance: {
    adminKey: 'sk-admin-0123456789abcdef',
    keys: [{ id: 'app', key: 'sk-team-0123456789abcdef', budgets: [{ limitUsd: 100, period: 'month' }] }],
    ledger: { path: './ledger.db' },
    metrics: true,
  },
  cache: {},
  logging: { level: 'silent' },
});
const { url } = await gw.listen({ port: 0, host: '127.0.0.1' });
const ask = (method, path, key, body) =>
  new Promise((resolve, reject) => {
    const req = http.request(url + path, {
      method,
      headers: { ...(key ? { authorization: 'Bearer ' + key } : {}), 'content-type': 'application/json' },
    });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ path, method, status: res.statusCode, type: res.headers['content-type'],
        length: res.headers['content-length'], text }));
    });
    req.on('error', reject);
    req.end(body);
  });
const team = 'sk-team-0123456789abcdef';
const admin = 'sk-admin-0123456789abcdef';
const answers = [
  await ask('GET', '/health'),
  await ask('HEAD', '/health'),
  await ask('GET', '/ready'),
  await ask('GET', '/v1/models', team),
  await ask('GET', '/v1/models/mock-small', team),
  await ask('GET', '/v1/models', 'sk-wrong-0123456789abcdef'),
  await ask('GET', '/admin/keys', admin),
  await ask('POST', '/admin/keys', admin, JSON.stringify({ id: 'runtime' })),
  await ask('GET', '/cache/stats', team),
  await ask('GET', '/probe/object'),
  await ask('GET', '/probe/problem'),
  await ask('GET', '/probe/chain'),
  await ask('GET', '/probe/circular'),
  await ask('GET', '/no/such/url'),
  await ask('POST', '/v1/chat/completions', team,
    JSON.stringify({ model: 'mock-small', messages: [{ role: 'user', content: 'hello there' }] })),
];
await gw.close();
const undici = process.moduleLoadList.filter((m) => m.includes('undici'));
process.stdout.write(JSON.stringify({ answers, undici }));
`;

interface Answer {
  path: string;
  method: string;
  status: number;
  type?: string;
  length?: string;
  text: string;
}

test("JSON object answers do not load Node's bundled undici (Koa's instanceof Response)", async () => {
  assert.ok(existsSync(join(ROOT, 'dist/index.js')), 'dist/ is built by npm ci (prepare)');
  const dir = mkdtempSync(join(tmpdir(), 'sy-json-bodies-'));
  try {
    const out = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ['--input-type=module', '-e', CHILD],
        { cwd: dir, env: { ...process.env, GATEWAY_ROOT: ROOT }, timeout: 60_000 },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
      );
    });
    const r = JSON.parse(out) as { answers: Answer[]; undici: string[] };
    const by = (method: string, path: string, key = '') =>
      r.answers.filter((a) => a.method === method && a.path === path)[key === 'wrong' ? 1 : 0]!;
    // the answers are what they were: JSON with its type and exact length
    const health = by('GET', '/health');
    assert.equal(health.status, 200);
    assert.match(health.type ?? '', /^application\/json/);
    assert.deepEqual(JSON.parse(health.text), { status: 'ok' });
    assert.equal(Number(health.length), Buffer.byteLength(health.text));
    const head = by('HEAD', '/health');
    assert.equal(head.status, 200);
    assert.equal(head.text, '');
    assert.equal(head.length, health.length);
    assert.equal(JSON.parse(by('GET', '/ready').text).providers[0], 'mock');
    const models = r.answers.filter((a) => a.path === '/v1/models');
    assert.equal(models[0]!.status, 200);
    assert.equal(JSON.parse(models[0]!.text).object, 'list');
    assert.equal(models[1]!.status, 401);
    assert.match(models[1]!.type ?? '', /^application\/json/);
    assert.equal(typeof JSON.parse(models[1]!.text).error.message, 'string');
    assert.equal(JSON.parse(by('GET', '/v1/models/mock-small').text).id, 'mock-small');
    assert.equal(JSON.parse(by('GET', '/admin/keys').text).object, 'list');
    const created = by('POST', '/admin/keys');
    assert.equal(created.status, 201, created.text);
    assert.match(JSON.parse(created.text).key, /^sk-sy-/);
    assert.equal(by('GET', '/cache/stats').status, 200);
    assert.equal(by('POST', '/v1/chat/completions').status, 200);
    // plugin routes keep Koa's object semantics until the answer leaves
    const object = by('GET', '/probe/object');
    assert.deepEqual(JSON.parse(object.text), { a: 1, kind: 'object' });
    assert.match(object.type ?? '', /^application\/json/);
    const problem = by('GET', '/probe/problem');
    assert.equal(problem.status, 418);
    assert.match(problem.type ?? '', /^application\/problem\+json/);
    assert.deepEqual(JSON.parse(problem.text), { title: 'teapot' });
    assert.deepEqual(JSON.parse(by('GET', '/probe/chain').text), { list: [{ base: 1 }], appended: true });
    // a body JSON cannot represent is a 500 in OpenAI's error shape, not a dropped connection
    const circular = by('GET', '/probe/circular');
    assert.equal(circular.status, 500);
    assert.equal(JSON.parse(circular.text).error.code, 'internal_error');
    const unknown = by('GET', '/no/such/url');
    assert.equal(unknown.status, 404);
    assert.equal(JSON.parse(unknown.text).error.code, 'unknown_url');
    assert.deepEqual(r.undici, [], 'Node loaded its bundled undici');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
