/** Every bad input and every upstream failure reaches the client as an OpenAI-shaped error. */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { openai } from '../../index.js';
import { startOpenAIEmulator, type OpenAIEmulator } from '../emulators/openai.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

let emu: OpenAIEmulator;
let t: TestGateway;
let deadPort: number;

before(async () => {
  emu = await startOpenAIEmulator();
  // A port with nothing listening: bind, note it, close.
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  deadPort = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  t = await startGateway({
    server: { bodyLimit: 2048 },
    providers: [
      openai({ apiKey: 'test-key', baseURL: emu.url, timeoutMs: 500 }),
      openai({ name: 'dead', apiKey: 'k', baseURL: `http://127.0.0.1:${deadPort}/v1` }),
      openai({ name: 'wrongkey', apiKey: 'not-the-key', baseURL: emu.url }),
    ],
    failover: false,
  });
});
after(async () => {
  await t.close();
  await emu.close();
});

async function post(body: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${t.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as { error: Record<string, unknown> } };
}

function assertErrorShape(body: { error: Record<string, unknown> }) {
  assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message', 'param', 'type']);
  assert.equal(typeof body.error.message, 'string');
}

test('invalid JSON -> 400 invalid_json', async () => {
  const r = await post('{"model": "gpt-4o", ');
  assert.equal(r.status, 400);
  assertErrorShape(r.body);
  assert.equal(r.body.error.code, 'invalid_json');
  assert.equal(r.body.error.type, 'invalid_request_error');
});

test('empty body and non-object bodies -> 400', async () => {
  assert.equal((await post('')).status, 400);
  const arr = await post('[1,2]');
  assert.equal(arr.status, 400);
  assert.match(String(arr.body.error.message), /JSON object/);
});

test('schema violations -> 400 naming the parameter', async () => {
  const missing = await post(JSON.stringify({ model: 'gpt-4o' }));
  assert.equal(missing.status, 400);
  assert.equal(missing.body.error.param, 'messages');
  assert.match(String(missing.body.error.message), /messages is required/);

  const badRole = await post(JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'robot', content: 'hi' }] }));
  assert.equal(badRole.body.error.param, 'messages[0].role');
  assert.match(String(badRole.body.error.message), /must be one of .*"user".*\(got "robot"\)/);

  const badTemp = await post(
    JSON.stringify({ model: 'gpt-4o', temperature: 5, messages: [{ role: 'user', content: 'hi' }] }),
  );
  assert.equal(badTemp.status, 400);
  assert.equal(badTemp.body.error.param, 'temperature');

  const toolNoId = await post(JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'tool', content: 'x' }] }));
  assert.equal(toolNoId.status, 400);
  assert.equal(toolNoId.body.error.param, 'messages[0].tool_call_id');
});

test('the SDK sees schema errors as BadRequestError', async () => {
  await assert.rejects(
    // @ts-expect-error deliberately invalid
    t.client.chat.completions.create({ model: 'gpt-4o', messages: 'hello' }),
    (e: unknown) => e instanceof OpenAI.BadRequestError && e.status === 400 && e.param === 'messages',
  );
});

test('unknown model -> 404 model_not_found', async () => {
  await assert.rejects(
    t.client.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'hi' }] }),
    (e: unknown) =>
      e instanceof OpenAI.NotFoundError && e.code === 'model_not_found' && /no-such-model/.test(e.message),
  );
  const unknownProvider = await post(
    JSON.stringify({ model: 'nope/gpt-4o', messages: [{ role: 'user', content: 'hi' }] }),
  );
  assert.equal(unknownProvider.status, 404);
});

test('body over the limit -> 413', async () => {
  const r = await post(JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x'.repeat(5000) }] }));
  assert.equal(r.status, 413);
  assert.equal(r.body.error.code, 'request_too_large');
});

test('upstream timeout -> 504 upstream_timeout', async () => {
  const r = await post(JSON.stringify({ model: 'openai/slow', messages: [{ role: 'user', content: 'hi' }] }));
  assert.equal(r.status, 504);
  assert.equal(r.body.error.code, 'upstream_timeout');
  assert.equal(r.body.error.type, 'timeout_error');
});

test('upstream unreachable -> 502 upstream_unreachable', async () => {
  const r = await post(JSON.stringify({ model: 'dead/gpt-4o', messages: [{ role: 'user', content: 'hi' }] }));
  assert.equal(r.status, 502);
  assert.equal(r.body.error.code, 'upstream_unreachable');
  assert.match(String(r.body.error.message), /ECONNREFUSED/);
  assert.equal(r.headers.get('x-switchyard-provider'), 'dead');
});

test('upstream errors pass through with their status, message and retry-after', async () => {
  for (const status of [400, 401, 403, 404, 500, 503]) {
    const r = await post(
      JSON.stringify({ model: `openai/error-${status}`, messages: [{ role: 'user', content: 'hi' }] }),
    );
    assert.equal(r.status, status, `status ${status}`);
    assertErrorShape(r.body);
  }
  const limited = await post(
    JSON.stringify({ model: 'openai/error-429', messages: [{ role: 'user', content: 'hi' }] }),
  );
  assert.equal(limited.status, 429);
  assert.equal(limited.headers.get('retry-after'), '1');
  assert.equal(limited.body.error.code, 'rate_limit_exceeded');
  assert.match(String(limited.body.error.message), /Rate limit reached/);
});

test('a wrong provider key upstream surfaces as the upstream 401, never echoing the key', async () => {
  const r = await post(JSON.stringify({ model: 'wrongkey/gpt-4o', messages: [{ role: 'user', content: 'hi' }] }));
  assert.equal(r.status, 401);
  assert.ok(!JSON.stringify(r.body).includes('not-the-key'));
});

test('the SDK sees upstream errors with the right classes', async () => {
  await assert.rejects(
    t.client.chat.completions.create({ model: 'openai/error-429', messages: [{ role: 'user', content: 'hi' }] }),
    (e: unknown) => e instanceof OpenAI.RateLimitError && e.headers.get('retry-after') === '1',
  );
  await assert.rejects(
    t.client.chat.completions.create({ model: 'openai/error-500', messages: [{ role: 'user', content: 'hi' }] }),
    (e: unknown) => e instanceof OpenAI.InternalServerError,
  );
});

test('an error event mid-stream reaches the SDK as an APIError, not a clean end', async () => {
  const stream = await t.client.chat.completions.create({
    model: 'openai/stream-error-midway',
    stream: true,
    messages: [{ role: 'user', content: 'echo: a b c' }],
  });
  const got: string[] = [];
  await assert.rejects(
    async () => {
      for await (const c of stream) got.push(c.choices[0]?.delta.content ?? '');
    },
    (e: unknown) => e instanceof OpenAI.APIError && /had an error/.test(e.message),
  );
  assert.ok(got.length >= 1, 'chunks before the failure were delivered');
});

test('a truncated upstream stream ends with an SSE error event', async () => {
  const res = await fetch(`${t.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'openai/stream-truncated',
      stream: true,
      messages: [{ role: 'user', content: 'echo: a b c' }],
    }),
  });
  assert.equal(res.status, 200);
  const text = await res.text();
  assert.ok(!text.includes('[DONE]'));
  const last = text.trim().split('\n\n').pop()!;
  const err = JSON.parse(last.replace(/^data: /, '')).error;
  assert.equal(err.code, 'upstream_stream_interrupted');
});

test('an error before the first streamed byte is a normal HTTP error', async () => {
  await assert.rejects(
    t.client.chat.completions.create({
      model: 'openai/error-503',
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    }),
    (e: unknown) => e instanceof OpenAI.APIError && e.status === 503,
  );
});

test('unknown routes and wrong methods answer JSON errors', async () => {
  const r = await fetch(`${t.url}/v1/nope`);
  assert.equal(r.status, 404);
  assert.equal(((await r.json()) as { error: { code: string } }).error.code, 'unknown_url');
  const m = await fetch(`${t.url}/v1/chat/completions`);
  assert.equal(m.status, 405);
  assert.equal(((await m.json()) as { error: { code: string } }).error.code, 'method_not_allowed');
});
