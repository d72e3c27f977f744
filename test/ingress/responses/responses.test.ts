/**
 * POST /v1/responses with the official openai client (responses.create / responses.stream), routed to
 * OpenAI natively (emulated /v1/responses), to a chat-only OpenAI-compatible provider (a second OpenAI
 * emulator, reached through chat completions only), to Anthropic and to Gemini (their emulators), with
 * previous_response_id, errors and metering.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import {
  anthropic,
  definePlugin,
  gemini,
  MemoryStore,
  openai,
  openaiCompatible,
  type UsageRecord,
} from '../../../index.js';
import { startAnthropicEmulator, type AnthropicEmulator } from '../../emulators/anthropic.js';
import { startGeminiEmulator, type GeminiEmulator } from '../../emulators/gemini.js';
import { startOpenAIEmulator, type OpenAIEmulator } from '../../emulators/openai.js';
import { eventually, startGateway, type TestGateway } from '../../helpers/gateway.js';

let native: OpenAIEmulator;
let chatOnly: OpenAIEmulator;
let anth: AnthropicEmulator;
let gem: GeminiEmulator;
let t: TestGateway;
let noStore: TestGateway;
let betaClient: OpenAI;
let alpha2Client: OpenAI;
const records: UsageRecord[] = [];

const spy = definePlugin({
  name: 'meter-spy',
  apply(gw) {
    gw.hooks.meter.tapPromise('meter-spy', async (r) => void records.push(r));
  },
});

before(async () => {
  [native, chatOnly, anth, gem] = await Promise.all([
    startOpenAIEmulator(),
    startOpenAIEmulator(),
    startAnthropicEmulator(),
    startGeminiEmulator(),
  ]);
  const providers = () => [
    openai({ apiKey: 'test-key', baseURL: native.url }),
    openaiCompatible({ name: 'chatonly', apiKey: 'test-key', baseURL: chatOnly.url }),
    anthropic({ apiKey: 'test-key', baseURL: anth.url }),
    gemini({ apiKey: 'test-key', baseURL: gem.url }),
  ];
  t = await startGateway(
    {
      providers: providers(),
      failover: false,
      store: new MemoryStore(),
      auth: {
        keys: [
          { key: 'key-alpha-1', id: 'a', project: 'alpha' },
          { key: 'key-alpha-2', id: 'a2', project: 'alpha' },
          { key: 'key-beta-01', id: 'b', project: 'beta' },
        ],
      },
      plugins: [spy()],
    },
    'key-alpha-1',
  );
  betaClient = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: 'key-beta-01', maxRetries: 0 });
  alpha2Client = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: 'key-alpha-2', maxRetries: 0 });
  noStore = await startGateway({ providers: providers(), failover: false });
});
after(async () => {
  await t.close();
  await noStore.close();
  await Promise.all([native.close(), chatOnly.close(), anth.close(), gem.close()]);
});

const last = <T>(a: T[]) => a[a.length - 1];
const weather = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'Weather for a city',
  parameters: {
    type: 'object',
    properties: { city: { type: 'string' } },
    required: ['city'],
    additionalProperties: false,
  },
  strict: true,
};

/** POST /v1/responses with stream: true and return the raw SSE events. */
async function rawStream(body: object, key = 'key-alpha-1'): Promise<Array<{ event: string; data: any }>> {
  const res = await fetch(`${t.url}/v1/responses`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ ...body, stream: true }),
  });
  assert.equal(res.status, 200);
  const text = await res.text();
  return text
    .split('\n\n')
    .filter(Boolean)
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)![1];
      return { event, data: JSON.parse(/^data: (.*)$/m.exec(block)![1]) };
    });
}

// ---- (a) OpenAI natively ----

test('openai: the original Responses body goes to {baseURL}/responses and the answer is relayed', async () => {
  const body = {
    model: 'gpt-4.1-mini',
    input: 'echo: hello native',
    instructions: 'Be brief.',
    metadata: { trace: 't1' },
    max_output_tokens: 100,
    include: ['reasoning.encrypted_content'] as Array<'reasoning.encrypted_content'>,
    truncation: 'auto' as const,
  };
  const { data, response } = await t.client.responses.create(body).withResponse();
  assert.equal(data.output_text, 'hello native');
  assert.equal(data.object, 'response');
  assert.equal(data.model, 'gpt-4.1-mini-2025-01-01', 'the upstream object is relayed as is');
  assert.equal(response.headers.get('x-switchyard-provider'), 'openai');
  const up = last(native.requests);
  assert.equal(up.path, '/v1/responses');
  assert.deepEqual(up.body, body, 'the upstream got the original body');
  assert.equal(data.usage?.output_tokens, 2);
});

test('openai: streamed natively, events relayed in order, finalResponse()', async () => {
  const stream = t.client.responses.stream({ model: 'gpt-4o', input: 'echo: one two three' });
  const types: string[] = [];
  const seqs: number[] = [];
  for await (const ev of stream) {
    types.push(ev.type);
    seqs.push(ev.sequence_number);
  }
  const final = await stream.finalResponse();
  assert.equal(final.output_text, 'one two three');
  assert.equal(final.status, 'completed');
  assert.deepEqual(types.slice(0, 4), [
    'response.created',
    'response.in_progress',
    'response.output_item.added',
    'response.content_part.added',
  ]);
  assert.equal(last(types), 'response.completed');
  assert.deepEqual(
    seqs,
    seqs.map((_, i) => i),
  );
  assert.equal(last(native.requests).body.stream, true);
});

test('openai: function call round trip natively', async () => {
  const first = await t.client.responses.create({ model: 'gpt-4o', input: 'weather in Paris?', tools: [weather] });
  const call = first.output.find((o) => o.type === 'function_call');
  assert.ok(call && call.type === 'function_call');
  assert.equal(call.name, 'get_weather');
  const second = await t.client.responses.create({
    model: 'gpt-4o',
    tools: [weather],
    input: [
      { role: 'user', content: 'weather in Paris?' },
      call,
      { type: 'function_call_output', call_id: call.call_id, output: '{"temp":21}' },
    ],
  });
  assert.match(second.output_text, /Based on the tool result/);
  assert.equal(last(native.requests).body.input[2].type, 'function_call_output');
});

test('openai: upstream 429 is surfaced with retry-after', async () => {
  await assert.rejects(t.client.responses.create({ model: 'openai/error-429', input: 'hi' }), (e: any) => {
    assert.equal(e.status, 429);
    assert.equal(e.code, 'rate_limit_exceeded');
    assert.equal(e.headers.get('retry-after'), '1');
    return true;
  });
});

test('openai: a mid-stream upstream error becomes an error event then response.failed', async () => {
  const events = await rawStream({ model: 'openai/stream-error-midway', input: 'echo: a b c' });
  const types = events.map((e) => e.event);
  assert.equal(types[0], 'response.created');
  assert.ok(types.includes('response.output_text.delta'));
  assert.deepEqual(types.slice(-2), ['error', 'response.failed']);
  const seqs = events.map((e) => e.data.sequence_number);
  assert.deepEqual(
    seqs,
    seqs.map((_, i) => i),
  );
  assert.equal(last(events).data.response.status, 'failed');
  await eventually(() => last(records)?.requestedModel === 'openai/stream-error-midway');
  assert.equal(last(records).status, 502);
});

// ---- (b) chat-only OpenAI-compatible ----

test('chat-only: translated to chat completions; Responses object with usage', async () => {
  const r = await t.client.responses.create({
    model: 'chatonly/some-model',
    input: 'echo: translated',
    instructions: 'Be brief.',
    max_output_tokens: 50,
    temperature: 0.2,
    metadata: { k: 'v' },
  });
  assert.match(r.id, /^resp_[0-9a-f]{48}$/);
  assert.equal(r.object, 'response');
  assert.equal(r.status, 'completed');
  assert.equal(r.output_text, 'translated');
  assert.equal(r.output[0].type, 'message');
  assert.deepEqual(r.metadata, { k: 'v' });
  assert.equal(r.instructions, 'Be brief.');
  assert.equal(r.usage?.output_tokens, 1);
  assert.equal(r.usage?.total_tokens, (r.usage?.input_tokens ?? 0) + 1);
  assert.equal(r.usage?.input_tokens_details.cached_tokens, 0);
  assert.equal(r.usage?.output_tokens_details.reasoning_tokens, 0);
  const up = last(chatOnly.requests);
  assert.equal(up.path, '/v1/chat/completions');
  assert.deepEqual(up.body.messages, [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'echo: translated' },
  ]);
  assert.equal(up.body.max_completion_tokens, 50);
  assert.equal(up.body.temperature, 0.2);
  assert.equal(up.body.metadata, undefined);
});

test(
  'chat-only: Responses fields the translation cannot carry ' + 'are reported in x-switchyard-dropped-params',
  async () => {
    const { response } = await t.client.responses
      .create({
        model: 'chatonly/some-model',
        input: 'echo: dropped',
        truncation: 'auto',
        service_tier: 'flex',
      } as never)
      .withResponse();
    assert.deepEqual(response.headers.get('x-switchyard-dropped-params')?.split(',').sort(), [
      'service_tier',
      'truncation',
    ]);
  },
);

test('chat-only: streamed, the typed events in order, finalResponse()', async () => {
  const stream = t.client.responses.stream({ model: 'chatonly/m', input: 'echo: one two three' });
  const events = [];
  for await (const ev of stream) events.push(ev);
  const final = await stream.finalResponse();
  assert.equal(final.output_text, 'one two three');
  const types = events.map((e) => e.type);
  const deltas = types.filter((x) => x === 'response.output_text.delta').length;
  assert.deepEqual(types, [
    'response.created',
    'response.in_progress',
    'response.output_item.added',
    'response.content_part.added',
    ...Array(deltas).fill('response.output_text.delta'),
    'response.output_text.done',
    'response.content_part.done',
    'response.output_item.done',
    'response.completed',
  ]);
  assert.ok(deltas >= 3);
  assert.deepEqual(
    events.map((e) => e.sequence_number),
    events.map((_, i) => i),
  );
  assert.ok((final.usage?.input_tokens ?? 0) > 0, 'usage in response.completed');
  assert.equal(final.usage?.output_tokens, 3);
});

test('chat-only: text.format json_schema -> response_format', async () => {
  const r = await t.client.responses.create({
    model: 'chatonly/m',
    input: 'echo: hi',
    text: {
      format: {
        type: 'json_schema',
        name: 'reply',
        schema: { type: 'object', properties: { reply: { type: 'string' } } },
        strict: true,
      },
    },
  });
  assert.deepEqual(JSON.parse(r.output_text), { reply: 'hi' });
  assert.deepEqual(last(chatOnly.requests).body.response_format, {
    type: 'json_schema',
    json_schema: { name: 'reply', schema: { type: 'object', properties: { reply: { type: 'string' } } }, strict: true },
  });
  const j = await t.client.responses.create({
    model: 'chatonly/m',
    input: 'echo: x',
    text: { format: { type: 'json_object' } },
  });
  assert.deepEqual(JSON.parse(j.output_text), { reply: 'x' });
});

test('chat-only: max_output_tokens hit -> status incomplete with incomplete_details', async () => {
  const r = await t.client.responses.create({ model: 'chatonly/m', input: 'echo: a b c d e f', max_output_tokens: 2 });
  assert.equal(r.status, 'incomplete');
  assert.deepEqual(r.incomplete_details, { reason: 'max_output_tokens' });
});

test('chat-only: upstream 429 surfaced; mid-stream error as an error event', async () => {
  await assert.rejects(
    t.client.responses.create({ model: 'chatonly/error-429', input: 'hi' }),
    (e: any) => e.status === 429 && e.headers.get('retry-after') === '1',
  );
  const stream = t.client.responses.stream({ model: 'chatonly/stream-error-midway', input: 'echo: a b c' });
  await assert.rejects(stream.finalResponse());
  const events = await rawStream({ model: 'chatonly/stream-error-midway', input: 'echo: a b c' });
  assert.deepEqual(
    events.slice(-2).map((e) => e.event),
    ['error', 'response.failed'],
  );
  assert.equal(events.at(-2)!.data.message.length > 0, true);
  assert.equal(last(events).data.response.error.code, 'upstream_stream_error');
});

test('chat-only: built-in tools need a native upstream (400 naming tools)', async () => {
  await assert.rejects(
    t.client.responses.create({ model: 'chatonly/m', input: 'hi', tools: [{ type: 'web_search' }] }),
    (e: any) => {
      assert.equal(e.status, 400);
      assert.equal(e.param, 'tools');
      return true;
    },
  );
});

// ---- (c) Anthropic ----

test('anthropic: plain, with instructions as system', async () => {
  const r = await t.client.responses.create({
    model: 'anthropic/claude-sonnet-4-5',
    input: 'echo: bonjour',
    instructions: 'Answer in French.',
  });
  assert.equal(r.output_text, 'bonjour');
  const up = last(anth.requests);
  assert.equal(up.path, '/v1/messages');
  assert.deepEqual(up.body.system, [{ type: 'text', text: 'Answer in French.' }]);
});

test('anthropic: function call and function_call_output round trip', async () => {
  const first = await t.client.responses.create({
    model: 'anthropic/claude-sonnet-4-5',
    input: 'weather in Paris?',
    tools: [weather],
  });
  const call = first.output.find((o) => o.type === 'function_call');
  assert.ok(call && call.type === 'function_call');
  assert.equal(call.name, 'get_weather');
  assert.deepEqual(JSON.parse(call.arguments), { city: 'mock' });
  assert.match(call.call_id, /^toolu_/);
  assert.equal(last(anth.requests).body.tools[0].name, 'get_weather');
  const second = await t.client.responses.create({
    model: 'anthropic/claude-sonnet-4-5',
    tools: [weather],
    input: [
      { role: 'user', content: 'weather in Paris?' },
      call,
      { type: 'function_call_output', call_id: call.call_id, output: '{"temp":21}' },
    ],
  });
  assert.match(second.output_text, /Based on the tool result/);
  const msgs = last(anth.requests).body.messages;
  assert.equal(msgs[1].content[0].type, 'tool_use');
  assert.equal(msgs[2].content[0].type, 'tool_result');
  assert.equal(msgs[2].content[0].tool_use_id, call.call_id);
});

test('anthropic: streamed with finalResponse()', async () => {
  const stream = t.client.responses.stream({
    model: 'anthropic/claude-sonnet-4-5',
    input: 'echo: streamed from claude',
  });
  const types: string[] = [];
  for await (const ev of stream) types.push(ev.type);
  const final = await stream.finalResponse();
  assert.equal(final.output_text, 'streamed from claude');
  assert.equal(types[0], 'response.created');
  assert.equal(last(types), 'response.completed');
  assert.ok((final.usage?.output_tokens ?? 0) > 0);
});

test('anthropic: image input as a base64 data URL', async () => {
  const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
  const r = await t.client.responses.create({
    model: 'anthropic/claude-sonnet-4-5',
    input: [
      {
        role: 'user',
        content: [
          { type: 'input_text', text: 'What is this?' },
          { type: 'input_image', image_url: `data:image/png;base64,${png}`, detail: 'auto' },
        ],
      },
    ],
  });
  assert.match(r.output_text, /I see 1 image/);
  const block = last(anth.requests).body.messages[0].content.find((b: any) => b.type === 'image');
  assert.deepEqual(block.source, { type: 'base64', media_type: 'image/png', data: png });
});

test(
  'anthropic: reasoning.effort -> thinking; ' + 'reasoning items (plain and streamed) replay with their signature',
  async () => {
    const r = await t.client.responses.create({
      model: 'anthropic/claude-sonnet-4-5',
      input: 'echo: thought',
      reasoning: { effort: 'low' },
      max_output_tokens: 4000,
    });
    assert.equal(last(anth.requests).body.thinking.type, 'enabled');
    const rs = r.output[0];
    assert.equal(rs.type, 'reasoning');
    assert.ok(rs.type === 'reasoning' && rs.content?.[0].type === 'reasoning_text' && rs.content[0].text.length > 0);
    assert.match((rs as { encrypted_content?: string }).encrypted_content ?? '', /^sig_/);
    assert.equal(r.output_text, 'thought');
    assert.ok((r.usage?.output_tokens_details.reasoning_tokens ?? 0) > 0);

    const stream = t.client.responses.stream({
      model: 'anthropic/claude-sonnet-4-5',
      input: 'echo: streamed thought',
      reasoning: { effort: 'low' },
      max_output_tokens: 4000,
    });
    const types: string[] = [];
    for await (const ev of stream) types.push(ev.type);
    const final = await stream.finalResponse();
    assert.ok(types.includes('response.reasoning_text.delta'));
    assert.ok(types.indexOf('response.reasoning_text.done') < types.indexOf('response.output_text.delta'));
    assert.equal(final.output[0].type, 'reasoning');
    assert.match((final.output[0] as { encrypted_content?: string }).encrypted_content ?? '', /^sig_/);
    assert.equal(final.output_text, 'streamed thought');

    // Replayed as history: the thinking block goes back with its signature.
    await t.client.responses.create({
      model: 'anthropic/claude-sonnet-4-5',
      input: 'echo: next',
      previous_response_id: final.id,
      reasoning: { effort: 'low' },
      max_output_tokens: 4000,
    });
    const assistant = last(anth.requests).body.messages[1];
    assert.equal(assistant.role, 'assistant');
    assert.equal(assistant.content[0].type, 'thinking');
    assert.match(assistant.content[0].signature, /^sig_/);
  },
);

// ---- (d) Gemini ----

test('gemini: plain and instructions', async () => {
  const r = await t.client.responses.create({
    model: 'gemini/gemini-2.5-flash',
    input: 'echo: hola',
    instructions: 'Be terse.',
  });
  assert.equal(r.output_text, 'hola');
  assert.equal(r.status, 'completed');
  assert.deepEqual(last(gem.requests).body.systemInstruction.parts, [{ text: 'Be terse.' }]);
});

test('gemini: streamed function call with argument events', async () => {
  const stream = t.client.responses.stream({
    model: 'gemini/gemini-2.5-flash',
    input: 'weather?',
    tools: [weather],
    tool_choice: { type: 'function', name: 'get_weather' },
  });
  const types: string[] = [];
  for await (const ev of stream) types.push(ev.type);
  const final = await stream.finalResponse();
  const call = final.output.find((o) => o.type === 'function_call');
  assert.ok(call && call.type === 'function_call');
  assert.deepEqual(JSON.parse(call.arguments), { city: 'mock' });
  for (const x of [
    'response.output_item.added',
    'response.function_call_arguments.delta',
    'response.function_call_arguments.done',
    'response.output_item.done',
    'response.completed',
  ]) {
    assert.ok(types.includes(x), x);
  }
  assert.ok(!types.includes('response.output_text.delta'));
});

test('gemini: upstream 429 surfaced', async () => {
  await assert.rejects(
    t.client.responses.create({ model: 'gemini/error-429', input: 'hi' }),
    (e: any) => e.status === 429,
  );
});

// ---- previous_response_id ----

test('previous_response_id without a configured store: 400 naming the param', async () => {
  await assert.rejects(
    noStore.client.responses.create({ model: 'chatonly/m', input: 'hi', previous_response_id: 'resp_123' }),
    (e: any) => {
      assert.equal(e.status, 400);
      assert.equal(e.param, 'previous_response_id');
      assert.match(e.message, /store/);
      return true;
    },
  );
});

test('previous_response_id with a store replays history, scoped to the project', async () => {
  const first = await t.client.responses.create({
    model: 'anthropic/claude-sonnet-4-5',
    input: 'echo: remember me',
    instructions: 'Sys.',
  });
  assert.equal((first as { store?: boolean }).store, true);
  const second = await t.client.responses.create({
    model: 'chatonly/m',
    input: 'echo: again',
    previous_response_id: first.id,
  });
  assert.equal(second.output_text, 'again');
  assert.equal(second.previous_response_id, first.id);
  assert.deepEqual(last(chatOnly.requests).body.messages, [
    { role: 'user', content: 'echo: remember me' },
    { role: 'assistant', content: 'remember me' },
    { role: 'user', content: 'echo: again' },
  ]);
  // A chain: the third sees both earlier turns; the same project's other key may use it.
  const third = await alpha2Client.responses.create({
    model: 'chatonly/m',
    input: 'echo: third',
    previous_response_id: second.id,
  });
  assert.equal(third.output_text, 'third');
  assert.equal(last(chatOnly.requests).body.messages.length, 5);
  // Another project does not see it.
  await assert.rejects(
    betaClient.responses.create({ model: 'chatonly/m', input: 'x', previous_response_id: first.id }),
    (e: any) => {
      assert.equal(e.status, 400);
      assert.equal(e.code, 'previous_response_not_found');
      assert.equal(e.param, 'previous_response_id');
      return true;
    },
  );
  // store: false is not kept.
  const unstored = await t.client.responses.create({ model: 'chatonly/m', input: 'echo: x', store: false });
  await assert.rejects(
    t.client.responses.create({ model: 'chatonly/m', input: 'y', previous_response_id: unstored.id }),
    (e: any) => e.status === 400,
  );
});

test('previous_response_id: streamed answers are stored too; native upstream gets the expanded input', async () => {
  const stream = t.client.responses.stream({ model: 'chatonly/m', input: 'echo: streamed turn' });
  const first = await stream.finalResponse();
  const second = await t.client.responses.create({
    model: 'gpt-4o',
    input: 'echo: native follow-up',
    previous_response_id: first.id,
  });
  assert.equal(second.output_text, 'native follow-up');
  const up = last(native.requests).body;
  assert.equal(up.previous_response_id, undefined);
  assert.equal(up.input.length, 3);
  assert.equal(up.input[1].type, 'message');
  assert.equal(up.input[1].role, 'assistant');
  assert.equal(up.input[1].content[0].text, 'streamed turn');
  // and the native answer is itself stored
  const third = await t.client.responses.create({
    model: 'chatonly/m',
    input: 'echo: 3',
    previous_response_id: second.id,
  });
  assert.equal(third.output_text, '3');
  assert.equal(last(chatOnly.requests).body.messages.length, 5);
});

// ---- validation and auth ----

test('400 for bad input names the param (OpenAI error shape)', async () => {
  const cases: Array<[object, string]> = [
    [{ model: 'gpt-4o', input: 'hi', temperature: 5 }, 'temperature'],
    [{ input: 'hi' }, 'model'],
    [{ model: 'gpt-4o', input: [{ type: 'function_call_output', output: 'x' }] }, 'input[0].call_id'],
    [{ model: 'gpt-4o', input: [{ role: 'robot', content: 'x' }] }, 'input[0].role'],
    [{ model: 'gpt-4o', input: 'hi', tools: [{ type: 'function' }] }, 'tools[0].name'],
    [{ model: 'gpt-4o', input: 'hi', text: { format: { type: 'json_schema', schema: {} } } }, 'text.format.name'],
  ];
  for (const [body, param] of cases) {
    const res = await fetch(`${t.url}/v1/responses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer key-a' },
      body: JSON.stringify(body),
    });
    assert.equal(res.status, 400, param);
    const j: any = await res.json();
    assert.equal(j.error.param, param);
    assert.equal(j.error.type, 'invalid_request_error');
    assert.equal(typeof j.error.message, 'string');
  }
  await assert.rejects(
    t.client.responses.create({
      model: 'chatonly/m',
      input: [{ role: 'user', content: [{ type: 'input_image', file_id: 'file-1' }] }],
    } as any),
    (e: any) => e.status === 400 && e.param === 'input[0].content[0].image_url',
  );
});

test('401 without or with a wrong key; 404 for an unknown model', async () => {
  const anon = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: 'wrong', maxRetries: 0 });
  await assert.rejects(
    anon.responses.create({ model: 'gpt-4o', input: 'hi' }),
    (e: any) => e.status === 401 && e.code === 'invalid_api_key',
  );
  const res = await fetch(`${t.url}/v1/responses`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"model":"gpt-4o","input":"hi"}',
  });
  assert.equal(res.status, 401);
  await assert.rejects(t.client.responses.create({ model: 'nope/unknown-model', input: 'hi' }), (e: any) => {
    assert.equal(e.status, 404);
    assert.equal(e.code, 'model_not_found');
    return true;
  });
});

// ---- metering ----

test('usage is metered with the responses dialect (plain and streamed, native and translated)', async () => {
  records.length = 0;
  await t.client.responses.create({ model: 'anthropic/claude-sonnet-4-5', input: 'echo: metered' });
  const s = t.client.responses.stream({ model: 'gpt-4o', input: 'echo: metered stream' });
  await s.finalResponse();
  await eventually(() => records.length >= 2);
  const [a, b] = records;
  assert.equal(a.dialect, 'responses');
  assert.equal(a.provider, 'anthropic');
  assert.equal(a.project, 'alpha');
  assert.equal(a.completionTokens, 1);
  assert.ok(a.promptTokens > 0);
  assert.equal(b.provider, 'openai');
  assert.equal(b.stream, true);
  assert.equal(b.completionTokens, 2);
  assert.equal(b.totalTokens, b.promptTokens + 2);
  assert.equal(b.status, 200);
});

test('failover before the first byte: a native 429 moves on to a translated target (plain and streamed)', async () => {
  const f = await startGateway({
    providers: [
      openai({ apiKey: 'test-key', baseURL: native.url }),
      openaiCompatible({ name: 'chatonly', apiKey: 'test-key', baseURL: chatOnly.url }),
    ],
    routing: { aliases: { smart: ['openai/error-429', 'chatonly/m'] } },
    failover: { retries: 0, backoffMs: 1 },
  });
  try {
    const { data, response } = await f.client.responses
      .create({ model: 'smart', input: 'echo: rescued' })
      .withResponse();
    assert.equal(data.output_text, 'rescued');
    assert.equal(response.headers.get('x-switchyard-provider'), 'chatonly');
    assert.equal(response.headers.get('x-switchyard-attempts'), '2');
    const stream = f.client.responses.stream({ model: 'smart', input: 'echo: rescued stream' });
    const types: string[] = [];
    for await (const ev of stream) types.push(ev.type);
    assert.equal((await stream.finalResponse()).output_text, 'rescued stream');
    assert.equal(types[0], 'response.created');
    assert.equal(types.filter((x) => x === 'response.created').length, 1);
  } finally {
    await f.close();
  }
});

test('the response cache serves /v1/responses (native and translated answers), each with a fresh id', async () => {
  const c = await startGateway({
    providers: [
      openai({ apiKey: 'test-key', baseURL: native.url }),
      openaiCompatible({ name: 'chatonly', apiKey: 'test-key', baseURL: chatOnly.url }),
    ],
    failover: false,
    cache: { ttlSeconds: 60 },
  });
  try {
    for (const model of ['gpt-4o', 'chatonly/m']) {
      const a = await c.client.responses.create({ model, input: 'echo: cache me', temperature: 0 }).withResponse();
      const b = await c.client.responses.create({ model, input: 'echo: cache me', temperature: 0 }).withResponse();
      assert.equal(b.response.headers.get('x-switchyard-cache'), 'hit', model);
      assert.equal(b.data.output_text, 'cache me');
      assert.notEqual(b.data.id, a.data.id);
      const s = c.client.responses.stream({ model, input: 'echo: cache me', temperature: 0 });
      assert.equal((await s.finalResponse()).output_text, 'cache me');
    }
  } finally {
    await c.close();
  }
});
