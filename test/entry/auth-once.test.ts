/**
 * Every request authenticates exactly once: counts the auth hook's calls with a tap (Stage.FIRST, so it
 * sees every call) on chat, Responses with and without previous_response_id, and /v1/models.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { authenticate, createContext, definePlugin, MemoryStore, openaiCompatible } from '../../index.js';
import type { RequestContext } from '../../index.js';
import { startOpenAIEmulator, type OpenAIEmulator } from '../emulators/openai.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

const KEY = 'sk-entry-test-key-1';
let emu: OpenAIEmulator;
let t: TestGateway;
let authCalls = 0;

const counter = definePlugin({
  name: 'auth-counter',
  apply(gw) {
    gw.hooks.auth.tapPromise({ name: 'auth-counter', stage: gw.Stage.FIRST }, async () => {
      authCalls++;
      return undefined;
    });
  },
});

before(async () => {
  emu = await startOpenAIEmulator();
  t = await startGateway(
    {
      providers: [openaiCompatible({ name: 'up', apiKey: 'test-key', baseURL: emu.url })],
      auth: { keys: [KEY] },
      store: new MemoryStore(),
      plugins: [counter()],
      logging: { level: 'silent' },
    },
    KEY,
  );
});

after(async () => {
  await t?.close();
  await emu?.close();
});

async function calls(run: () => Promise<unknown>): Promise<number> {
  const before = authCalls;
  await run();
  return authCalls - before;
}

test('chat completions authenticate once', async () => {
  assert.equal(
    await calls(() => t.client.chat.completions.create({ model: 'up/m', messages: [{ role: 'user', content: 'hi' }] })),
    1,
  );
});

test('/v1/models authenticates once', async () => {
  assert.equal(await calls(() => t.client.models.list()), 1);
});

test('responses authenticate once, also with previous_response_id', async () => {
  let first: { id: string } | undefined;
  assert.equal(
    await calls(async () => {
      first = await t.client.responses.create({ model: 'up/m', input: 'hello' });
    }),
    1,
  );
  const n = await calls(() =>
    t.client.responses.create({ model: 'up/m', input: 'again', previous_response_id: first!.id }),
  );
  assert.equal(n, 1);
});

test('authenticate in library code: once per context, made by createContext or by hand; no key is a 401', async () => {
  const headers = { authorization: `Bearer ${KEY}` };
  const made = createContext(t.gw, 'models', { headers });
  assert.equal(await calls(() => authenticate(t.gw, made).then(() => authenticate(t.gw, made))), 1);
  assert.equal(made.principal?.id !== undefined, true);
  // a context assembled by hand (no createContext) is tracked apart, with the same once-only rule
  const byHand = { ...createContext(t.gw, 'models', { headers }), principal: undefined } as RequestContext;
  assert.equal(await calls(() => authenticate(t.gw, byHand).then(() => authenticate(t.gw, byHand))), 1);
  assert.ok(byHand.principal);
  const anonymous = createContext(t.gw, 'models', { headers: {} });
  await assert.rejects(authenticate(t.gw, anonymous), (e: { status?: number }) => e.status === 401);
  assert.equal(anonymous.principal, undefined);
});
