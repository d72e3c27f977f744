/**
 * Virtual keys through HTTP: config keys, admin API (auth, create once, list, update, revoke), expiry,
 * model allow-lists.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import { ADMIN_KEY, ask, startEnv, statusOf, type Env } from './helpers.js';

const PLAIN = 'sk-config-plain-key-000000000001';
const HASHED = 'sk-config-hashed-key-00000000002';
const NARROW = 'sk-config-narrow-key-00000000004';
let env: Env;

before(async () => {
  env = await startEnv({
    keys: [
      { id: 'app-plain', key: PLAIN, project: 'alpha', tags: ['app'] },
      { id: 'app-hashed', keyHash: createHash('sha256').update(HASHED).digest('hex'), models: ['gpt-4o-mini'] },
      { id: 'old', key: 'sk-config-expired-key-000000003', expiresAt: '2020-01-01T00:00:00Z' },
    ],
    projects: { alpha: { models: ['openai/*'] } },
  });
});
after(() => env?.close()); // env is unset when setup failed: report that failure, not a TypeError

test('config keys: plaintext and hashed keys authenticate; unknown keys get 401', async () => {
  const a = await ask(env.client(PLAIN), 'echo: hi');
  assert.equal(a.choices[0].message.content, 'hi');
  await ask(env.client(HASHED), 'echo: hi');
  const bad = await statusOf(ask(env.client('sk-not-a-key-at-all-0000'), 'echo: hi'));
  assert.equal(bad.status, 401);
  assert.equal(bad.error.code, 'invalid_api_key');
  const none = await fetch(`${env.t.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] }),
  });
  assert.equal(none.status, 401);
  assert.equal((await none.json()).error.code, 'missing_api_key');
});

test('expired key: 401 api_key_expired', async () => {
  const r = await statusOf(ask(env.client('sk-config-expired-key-000000003'), 'echo: hi'));
  assert.equal(r.status, 401);
  assert.equal(r.error.code, 'api_key_expired');
});

test(
  'model allow-lists: key list, project list (provider wildcard); ' + 'forced targets outside the list are refused',
  async () => {
    const r = await statusOf(ask(env.client(HASHED), 'echo: hi', { model: 'gpt-4.1-mini' }));
    assert.equal(r.status, 403);
    assert.equal(r.error.code, 'model_not_allowed');
    // the project allows openai/* so any openai model passes for the project's key
    await ask(env.client(PLAIN), 'echo: hi', { model: 'openai/gpt-4.1-mini' });
    // forcing a target by header is checked against the list too
    const forced = await statusOf(
      env
        .client(HASHED)
        .chat.completions.create(
          { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] },
          { headers: { 'x-switchyard-target': 'openai/gpt-4.1' } },
        ),
    );
    assert.equal(forced.status, 403);
  },
);

test('a body `models` list is a forced choice: its entries must be allowed themselves', async () => {
  // The allowed primary fails (503); the list's fallback is outside the key's allow-list, so it must
  // not answer (before the fix, the allowed requested name admitted every listed target).
  const narrow = await startEnv(
    { keys: [{ id: 'narrow', key: NARROW, models: ['openai/error-503'] }] },
    { failover: { retries: 0 } },
  );
  try {
    const r = await statusOf(
      narrow.client(NARROW).chat.completions.create({
        model: 'openai/error-503',
        models: ['openai/gpt-4.1'],
        messages: [{ role: 'user', content: 'echo: hi' }],
      } as never),
    );
    assert.equal(r.status, 503);
    assert.ok(
      !narrow.emu.requests.some((q) => q.body?.model === 'gpt-4.1'),
      'the disallowed fallback was never called',
    );
  } finally {
    await narrow.close();
  }
});

test('admin API needs the admin key', async () => {
  assert.equal((await env.admin('GET', '/admin/keys', undefined, '')).status, 401);
  const wrong = await env.admin('GET', '/admin/keys', undefined, 'not-the-admin-key-000000');
  assert.equal(wrong.status, 401);
  assert.equal(wrong.json.error.code, 'invalid_api_key');
  // a client key is not an admin key
  assert.equal((await env.admin('GET', '/admin/keys', undefined, PLAIN)).status, 401);
  assert.equal((await env.admin('GET', '/admin/keys')).status, 200);
});

test('create (key shown once), list without secrets, update, revoke -> 401', async () => {
  const created = await env.admin('POST', '/admin/keys', {
    name: 'ci bot',
    project: 'alpha',
    tags: ['ci'],
    metadata: { owner: 'team-a' },
  });
  assert.equal(created.status, 201);
  const key: string = created.json.key;
  assert.match(key, /^sk-sy-/);
  assert.equal(created.json.status, 'active');
  const id: string = created.json.id;

  const list = await env.admin('GET', '/admin/keys');
  assert.ok(list.json.data.some((k: any) => k.id === id && k.name === 'ci bot'));
  for (const secret of [key, PLAIN, HASHED, createHash('sha256').update(key).digest('hex'), ADMIN_KEY]) {
    assert.ok(!list.text.includes(secret), 'the key list holds no key or hash');
  }
  const one = await env.admin('GET', `/admin/keys/${id}`);
  assert.equal(one.json.key, undefined);

  await ask(env.client(key), 'echo: works');
  const upd = await env.admin('PATCH', `/admin/keys/${id}`, { models: ['gpt-4.1-mini'] });
  assert.equal(upd.status, 200);
  assert.deepEqual(upd.json.models, ['gpt-4.1-mini']);
  assert.equal((await statusOf(ask(env.client(key), 'echo: x'))).status, 403);
  await env.admin('PATCH', `/admin/keys/${id}`, { models: null });
  await ask(env.client(key), 'echo: allowed again');

  const bad = await env.admin('PATCH', `/admin/keys/${id}`, { budgets: [{ limitUsd: -1 }] });
  assert.equal(bad.status, 400);
  assert.equal(
    (await env.admin('DELETE', '/admin/keys/app-plain')).status,
    409,
    'config keys are changed in the config',
  );
  assert.equal((await env.admin('DELETE', '/admin/keys/nope')).status, 404);

  const rev = await env.admin('DELETE', `/admin/keys/${id}`);
  assert.equal(rev.json.status, 'revoked');
  const r = await statusOf(ask(env.client(key), 'echo: hi'));
  assert.equal(r.status, 401);
  assert.equal(r.error.code, 'api_key_revoked');
});

test('expiry set at runtime', async () => {
  const created = await env.admin('POST', '/admin/keys', {
    name: 'short',
    expiresAt: new Date(Date.now() + 300).toISOString(),
  });
  await ask(env.client(created.json.key), 'echo: hi');
  await new Promise((r) => setTimeout(r, 350));
  assert.equal((await statusOf(ask(env.client(created.json.key), 'echo: hi'))).error.code, 'api_key_expired');
});
