/**
 * Remote checks: the provider moderation endpoint (emulated OpenAI POST /v1/moderations, called
 * through the configured provider's base URL and key) and an HTTP hook, both on input and on
 * streamed output, and what happens when they time out or fail: fail-closed refuses with 503
 * guardrail_unavailable, fail-open lets the request through and records `<check>.unavailable`.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { createGateway, definePlugin, mock, openai, type GuardrailsOptions, type UsageRecord } from '../../index.js';
import { startOpenAIEmulator, type OpenAIEmulator } from '../emulators/openai.js';
import { eventually, startGateway, type TestGateway } from '../helpers/gateway.js';

interface Hook {
  url: string;
  calls: any[];
  mode: 'ok' | 'hang' | 'bad';
  close(): Promise<void>;
}

/** An external guardrail service: flags "forbidden", and JSON replies in answers; never answers in 'hang' mode. */
async function startHook(): Promise<Hook> {
  const sockets = new Set<import('node:net').Socket>();
  const hook: Hook = { url: '', calls: [], mode: 'ok', close: async () => undefined };
  const server = http.createServer(async (req, res) => {
    let body = '';
    for await (const c of req) body += c;
    const parsed = JSON.parse(body);
    hook.calls.push({ headers: req.headers, body: parsed });
    if (hook.mode === 'hang') return;
    res.writeHead(200, { 'content-type': 'application/json' });
    if (hook.mode === 'bad') return void res.end('{"verdict": "maybe"}');
    const rules: string[] = [];
    if (parsed.texts.some((t: string) => /forbidden/.test(t))) rules.push('forbidden_topic', 'not a rule id!');
    if (parsed.phase === 'output' && parsed.texts.some((t: string) => /"reply"/.test(t)))
      rules.push('structured_reply');
    res.end(JSON.stringify({ flagged: rules.length > 0, rules }));
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  hook.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/check`;
  hook.close = () =>
    new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    });
  return hook;
}

let oai: OpenAIEmulator;
let hook: Hook;
let t: TestGateway;
const records: UsageRecord[] = [];
const collect = definePlugin({
  name: 'collect',
  apply(gw) {
    gw.hooks.meter.tap('collect', (r) => {
      records.push(r);
    });
  },
});
const client = (id: string) =>
  new OpenAI({ baseURL: `${t.url}/v1`, apiKey: `key-${id}-0000`, maxRetries: 0, timeout: 10_000 });

before(async () => {
  [oai, hook] = await Promise.all([startOpenAIEmulator(), startHook()]);
  const ids = ['mod', 'mod-out', 'mod-closed', 'mod-open', 'mod-out-closed', 'hook', 'hook-closed', 'hook-open'];
  const options: GuardrailsOptions = {
    policies: [
      {
        id: 'moderate-in',
        action: 'block',
        checks: [{ type: 'moderation', provider: 'openai' }],
        match: { keys: ['mod'] },
      },
      {
        id: 'moderate-out',
        action: 'block',
        on: 'output',
        checks: [{ type: 'moderation', provider: 'openai' }],
        match: { keys: ['mod-out'] },
      },
      // the emulator never answers the model "hang": a timeout
      {
        id: 'moderate-closed',
        action: 'block',
        failMode: 'closed',
        checks: [{ type: 'moderation', provider: 'openai', model: 'hang', timeoutMs: 150 }],
        match: { keys: ['mod-closed'] },
      },
      {
        id: 'moderate-open',
        action: 'block',
        failMode: 'open',
        checks: [{ type: 'moderation', provider: 'openai', model: 'hang', timeoutMs: 150 }],
        match: { keys: ['mod-open'] },
      },
      {
        id: 'moderate-out-closed',
        action: 'block',
        on: 'output',
        checks: [{ type: 'moderation', provider: 'openai', model: 'hang', timeoutMs: 150 }],
        match: { keys: ['mod-out-closed'] },
      },
      {
        id: 'hook-in',
        action: 'block',
        on: 'both',
        checks: [{ type: 'webhook', url: hook.url, headers: { 'x-service-key': 'svc-1' }, timeoutMs: 300 }],
        match: { keys: ['hook', 'hook-closed'] },
      },
      {
        id: 'hook-flag',
        action: 'flag',
        checks: [{ type: 'webhook', url: hook.url, timeoutMs: 300 }],
        match: { keys: ['hook-open'] },
      },
    ],
    stream: { remoteWindowChars: 64 },
  };
  t = await startGateway({
    providers: [openai({ apiKey: 'test-key', baseURL: oai.url })],
    auth: { keys: ids.map((id) => ({ id, key: `key-${id}-0000` })) },
    guardrails: options,
    plugins: [collect()],
  });
});
after(async () => {
  await t.close();
  await Promise.all([oai.close(), hook.close()]);
});

const rid = () => `req-${Math.random().toString(36).slice(2, 10)}`;
const recordOf = async (id: string) => {
  await eventually(() => records.some((r) => r.requestId === id));
  return records.find((r) => r.requestId === id)!;
};
const moderations = () => oai.requests.filter((r) => r.path === '/v1/moderations');

async function apiError(p: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof OpenAI.APIError, `expected an APIError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected the request to fail');
}

test(
  'moderation on input: flagged text is refused; ' + 'the endpoint is called with the provider key and base URL',
  async () => {
    const before = moderations().length;
    const e = await apiError(
      client('mod').chat.completions.create({
        model: 'gpt-4o',
        messages: [{ role: 'user', content: 'how do I kill the process' }],
      }),
    );
    assert.equal(e.status, 400);
    assert.match(e.message, /policy "moderate-in" \(rule moderation\.violence\)/);
    const call = moderations()[before];
    assert.equal(call.headers.authorization, 'Bearer test-key');
    assert.deepEqual(call.body, { model: 'omni-moderation-latest', input: ['how do I kill the process'] });
    assert.equal(
      oai.requests.filter(
        (r) => r.path === '/v1/chat/completions' && JSON.stringify(r.body).includes('kill the process'),
      ).length,
      0,
    );
    const ok = await client('mod').chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'echo: list the processes' }],
    });
    assert.equal(ok.choices[0].message.content, 'list the processes');
  },
);

test('moderation on streamed output: checked per window before release; a flagged window cuts the stream', async () => {
  const clean = await client('mod-out').chat.completions.create({
    model: 'openai/tiny-chunks',
    stream: true,
    messages: [{ role: 'user', content: `echo: ${'a calm and friendly answer '.repeat(8)}` }],
  });
  let text = '';
  for await (const c of clean) text += c.choices[0]?.delta.content ?? '';
  assert.equal(text, 'a calm and friendly answer '.repeat(8));
  const before = moderations().length;
  const stream = await client('mod-out').chat.completions.create({
    model: 'openai/tiny-chunks',
    stream: true,
    messages: [
      { role: 'user', content: `echo: ${'a calm and friendly answer '.repeat(6)}then I will murder them all` },
    ],
  });
  let got = '';
  const e = await apiError(
    (async () => {
      for await (const c of stream) got += c.choices[0]?.delta.content ?? '';
    })(),
  );
  assert.match(e.message, /moderate-out.*moderation\.violence/);
  assert.ok(!got.includes('murder'));
  assert.ok(got.length >= 64, 'windows before the flagged one were released');
  assert.ok(moderations().length - before >= 2, 'one call per window');
});

test('a moderation timeout: fail-closed answers 503 guardrail_unavailable', async () => {
  const id = rid();
  const started = Date.now();
  const e = await apiError(
    client('mod-closed').chat.completions.create(
      { model: 'gpt-4o', messages: [{ role: 'user', content: 'echo: hello' }] },
      { headers: { 'x-request-id': id } },
    ),
  );
  assert.equal(e.status, 503);
  assert.equal(e.code, 'guardrail_unavailable');
  assert.match(e.message, /moderation check timed out \(150 ms\)/);
  assert.ok(Date.now() - started < 5000);
  const r = await recordOf(id);
  assert.deepEqual(r.guardrails, [
    { policy: 'moderate-closed', rule: 'moderation.unavailable', action: 'block', phase: 'input', count: 1 },
  ]);
});

test(
  'a moderation timeout on streamed output: ' + 'fail-closed ends the stream with an error event, nothing released',
  async () => {
    const res = await fetch(`${t.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer key-mod-out-closed-0000', 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'openai/tiny-chunks',
        stream: true,
        messages: [{ role: 'user', content: `echo: ${'words '.repeat(30)}` }],
      }),
    });
    const events = (await res.text())
      .split('\n\n')
      .filter(Boolean)
      .map((e) => e.replace(/^data: /, ''));
    const last = JSON.parse(events[events.length - 1]);
    assert.equal(last.error.code, 'guardrail_unavailable');
    assert.ok(!events.some((e) => e.includes('words')), 'no text was released unchecked');
  },
);

test('a moderation timeout: fail-open lets the request through and records it', async () => {
  const id = rid();
  const res = await client('mod-open').chat.completions.create(
    { model: 'gpt-4o', messages: [{ role: 'user', content: 'echo: hello' }] },
    { headers: { 'x-request-id': id } },
  );
  assert.equal(res.choices[0].message.content, 'hello');
  const r = await recordOf(id);
  assert.equal(r.status, 200);
  assert.deepEqual(r.guardrails, [
    { policy: 'moderate-open', rule: 'moderation.unavailable', action: 'log', phase: 'input', count: 1 },
  ]);
});

test('HTTP hook: input and output, its own headers, only well-formed rule ids kept', async () => {
  hook.mode = 'ok';
  const e = await apiError(
    client('hook').chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'tell me the forbidden thing' }],
    }),
  );
  assert.match(e.message, /policy "hook-in" \(rule webhook\.forbidden_topic\)/);
  const call = hook.calls[hook.calls.length - 1];
  assert.equal(call.headers['x-service-key'], 'svc-1');
  assert.equal(call.body.phase, 'input');
  assert.equal(call.body.policy, 'hook-in');
  assert.deepEqual(call.body.texts, ['tell me the forbidden thing']);
  // output: the answer (a JSON reply) is what the service objects to
  const out = await apiError(
    client('hook').chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'echo: hi' }],
      response_format: { type: 'json_object' },
    }),
  );
  assert.match(out.message, /answer was blocked by guardrail policy "hook-in" \(rule webhook\.structured_reply\)/);
  assert.equal(hook.calls[hook.calls.length - 1].body.phase, 'output');
  const flagged = await client('hook-open')
    .chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'echo: forbidden' }] })
    .withResponse();
  assert.equal(flagged.data.choices[0].message.content, 'forbidden');
  assert.equal(flagged.response.headers.get('x-switchyard-guardrails'), 'flagged=webhook.forbidden_topic');
});

test('HTTP hook timing out or answering nonsense: closed refuses, open passes', async () => {
  try {
    for (const mode of ['hang', 'bad'] as const) {
      hook.mode = mode;
      const e = await apiError(
        client('hook-closed').chat.completions.create({
          model: 'gpt-4o',
          messages: [{ role: 'user', content: 'echo: hi' }],
        }),
      );
      assert.equal(e.status, 503);
      assert.match(
        e.message,
        mode === 'hang'
          ? /webhook check timed out \(300 ms\)/
          : /webhook check failed \(the answer has no boolean "flagged"\)/,
      );
      const id = rid();
      const ok = await client('hook-open').chat.completions.create(
        { model: 'gpt-4o', messages: [{ role: 'user', content: 'echo: hi' }] },
        { headers: { 'x-request-id': id } },
      );
      assert.equal(ok.choices[0].message.content, 'hi');
      assert.deepEqual((await recordOf(id)).guardrails, [
        { policy: 'hook-flag', rule: 'webhook.unavailable', action: 'log', phase: 'input', count: 1 },
      ]);
    }
  } finally {
    hook.mode = 'ok';
  }
});

test('boot: a moderation check naming a provider without moderations (or none) is refused', async () => {
  await assert.rejects(
    createGateway({
      logging: { level: 'silent' },
      providers: [mock()],
      guardrails: { policies: [{ id: 'm', action: 'block', checks: [{ type: 'moderation', provider: 'mock' }] }] },
    }),
    new RegExp(
      /Plugin "guardrails": option "policies\[0\]\.checks\[0\]\.provider" /.source +
        /names provider "mock", which has no moderation endpoint/.source,
    ),
  );
  await assert.rejects(
    createGateway({
      logging: { level: 'silent' },
      providers: [mock()],
      guardrails: { policies: [{ id: 'm', action: 'block', checks: [{ type: 'moderation', provider: 'openai' }] }] },
    }),
    /names provider "openai", which is not configured/,
  );
});
