/**
 * /metrics names key ids, projects and remaining budgets: it needs the admin key or the metrics
 * token unless it is explicitly public (issue 13 item 9). Every secret comparison in the code base
 * goes through core/secrets.ts (constant time; issue 14 item 9).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { digestEquals, secretEquals, sha256 } from '../../core/secrets.js';
import { ADMIN_KEY, startEnv } from './helpers.js';

const TOKEN = 'metrics-token-0123456789';
const KEY = 'sk-metrics-client-0123456789';

async function metricsOf(url: string, key?: string): Promise<{ status: number; text: string; type: string | null }> {
  const res = await fetch(`${url}/metrics`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
  return { status: res.status, text: await res.text(), type: res.headers.get('content-type') };
}

test('by default /metrics needs the admin key or the metrics token (401 without, 200 with)', async () => {
  const env = await startEnv({ keys: [{ id: 'team-a', key: KEY }], metrics: { token: TOKEN } });
  try {
    const none = await metricsOf(env.t.url);
    assert.equal(none.status, 401);
    assert.equal(JSON.parse(none.text).error.code, 'missing_api_key');
    assert.doesNotMatch(none.text, /switchyard_/, 'nothing of the metrics leaks in the refusal');
    const wrong = await metricsOf(env.t.url, 'not-the-admin-key-0000');
    assert.equal(wrong.status, 401);
    assert.equal(JSON.parse(wrong.text).error.code, 'invalid_api_key');
    assert.equal((await metricsOf(env.t.url, KEY)).status, 401, 'a client key does not open the metrics');
    assert.equal(
      (await metricsOf(env.t.url, ADMIN_KEY.slice(0, -1))).status,
      401,
      'a prefix of the admin key is refused',
    );

    const admin = await metricsOf(env.t.url, ADMIN_KEY);
    assert.equal(admin.status, 200);
    assert.match(admin.type ?? '', /^text\/plain/);
    assert.match(admin.text, /switchyard_requests_total/);
    const token = await metricsOf(env.t.url, TOKEN);
    assert.equal(token.status, 200);
    assert.match(token.text, /switchyard_requests_total/);
    // Prometheus may also send the token as x-api-key
    const res = await fetch(`${env.t.url}/metrics`, { headers: { 'x-api-key': TOKEN } });
    assert.equal(res.status, 200);
  } finally {
    await env.close();
  }
});

test('the metrics token can come from SWITCHYARD_METRICS_TOKEN', async () => {
  process.env.SWITCHYARD_METRICS_TOKEN = TOKEN;
  try {
    const env = await startEnv({});
    try {
      assert.equal((await metricsOf(env.t.url)).status, 401);
      assert.equal((await metricsOf(env.t.url, TOKEN)).status, 200);
      assert.equal((await metricsOf(env.t.url, ADMIN_KEY)).status, 200);
    } finally {
      await env.close();
    }
  } finally {
    delete process.env.SWITCHYARD_METRICS_TOKEN;
  }
});

test('metrics: { public: true } (or the old requireAdminKey: false) opens /metrics to a scraper', async () => {
  for (const metrics of [{ public: true }, { requireAdminKey: false }]) {
    const env = await startEnv({ metrics });
    try {
      const open = await metricsOf(env.t.url);
      assert.equal(open.status, 200, JSON.stringify(metrics));
      assert.match(open.text, /switchyard_requests_total/);
    } finally {
      await env.close();
    }
  }
});

test('without an admin key or token, a closed /metrics says how to open it (403)', async () => {
  const env = await startEnv({ adminKey: undefined });
  try {
    const res = await metricsOf(env.t.url, 'anything-at-all-000');
    assert.equal(res.status, 403);
    const err = JSON.parse(res.text).error;
    assert.equal(err.code, 'metrics_disabled');
    assert.match(err.message, /governance\.metrics\.token.*public: true/);
  } finally {
    await env.close();
  }
});

test('metrics.token is validated at boot', async () => {
  await assert.rejects(
    startEnv({ metrics: { token: 'short' } }),
    /Plugin "governance": option "metrics.token" must NOT have fewer than 16 characters/,
  );
});

test('secretEquals: constant-time equality that refuses missing, empty and different-length secrets', () => {
  assert.equal(secretEquals('abc', 'abc'), true);
  assert.equal(secretEquals('abc', sha256('abc')), true);
  assert.equal(secretEquals('abc', 'abd'), false);
  assert.equal(secretEquals('abc', 'abcd'), false);
  assert.equal(secretEquals(undefined, 'abc'), false);
  assert.equal(secretEquals('', ''), false);
  assert.equal(secretEquals('abc', undefined), false);
  assert.equal(digestEquals(Buffer.from([1, 2]), Buffer.from([1, 2, 3])), false, 'no throw on different lengths');
});

test('no secret is compared outside core/secrets.ts (no timingSafeEqual elsewhere, no ===/!== on keys)', () => {
  const root = join(import.meta.dirname, '..', '..');
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.ts')) files.push(p);
    }
  };
  walk(join(root, 'core'));
  walk(join(root, 'plugins'));
  const offenders: string[] = [];
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    if (f.endsWith(join('core', 'secrets.ts'))) continue;
    if (/timingSafeEqual/.test(text)) offenders.push(`${f}: timingSafeEqual`);
    // a presented key, the admin key or a token compared with === / !==
    if (/(presentedKey\([^)]*\)|adminKey|csrf|\btoken\b)\s*[!=]==\s*[^'"`\s]/.test(text))
      offenders.push(`${f}: ===/!== on a secret`);
    if (/[!=]==\s*(adminKey|[a-z.]*csrf|presentedKey\()/.test(text)) offenders.push(`${f}: ===/!== on a secret`);
  }
  assert.deepEqual(offenders, []);
});
