/**
 * A user's own ingress, defined here with nothing but the package's public API (the guide's example in
 * docs/plugins.md#ingresses): a tiny "plain" dialect, POST /v1/plain `{ model, prompt }` -> `{ text }`, errors
 * `{ problem }`. It is mounted with `gateway.ingress` exactly like the built-in Anthropic and Responses
 * ingresses, and passes the whole pipeline: client keys (401), budgets (429), the meter record, in the hook
 * order auth -> route -> admit -> ... -> meter, and it is listed in `gateway.routes`.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  chatHandler,
  definePlugin,
  errors,
  type ChatCompletionRequest,
  type Dialect,
  type UsageRecord,
} from '../../index.js';
import { eventually } from '../helpers/gateway.js';
import { startEnv, type Env } from '../governance/helpers.js';

const plainDialect: Dialect = {
  name: 'plain',
  parseChat(body): ChatCompletionRequest {
    const b = body as { model?: unknown; prompt?: unknown; max_tokens?: unknown };
    if (typeof b?.model !== 'string' || typeof b.prompt !== 'string') {
      throw errors.invalidRequest('model and prompt (strings) are required');
    }
    return {
      model: b.model,
      messages: [{ role: 'user', content: b.prompt }],
      ...(typeof b.max_tokens === 'number' ? { max_tokens: b.max_tokens } : {}),
    };
  },
  renderChat: (response) => ({ text: response.choices[0]?.message.content ?? '' }),
  streamEncoder: () => ({
    chunk: (c) => (c.choices[0]?.delta.content ? `data: ${c.choices[0].delta.content}\n\n` : ''),
    end: () => 'data: [END]\n\n',
    error: (err) => `data: [ERROR] ${err.message}\n\n`,
  }),
  errorBody: (err, requestId) => ({ problem: err.message, status: err.status, requestId }),
};

const plainIngress = definePlugin({
  name: 'plain-ingress',
  apply(gateway) {
    gateway.ingress({
      name: 'plain',
      routes: [{ method: 'post', path: '/v1/plain', handler: chatHandler(gateway, plainDialect) }],
    });
  },
});

/** Records the hooks a request passes, and every meter record (a second plugin, after the ingress). */
const seen: string[] = [];
const records: UsageRecord[] = [];
const recorder = definePlugin({
  name: 'hook-recorder',
  apply(gateway) {
    const { hooks } = gateway;
    // auth is a bail hook: tapped first, returning nothing, so the key check still runs after it
    hooks.auth.tapPromise({ name: 'hook-recorder', stage: gateway.Stage.FIRST }, async () => void seen.push('auth'));
    hooks.route.tapPromise({ name: 'hook-recorder', stage: gateway.Stage.LATE + 1 }, async (targets) => {
      seen.push('route');
      return targets;
    });
    hooks.admit.tapPromise(
      { name: 'hook-recorder', stage: gateway.Stage.LATE + 1 },
      async () => void seen.push('admit'),
    );
    hooks.meter.tap('hook-recorder', (record) => {
      seen.push('meter');
      records.push(record);
    });
  },
});

const KEY = 'sk-plain-ingress-key-00000001';
const TINY = 'sk-plain-ingress-tiny-0000001';
let env: Env;

before(async () => {
  env = await startEnv(
    {
      keys: [
        { id: 'plain', key: KEY },
        { id: 'tiny', key: TINY, budgets: [{ limitUsd: 0.000001, period: 'month' }] },
      ],
    },
    { plugins: [plainIngress(), recorder()] },
  );
});

after(async () => {
  await env?.close();
});

const post = (key: string | undefined, body: unknown) =>
  fetch(`${env.t.url}/v1/plain`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify(body),
  });

test('a custom ingress answers in its dialect, through auth -> route -> admit -> meter', async () => {
  seen.length = 0;
  records.length = 0;
  const res = await post(KEY, { model: 'gpt-4o-mini', prompt: 'hello plain' });
  assert.equal(res.status, 200);
  const body = (await res.json()) as { text: string };
  assert.equal(typeof body.text, 'string');
  assert.ok(body.text.length > 0);
  assert.equal(res.headers.get('x-switchyard-provider'), 'openai');
  await eventually(() => records.length === 1);
  assert.deepEqual(seen, ['auth', 'route', 'admit', 'meter']);
  const [r] = records;
  assert.equal(r.dialect, 'plain');
  assert.equal(r.operation, 'chat');
  assert.equal(r.status, 200);
  assert.equal(r.principalId, 'plain');
  assert.ok(r.totalTokens > 0, 'tokens metered');
  assert.ok((r.costUsd ?? 0) > 0, 'priced from the catalog');
});

test('a custom ingress refuses a missing key (401) and an exhausted budget (429) in its own error shape', async () => {
  records.length = 0;
  const anon = await post(undefined, { model: 'gpt-4o-mini', prompt: 'hi' });
  assert.equal(anon.status, 401);
  const a = (await anon.json()) as { problem: string; status: number };
  assert.equal(a.status, 401);
  assert.match(a.problem, /key/i);

  const broke = await post(TINY, { model: 'gpt-4o-mini', prompt: 'hi', max_tokens: 4000 });
  assert.equal(broke.status, 429);
  const b = (await broke.json()) as { problem: string };
  assert.match(b.problem, /budget/);

  const bad = await post(KEY, { prompt: 'no model' });
  assert.equal(bad.status, 400);
  assert.match(((await bad.json()) as { problem: string }).problem, /model and prompt/);

  await eventually(() => records.some((r) => r.status === 429));
  const refused = records.find((r) => r.status === 429)!;
  assert.equal(refused.dialect, 'plain');
  assert.equal(refused.principalId, 'tiny');
});

test('the ingress is listed in gateway.routes, and a second ingress of one name is refused', () => {
  const listed = env.t.gw.routes.find((r) => r.ingress === 'plain');
  assert.deepEqual(listed, { methods: ['POST'], path: '/v1/plain', auth: 'key', ingress: 'plain' });
  for (const name of ['anthropic', 'responses']) {
    assert.ok(
      env.t.gw.routes.some((r) => r.ingress === name),
      `the built-in ${name} ingress is mounted the same way`,
    );
  }
  assert.throws(
    () => env.t.gw.ingress({ name: 'plain', routes: [{ method: 'post', path: '/v1/plain2', handler: () => {} }] }),
    /mounted twice/,
  );
});
