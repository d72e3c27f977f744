/**
 * The built-in ingress plugins (Anthropic Messages, OpenAI Responses) are on by default and the
 * `ingresses` section switches each off; plugins that mount routes on `gateway.router` directly still
 * work but are warned that it is deprecated (gateway.route / gateway.ingress are the ways in).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createGateway, definePlugin, mock, type SwitchyardConfig } from '../../index.js';
import { memoryLogger } from '../helpers/gateway.js';

const messages = [{ role: 'user', content: 'hi' }];
const CALLS: Record<string, unknown> = {
  '/v1/messages': { model: 'mock/mock-fast', max_tokens: 16, messages },
  '/v1/messages/count_tokens': { model: 'mock/mock-fast', messages },
  '/v1/responses': { model: 'mock/mock-fast', input: 'hi' },
  '/v1/chat/completions': { model: 'mock/mock-fast', messages },
};

async function statuses(config: SwitchyardConfig): Promise<Record<string, number>> {
  const gw = await createGateway({ providers: [mock()], logging: { level: 'silent' }, ...config });
  const { url } = await gw.listen({ port: 0 });
  try {
    const out: Record<string, number> = {};
    for (const [path, body] of Object.entries(CALLS)) {
      const res = await fetch(url + path, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      await res.arrayBuffer();
      out[path] = res.status;
    }
    return out;
  } finally {
    await gw.close();
  }
}

test('Anthropic Messages and Responses are served by default', async () => {
  assert.deepEqual(await statuses({}), {
    '/v1/messages': 200,
    '/v1/messages/count_tokens': 200,
    '/v1/responses': 200,
    '/v1/chat/completions': 200,
  });
});

test('ingresses: { anthropic: false } and { responses: false } switch one off, not the other', async () => {
  assert.deepEqual(await statuses({ ingresses: { anthropic: false } }), {
    '/v1/messages': 404,
    '/v1/messages/count_tokens': 404,
    '/v1/responses': 200,
    '/v1/chat/completions': 200,
  });
  assert.deepEqual(await statuses({ ingresses: { responses: false, anthropic: true } }), {
    '/v1/messages': 200,
    '/v1/messages/count_tokens': 200,
    '/v1/responses': 404,
    '/v1/chat/completions': 200,
  });
});

test('an unknown ingress name or a non-boolean switch is a config error', async () => {
  await assert.rejects(
    createGateway({ providers: [mock()], ingresses: { gemini: false } as never }),
    (e: Error) => e.name === 'ConfigError' && /ingresses\.gemini is not a built-in ingress/.test(e.message),
  );
  await assert.rejects(
    createGateway({ providers: [mock()], ingresses: { anthropic: 'no' } as never }),
    (e: Error) => e.name === 'ConfigError' && /ingresses\.anthropic/.test(e.message),
  );
});

test('a plugin mounting on gateway.router is warned once (deprecated); its route still answers', async () => {
  const lines: string[] = [];
  const direct = definePlugin({
    name: 'direct-mounter',
    apply(gateway) {
      gateway.router.get('/direct/a', (kctx) => {
        kctx.body = { ok: 'a' };
      });
      gateway.router.get('/direct/b', (kctx) => {
        kctx.body = { ok: 'b' };
      });
    },
  })();
  const proper = definePlugin({
    name: 'proper-mounter',
    apply(gateway) {
      gateway.route({
        method: 'get',
        path: '/proper',
        auth: 'public',
        reason: 'a test route',
        handler: (kctx) => {
          kctx.body = { ok: true };
        },
      });
    },
  })();
  const gw = await createGateway({ providers: [mock()], plugins: [direct, proper], logger: memoryLogger(lines) });
  const { url } = await gw.listen({ port: 0 });
  try {
    assert.deepEqual(await (await fetch(`${url}/direct/b`)).json(), { ok: 'b' });
    assert.deepEqual(await (await fetch(`${url}/proper`)).json(), { ok: true });
    const warnings = lines.map((l) => JSON.parse(l)).filter((l) => /gateway\.router is deprecated/.test(l.msg));
    assert.equal(warnings.length, 1, 'one warning per plugin');
    assert.equal(warnings[0].plugin, 'direct-mounter');
    assert.equal(warnings[0].path, '/direct/a');
    // Library code reading or mounting on a running gateway is not warned.
    assert.ok(gw.router.match('/proper', 'GET').route);
  } finally {
    await gw.close();
  }
});
