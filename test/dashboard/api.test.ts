/**
 * The dashboard's server side over HTTP, without a browser: the admin routes it adds (admin key
 * required, same numbers as /admin/usage), sign-in and its cookie (Secure over HTTPS, the prefix as
 * path), CSRF, the admin proxy's bounds, the status page's public/private switch, sessions and CSV.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Agent, request } from 'undici';
import { dashboard, openai } from '../../index.js';
import { ASSETS, buildBundle, packageRoot } from '../../plugins/dashboard/build.js';
import { parseCsv } from '../../plugins/dashboard/csv.js';
import { Sessions } from '../../plugins/dashboard/sessions.js';
import { startOpenAIEmulator } from '../emulators/openai.js';
import { statusOf } from '../governance/helpers.js';
import { startGateway } from '../helpers/gateway.js';
import { ADMIN_KEY, BATCH_KEY, startDashEnv, WEB_KEY, type DashEnv } from './env.js';

let env: DashEnv;

before(async () => {
  env = await startDashEnv();
  const ask = (key: string, content: string, model = 'gpt-4o-mini') =>
    env.client(key).chat.completions.create({ model, messages: [{ role: 'user', content }], max_tokens: 16 });
  await ask(WEB_KEY, 'echo: one');
  await ask(WEB_KEY, 'echo: two');
  await ask(BATCH_KEY, 'echo: three', 'gpt-4.1-mini');
  await statusOf(ask(BATCH_KEY, 'x', 'openai/error-503'));
  for (let i = 0; i < 100 && (await env.admin('/admin/usage')).totals.requests < 4; i++)
    await new Promise((r) => setTimeout(r, 50));
});
after(() => env?.close()); // env is unset when setup failed: report that failure, not a TypeError

async function signIn(base: string, init: { dispatcher?: Agent } = {}) {
  const res = await request(`${base}/dashboard/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `key=${encodeURIComponent(ADMIN_KEY)}`,
    ...init,
  });
  await res.body.text();
  const setCookie = String(res.headers['set-cookie'] ?? '');
  const cookie = setCookie.split(';')[0];
  const page = await (await request(`${base}/dashboard`, { headers: { cookie }, ...init })).body.text();
  const csrf = /data-csrf="([^"]+)"/.exec(page)?.[1] ?? '';
  return { status: res.statusCode, location: res.headers.location, setCookie, cookie, csrf, page };
}

test('the added admin routes need the admin key and agree with /admin/usage', async () => {
  for (const path of [
    '/admin/timeseries',
    '/admin/errors',
    '/admin/targets',
    '/admin/budget-status',
    '/admin/status',
  ]) {
    assert.equal((await fetch(`${env.url}${path}`)).status, 401, `${path} without a key`);
    assert.equal(
      (await fetch(`${env.url}${path}`, { headers: { authorization: `Bearer ${WEB_KEY}` } })).status,
      401,
      `${path} with a client key`,
    );
    assert.equal(
      (await fetch(`${env.url}${path}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })).status,
      200,
      path,
    );
  }
  const usage = await env.admin('/admin/usage?project=batch');
  const ts = await env.admin('/admin/timeseries?project=batch&buckets=10');
  assert.equal(ts.buckets.length, 10);
  assert.equal(ts.totals.requests, usage.totals.requests);
  assert.equal(ts.totals.errors, usage.totals.errors);
  assert.ok(Math.abs(ts.totals.costUsd - usage.totals.costUsd) < 1e-12);
  assert.equal(
    ts.buckets.reduce((s: number, b: any) => s + b.requests, 0),
    2,
  );
  const errors = await env.admin('/admin/errors');
  assert.equal(errors.data.length, 1);
  assert.deepEqual(
    { ...errors.data[0], time: undefined, requestId: undefined, latencyMs: undefined },
    {
      time: undefined,
      requestId: undefined,
      latencyMs: undefined,
      key: 'batch-job',
      project: 'batch',
      model: 'error-503',
      requestedModel: 'openai/error-503',
      provider: 'openai',
      status: 503,
      errorClass: 'upstream_server_error',
      attempts: 1,
      stream: false,
    },
  );
  const budgets = await env.admin('/admin/budget-status');
  const key = budgets.data.find((b: any) => b.scope === 'key');
  assert.deepEqual(key.alertAt, [25, 50, 90]);
  assert.ok(key.percentUsed > 0);
  const status = await env.admin('/admin/status');
  const p = status.providers.find((x: any) => x.provider === 'openai');
  assert.equal(p.last24h.requests, 4);
  assert.equal(p.last24h.availability, 75);
  assert.equal(p.hourly.length, 24);
  assert.equal(p.daily.length, 7);
  const targets = await env.admin('/admin/targets');
  assert.equal(targets.data.find((t: any) => t.target === 'openai/error-503').consecutiveFailures, 1);
  assert.equal(
    (await fetch(`${env.url}/admin/timeseries?buckets=0`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } }))
      .status,
    400,
  );
});

test("budget-status carries each key's name (config and runtime keys); other scopes keep their id", async () => {
  const created = await fetch(`${env.url}/admin/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Nightly reports', budgets: [{ limitUsd: 2, period: 'week' }] }),
  });
  assert.equal(created.status, 201);
  const { id } = await created.json();
  const budgets = (await env.admin('/admin/budget-status')).data as any[];
  const of = (scope: string, bid: string) => budgets.find((b) => b.scope === scope && b.id === bid);
  assert.equal(of('key', 'web-app').name, 'Web storefront', 'a config key');
  assert.equal(of('key', id).name, 'Nightly reports', 'a runtime key');
  assert.equal(of('key', id).period, 'week');
  assert.ok(!('name' in of('project', 'web')), 'projects have no display name: the id is it');
  assert.ok(!('name' in of('global', 'global')));
  const unnamed = await fetch(`${env.url}/admin/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: '', budgets: [{ limitUsd: 1 }] }),
  });
  assert.equal(unnamed.status, 201);
  const u = await unnamed.json();
  const row = ((await env.admin('/admin/budget-status')).data as any[]).find((b) => b.id === u.id);
  assert.ok(!('name' in row), 'an empty name is no name');
});

test('sign-in: wrong key refused, cookie attributes, CSRF, proxy bounds, sign-out', async () => {
  const wrong = await request(`${env.url}/dashboard/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'key=nope',
  });
  assert.equal(wrong.statusCode, 200, 'the form again, with the error');
  assert.equal(wrong.headers['x-switchyard-login'], 'failed');
  assert.equal(wrong.headers['set-cookie'], undefined);
  assert.match(await wrong.body.text(), /not the admin key/);

  const s = await signIn(env.url);
  assert.equal(s.status, 303);
  assert.equal(s.location, '/dashboard');
  assert.match(s.setCookie, /^sy_dash=[A-Za-z0-9_-]{43}; path=\/dashboard; expires=[^;]+; samesite=strict; httponly$/);
  assert.ok(!s.setCookie.includes(ADMIN_KEY) && !s.page.includes(ADMIN_KEY));
  assert.ok(s.csrf.length > 20);

  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${env.url}${path}`, { headers: { cookie: s.cookie, ...headers } });
  const keys = await get('/dashboard/api/admin/keys');
  assert.equal(keys.status, 200);
  assert.equal(keys.headers.get('cache-control'), 'no-store');
  assert.match(keys.headers.get('content-security-policy') ?? '', /default-src 'none'/);
  assert.equal((await get('/dashboard/api/admin/nope')).status, 404);
  assert.equal((await get('/dashboard/api/admin/../v1/models')).status, 404);

  const post = (headers: Record<string, string>) =>
    fetch(`${env.url}/dashboard/api/admin/keys`, {
      method: 'POST',
      headers: { cookie: s.cookie, 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ name: 'via proxy' }),
    });
  assert.equal((await post({})).status, 403, 'no CSRF token');
  assert.equal((await post({ 'x-csrf-token': 'wrong' })).status, 403);
  const created = await post({ 'x-csrf-token': s.csrf });
  assert.equal(created.status, 201);
  const body = await created.json();
  assert.match(body.key, /^sk-sy-/);
  const ok = await env
    .client(body.key)
    .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'echo: hi' }] });
  assert.equal(ok.choices[0].message.content, 'hi');

  const out = await fetch(`${env.url}/dashboard/logout`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: `csrf=${encodeURIComponent(s.csrf)}`,
  });
  assert.equal(out.status, 303);
  assert.match(out.headers.get('set-cookie') ?? '', /sy_dash=;/);
  assert.equal((await get('/dashboard/api/admin/keys')).status, 401);
});

test('the status page is behind the login by default', async () => {
  const page = await fetch(`${env.url}/dashboard/status`, { redirect: 'manual' });
  assert.equal(page.status, 303, 'to the sign-in form');
  assert.equal(page.headers.get('location'), '/dashboard');
  assert.equal((await fetch(`${env.url}/dashboard/api/status`)).status, 401);
  assert.equal((await fetch(`${env.url}/dashboard/assets/app.js`)).status, 200, 'assets are public (no data in them)');
  assert.equal((await fetch(`${env.url}/dashboard/assets/secret.txt`)).status, 404);
});

test('publicStatus, a path prefix, and HTTPS (Secure cookie)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sy-dash-tls-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  const cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
  const emu = await startOpenAIEmulator();
  const t = await startGateway({
    server: { prefix: '/ai', tls: { cert, key: readFileSync(join(dir, 'key.pem'), 'utf8') } },
    providers: [openai({ apiKey: 'test-key', baseURL: emu.url })],
    governance: { adminKey: ADMIN_KEY, ledger: { path: ':memory:' } },
    plugins: [dashboard({ publicStatus: true, title: 'Acme AI' })],
  });
  const dispatcher = new Agent({ connect: { ca: cert } });
  try {
    const status = await request(`${t.url}/dashboard/status`, { dispatcher });
    assert.equal(status.statusCode, 200);
    assert.match(await status.body.text(), /Acme AI status/);
    const data = await request(`${t.url}/dashboard/api/status`, { dispatcher });
    assert.equal(data.statusCode, 200);
    assert.equal(((await data.body.json()) as any).object, 'status');
    const s = await signIn(t.url, { dispatcher });
    assert.equal(s.location, '/ai/dashboard');
    assert.match(s.setCookie, /path=\/ai\/dashboard;.*secure; httponly$/);
    const keys = await request(`${t.url}/dashboard/api/admin/keys`, { dispatcher, headers: { cookie: s.cookie } });
    assert.equal(keys.statusCode, 200);
    assert.equal(((await keys.body.json()) as any).object, 'list');
  } finally {
    await dispatcher.close();
    await t.close();
    await emu.close();
  }
});

test('secureCookie: true marks the cookie Secure behind a TLS-terminating proxy (plain HTTP here)', async () => {
  const t = await startGateway({
    providers: [openai({ apiKey: 'k', baseURL: 'http://127.0.0.1:9' })],
    governance: { adminKey: ADMIN_KEY, ledger: { path: ':memory:' } },
    plugins: [dashboard({ secureCookie: true })],
  });
  try {
    const s = await signIn(t.url);
    assert.equal(s.status, 303);
    assert.match(s.setCookie, /; secure; httponly$/);
  } finally {
    await t.close();
  }
});

test('without an admin key the dashboard says so and lets nobody in', async () => {
  const saved = process.env.SWITCHYARD_ADMIN_KEY;
  delete process.env.SWITCHYARD_ADMIN_KEY;
  const t = await startGateway({
    providers: [openai({ apiKey: 'k', baseURL: 'http://127.0.0.1:9' })],
    governance: { ledger: { path: ':memory:' } },
    plugins: [dashboard()],
  });
  try {
    assert.match(await (await fetch(`${t.url}/dashboard`)).text(), /admin key is not configured/);
    const res = await fetch(`${t.url}/dashboard/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'key=anything-at-all',
    });
    assert.equal(res.status, 403);
    assert.equal(
      (await fetch(`${t.url}/admin/timeseries`, { headers: { authorization: 'Bearer anything-at-all' } })).status,
      403,
    );
    assert.equal(
      (await fetch(`${t.url}/admin/usage`, { headers: { authorization: 'Bearer anything-at-all' } })).status,
      403,
    );
  } finally {
    if (saved !== undefined) process.env.SWITCHYARD_ADMIN_KEY = saved;
    await t.close();
  }
});

test('sessions expire; ids are random; the CSV parser reads quoted and guarded cells', () => {
  const s = new Sessions(1000);
  const a = s.create(0);
  assert.notEqual(a.id, s.create(0).id);
  assert.equal(s.get(a.id, 999)?.id, a.id);
  assert.equal(s.get(a.id, 1000), undefined);
  assert.equal(s.get(undefined), undefined);
  assert.deepEqual(parseCsv('a,b,c\n"x,1","say ""hi""",\'=cmd\n'), [
    ['a', 'b', 'c'],
    ['x,1', 'say "hi"', "'=cmd"],
  ]);
});

test(
  'the bundle builds in memory (the boot fallback): ' +
    'scripts and styles, uPlot inside, nothing fetched from elsewhere',
  async () => {
    const files = await buildBundle(packageRoot(), false);
    assert.deepEqual([...files.keys()].sort(), [...ASSETS].sort());
    const app = files.get('app.js')!.toString();
    assert.match(app, /uPlot|u-legend/);
    assert.doesNotMatch(app, /https?:\/\/(?!www\.w3\.org\/)/, 'no URL but the SVG namespace');
    assert.match(files.get('app.css')!.toString(), /\.u-legend/);
  },
);
