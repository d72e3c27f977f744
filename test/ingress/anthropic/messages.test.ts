/**
 * The Anthropic Messages ingress (/v1/messages, /v1/messages/count_tokens), driven over HTTP with the
 * official @anthropic-ai/sdk client, routed to the emulated Anthropic (native passthrough), OpenAI
 * and Gemini upstreams and to the mock provider (canonical translation).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { anthropic, gemini, mock, openai, type UsageRecord } from '../../../index.js';
import { definePlugin } from '../../../core/plugin.js';
import { startAnthropicEmulator, type AnthropicEmulator } from '../../emulators/anthropic.js';
import { startGeminiEmulator, type GeminiEmulator } from '../../emulators/gemini.js';
import { startOpenAIEmulator, type OpenAIEmulator } from '../../emulators/openai.js';
import { eventually, startGateway, type TestGateway } from '../../helpers/gateway.js';

let anth: AnthropicEmulator;
let oai: OpenAIEmulator;
let gem: GeminiEmulator;
let t: TestGateway;
let client: Anthropic;
const records: UsageRecord[] = [];

const KEY = 'client-key';

before(async () => {
  anth = await startAnthropicEmulator();
  oai = await startOpenAIEmulator();
  gem = await startGeminiEmulator();
  t = await startGateway({
    providers: [
      anthropic({ apiKey: 'test-key', baseURL: anth.url }),
      openai({ apiKey: 'test-key', baseURL: oai.url }),
      gemini({ apiKey: 'test-key', baseURL: gem.url }),
      mock(),
    ],
    auth: { keys: [KEY] },
    routing: {
      aliases: {
        'fallback-to-openai': ['anthropic/overloaded', 'openai/gpt-4o'],
        'fallback-to-claude': ['anthropic/error-529', 'anthropic/claude-haiku-4-5'],
      },
    },
    failover: { retries: 0, backoffMs: 1, maxBackoffMs: 5 },
    plugins: [
      definePlugin({
        name: 'collect',
        apply(gw) {
          gw.hooks.meter.tap('collect', (r) => {
            records.push(r);
          });
        },
      })(),
    ],
  });
  client = new Anthropic({ baseURL: t.url, apiKey: KEY, maxRetries: 0, timeout: 10_000 });
});

after(async () => {
  await t.close();
  await Promise.all([anth.close(), oai.close(), gem.close()]);
});

const last = <T extends { requests: Array<{ body: any; path: string; headers: any }> }>(e: T) =>
  e.requests[e.requests.length - 1];
const rid = (name: string) => `${name}-${Math.random().toString(36).slice(2, 10)}`;
const record = async (id: string) => {
  await eventually(() => records.some((r) => r.requestId === id));
  return records.find((r) => r.requestId === id)!;
};

async function apiError(p: Promise<unknown>): Promise<InstanceType<typeof Anthropic.APIError>> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof Anthropic.APIError, `expected an APIError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected the request to fail');
}

/** A conversation using what only Anthropic understands: cache_control, thinking blocks, a document. */
const richBody = {
  model: 'anthropic/claude-sonnet-4-5',
  max_tokens: 4096,
  system: [{ type: 'text', text: 'You are terse.', cache_control: { type: 'ephemeral' } }],
  thinking: { type: 'enabled', budget_tokens: 2048 },
  metadata: { user_id: 'user-7' },
  messages: [
    {
      role: 'user',
      content: [{ type: 'text', text: 'first question', cache_control: { type: 'ephemeral', ttl: '1h' } }],
    },
    {
      role: 'assistant',
      content: [
        { type: 'thinking', thinking: 'Earlier reasoning.', signature: 'sig_earlier' },
        { type: 'redacted_thinking', data: 'EqQBCgIYAhIM' },
        { type: 'text', text: 'first answer' },
      ],
    },
    {
      role: 'user',
      content: [
        {
          type: 'document',
          source: { type: 'text', media_type: 'text/plain', data: 'some notes' },
          title: 'Notes',
          citations: { enabled: true },
        },
        { type: 'text', text: 'echo: native and faithful' },
      ],
    },
  ],
} as const;

// ---------------------------------------------------------------------------------------------
// Anthropic upstream: native passthrough

test(
  'anthropic target, plain: the body goes upstream as sent (model replaced) ' + 'and the Message comes back as-is',
  async () => {
    const id = rid('native-plain');
    const { data, response } = await client.messages
      .create(richBody as unknown as Anthropic.MessageCreateParamsNonStreaming, {
        headers: { 'x-request-id': id, 'anthropic-beta': 'context-1m-2025-08-07' },
      })
      .withResponse();
    const up = last(anth);
    assert.equal(up.path, '/v1/messages');
    assert.deepEqual(up.body, { ...richBody, model: 'claude-sonnet-4-5' });
    assert.equal(
      JSON.stringify(up.body),
      JSON.stringify({ ...richBody, model: 'claude-sonnet-4-5' }),
      'same keys in the same order',
    );
    assert.equal(up.headers['x-api-key'], 'test-key', 'the provider key, never the client key');
    assert.equal(up.headers['anthropic-version'], '2023-06-01');
    assert.equal(up.headers['anthropic-beta'], 'context-1m-2025-08-07', 'client beta header forwarded');
    assert.equal(up.headers.authorization, undefined);

    assert.equal(response.headers.get('x-switchyard-provider'), 'anthropic');
    assert.equal(response.headers.get('x-request-id'), id);
    assert.match(data.id, /^msg_[0-9a-f]{20}$/);
    assert.equal(data.model, 'claude-sonnet-4-5');
    assert.deepEqual(
      data.content.map((b) => b.type),
      ['thinking', 'text'],
    );
    assert.match((data.content[0] as Anthropic.ThinkingBlock).signature, /^sig_[0-9a-f]{20}$/);
    assert.equal((data.content[1] as Anthropic.TextBlock).text, 'native and faithful');
    assert.equal(data.stop_reason, 'end_turn');
    assert.equal(data.usage.cache_read_input_tokens, 2048);
    assert.equal(data.usage.cache_creation_input_tokens, 512);
    assert.equal(
      (data.usage as unknown as Record<string, unknown>).service_tier,
      'standard',
      'fields the gateway does not know survive',
    );

    const r = await record(id);
    assert.equal(r.dialect, 'anthropic');
    assert.equal(r.provider, 'anthropic');
    assert.equal(r.status, 200);
    assert.equal(r.promptTokens, data.usage.input_tokens + 2048 + 512);
    assert.equal(r.cachedTokens, 2048);
    assert.equal(r.completionTokens, data.usage.output_tokens);
  },
);

test('anthropic target, streamed: the upstream SSE events are relayed byte for byte', async () => {
  const body = { ...richBody, stream: true };
  const direct = await fetch(`${anth.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': 'test-key', 'anthropic-version': '2023-06-01' },
    body: JSON.stringify({ ...body, model: 'claude-sonnet-4-5' }),
  });
  const expected = await direct.text();
  const id = rid('native-sse');
  const res = await fetch(`${t.url}/v1/messages`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-api-key': KEY,
      'anthropic-version': '2023-06-01',
      'x-request-id': id,
    },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
  assert.equal(await res.text(), expected);
  assert.deepEqual(last(anth).body, { ...body, model: 'claude-sonnet-4-5' });
  const r = await record(id);
  assert.equal(r.stream, true);
  assert.equal(r.cachedTokens, 2048);
  assert.ok(r.completionTokens > 0);
});

test('anthropic target, SDK stream: event sequence, finalMessage with thinking signature', async () => {
  const stream = client.messages.stream(richBody as unknown as Anthropic.MessageStreamParams);
  const types: string[] = [];
  for await (const ev of stream) types.push(ev.type === 'content_block_delta' ? `delta:${ev.delta.type}` : ev.type);
  const msg = await stream.finalMessage();
  assert.equal(types[0], 'message_start');
  assert.deepEqual(types.slice(-2), ['message_delta', 'message_stop']);
  for (const d of ['delta:thinking_delta', 'delta:signature_delta', 'delta:text_delta'])
    assert.ok(types.includes(d), d);
  assert.deepEqual(
    msg.content.map((b) => b.type),
    ['thinking', 'text'],
  );
  assert.match((msg.content[0] as Anthropic.ThinkingBlock).signature, /^sig_/);
  assert.equal((msg.content[1] as Anthropic.TextBlock).text, 'native and faithful');
  assert.equal(msg.usage.cache_read_input_tokens, 2048);
});

test('anthropic target: tool_use round trip (plain and streamed) with the body passed through', async () => {
  const tools: Anthropic.Tool[] = [
    {
      name: 'get_weather',
      description: 'Weather for a city',
      input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    },
  ];
  const first = await client.messages.create({
    model: 'anthropic/claude-sonnet-4-5',
    max_tokens: 512,
    tools,
    tool_choice: { type: 'any', disable_parallel_tool_use: true },
    messages: [{ role: 'user', content: 'What is the weather? use get_weather' }],
  });
  assert.equal(first.stop_reason, 'tool_use');
  const use = first.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use')!;
  assert.equal(use.name, 'get_weather');
  assert.deepEqual(last(anth).body.tool_choice, { type: 'any', disable_parallel_tool_use: true });

  const stream = client.messages.stream({
    model: 'anthropic/claude-sonnet-4-5',
    max_tokens: 512,
    tools,
    messages: [
      { role: 'user', content: 'What is the weather? use get_weather' },
      { role: 'assistant', content: first.content },
      {
        role: 'user',
        content: [{ type: 'tool_result', tool_use_id: use.id, content: [{ type: 'text', text: 'sunny, 21C' }] }],
      },
    ],
  });
  const msg = await stream.finalMessage();
  assert.equal(msg.stop_reason, 'end_turn');
  assert.match((msg.content[0] as Anthropic.TextBlock).text, /Based on the tool result/);
  assert.deepEqual(last(anth).body.messages[2].content[0], {
    type: 'tool_result',
    tool_use_id: use.id,
    content: [{ type: 'text', text: 'sunny, 21C' }],
  });
});

// ---------------------------------------------------------------------------------------------
// OpenAI upstream: canonical translation

test('openai target, plain: system, sampling, stop sequences, metadata translated; Message rendered', async () => {
  const id = rid('oai-plain');
  const { data, response } = await client.messages
    .create(
      {
        model: 'openai/gpt-4o',
        max_tokens: 300,
        system: 'Be brief.',
        temperature: 0.3,
        top_p: 0.9,
        stop_sequences: ['END'],
        metadata: { user_id: 'u-1' },
        messages: [{ role: 'user', content: 'echo: hello openai' }],
      },
      { headers: { 'x-request-id': id } },
    )
    .withResponse();
  const up = last(oai).body;
  assert.deepEqual(up.messages, [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'echo: hello openai' },
  ]);
  assert.equal(up.model, 'gpt-4o');
  assert.equal(up.max_tokens, 300);
  assert.equal(up.temperature, 0.3);
  assert.equal(up.top_p, 0.9);
  assert.deepEqual(up.stop, ['END']);
  assert.equal(up.user, 'u-1');
  assert.equal(up.stream, undefined);
  assert.equal(response.headers.get('x-switchyard-provider'), 'openai');
  assert.equal(data.type, 'message');
  assert.equal(data.role, 'assistant');
  assert.match(data.id, /^msg_/);
  assert.deepEqual(data.content, [{ type: 'text', text: 'hello openai' }]);
  assert.equal(data.stop_reason, 'end_turn');
  assert.equal(data.stop_sequence, null);
  assert.ok(data.usage.input_tokens > 0 && data.usage.output_tokens > 0);
  const r = await record(id);
  assert.equal(r.dialect, 'anthropic');
  assert.equal(r.promptTokens, data.usage.input_tokens);
  assert.equal(r.completionTokens, data.usage.output_tokens);
});

test('openai target, streamed: the full Anthropic event sequence and finalMessage', async () => {
  const id = rid('oai-sse');
  const stream = client.messages.stream(
    {
      model: 'openai/gpt-4o',
      max_tokens: 300,
      messages: [{ role: 'user', content: 'echo: one two three four' }],
    },
    { headers: { 'x-request-id': id } },
  );
  const events: Anthropic.MessageStreamEvent[] = [];
  for await (const ev of stream) events.push(ev);
  const msg = await stream.finalMessage();
  const types = events.map((e) => e.type);
  assert.equal(types[0], 'message_start');
  assert.equal(types[1], 'content_block_start');
  assert.deepEqual(types.slice(-3), ['content_block_stop', 'message_delta', 'message_stop']);
  assert.ok(
    events
      .filter((e) => e.type === 'content_block_delta')
      .every((e) => (e as Anthropic.RawContentBlockDeltaEvent).delta.type === 'text_delta'),
  );
  assert.deepEqual(
    msg.content,
    [{ type: 'text', text: 'one two three four', citations: undefined }].map(({ citations: _, ...b }) => b),
  );
  assert.equal(msg.stop_reason, 'end_turn');
  assert.ok(msg.usage.input_tokens > 0 && msg.usage.output_tokens > 0, 'usage from message_delta');
  assert.equal(last(oai).body.stream, true);
  assert.equal(last(oai).body.stream_options?.include_usage, true);
  const r = await record(id);
  assert.equal(r.stream, true);
  assert.equal(r.completionTokens, msg.usage.output_tokens);
});

test('openai target: tools, tool_choice and the tool_use round trip, streamed input_json_delta', async () => {
  const tools: Anthropic.Tool[] = [
    { name: 'get_weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } },
    { name: 'get_time', description: 'Time', input_schema: { type: 'object', properties: {} } },
  ];
  const stream = client.messages.stream({
    model: 'openai/gpt-4o',
    max_tokens: 300,
    tools,
    tool_choice: { type: 'tool', name: 'get_time', disable_parallel_tool_use: true },
    messages: [{ role: 'user', content: 'what time is it' }],
  });
  const deltas: string[] = [];
  stream.on('inputJson', (partial) => deltas.push(partial));
  const msg = await stream.finalMessage();
  const up = last(oai).body;
  assert.deepEqual(up.tools[1], {
    type: 'function',
    function: { name: 'get_time', description: 'Time', parameters: { type: 'object', properties: {} } },
  });
  assert.deepEqual(up.tool_choice, { type: 'function', function: { name: 'get_time' } });
  assert.equal(up.parallel_tool_calls, false);
  assert.equal(msg.stop_reason, 'tool_use');
  const use = msg.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use')!;
  assert.equal(use.name, 'get_time');
  assert.equal(typeof use.input, 'object');
  assert.ok(deltas.length > 0, 'input_json_delta events');

  const second = await client.messages.create({
    model: 'openai/gpt-4o',
    max_tokens: 300,
    tools,
    tool_choice: { type: 'none' },
    messages: [
      { role: 'user', content: 'what time is it' },
      { role: 'assistant', content: msg.content },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: use.id, content: '12:00', is_error: false },
          { type: 'text', text: 'thanks' },
        ],
      },
    ],
  });
  const msgs = last(oai).body.messages;
  assert.equal(msgs[1].role, 'assistant');
  assert.equal(msgs[1].tool_calls[0].id, use.id);
  assert.deepEqual(JSON.parse(msgs[1].tool_calls[0].function.arguments), use.input);
  assert.deepEqual(msgs[2], { role: 'tool', tool_call_id: use.id, content: '12:00' });
  assert.deepEqual(msgs[3], { role: 'user', content: 'thanks' });
  assert.equal(last(oai).body.tool_choice, 'none');
  assert.equal(second.content[0].type, 'text');
});

test('openai target: base64 and URL images become image_url parts', async () => {
  const png = Buffer.from('89504e470d0a1a0a', 'hex').toString('base64');
  const msg = await client.messages.create({
    model: 'openai/gpt-4o',
    max_tokens: 200,
    messages: [
      {
        role: 'user',
        content: [
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: png } },
          { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
          { type: 'text', text: 'what is in these?' },
        ],
      },
    ],
  });
  assert.deepEqual(last(oai).body.messages[0].content, [
    { type: 'image_url', image_url: { url: `data:image/png;base64,${png}` } },
    { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
    { type: 'text', text: 'what is in these?' },
  ]);
  assert.match((msg.content[0] as Anthropic.TextBlock).text, /I see 2 images/);
});

test('openai target: an error after the stream started arrives as an Anthropic error event', async () => {
  const stream = client.messages.stream({
    model: 'openai/stream-error-midway',
    max_tokens: 100,
    messages: [{ role: 'user', content: 'echo: a b c d e f' }],
  });
  await assert.rejects(stream.finalMessage(), (e: unknown) => e instanceof Anthropic.APIError);
  const res = await fetch(`${t.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': KEY },
    body: JSON.stringify({
      model: 'openai/stream-error-midway',
      max_tokens: 100,
      stream: true,
      messages: [{ role: 'user', content: 'echo: a b c d e f' }],
    }),
  });
  const text = await res.text();
  const m = /event: error\ndata: (.*)\n\n$/.exec(text);
  assert.ok(m, text);
  const body = JSON.parse(m[1]);
  assert.equal(body.type, 'error');
  assert.equal(typeof body.error.type, 'string');
  assert.equal(typeof body.error.message, 'string');
  assert.ok(!text.includes('message_stop'));
});

// ---------------------------------------------------------------------------------------------
// Gemini upstream and the mock provider

test('gemini target: plain and streamed, system instruction and tools translated', async () => {
  const plain = await client.messages.create({
    model: 'gemini/gemini-2.5-flash',
    max_tokens: 200,
    system: 'Be brief.',
    messages: [{ role: 'user', content: 'echo: hi gemini' }],
  });
  assert.deepEqual(plain.content, [{ type: 'text', text: 'hi gemini' }]);
  const up = last(gem).body;
  assert.ok(JSON.stringify(up.systemInstruction).includes('Be brief.'));
  const stream = client.messages.stream({
    model: 'gemini/gemini-2.5-flash',
    max_tokens: 200,
    tools: [{ name: 'lookup', input_schema: { type: 'object', properties: { q: { type: 'string' } } } }],
    messages: [{ role: 'user', content: 'lookup something' }],
  });
  const msg = await stream.finalMessage();
  assert.equal(msg.stop_reason, 'tool_use');
  assert.equal((msg.content.find((b) => b.type === 'tool_use') as Anthropic.ToolUseBlock).name, 'lookup');
  const text = await client.messages
    .stream({
      model: 'gemini/gemini-2.5-flash',
      max_tokens: 200,
      messages: [{ role: 'user', content: 'echo: streamed from gemini' }],
    })
    .finalText();
  assert.equal(text, 'streamed from gemini');
});

test('mock target: plain and streamed', async () => {
  const plain = await client.messages.create({
    model: 'mock/mock-small',
    max_tokens: 100,
    messages: [{ role: 'user', content: 'echo: mock says hi' }],
  });
  assert.deepEqual(plain.content, [{ type: 'text', text: 'mock says hi' }]);
  assert.equal(plain.model, 'mock-small');
  const text = await client.messages
    .stream({
      model: 'mock/mock-small',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'echo: mock streams too' }],
    })
    .finalText();
  assert.equal(text, 'mock streams too');
});

// ---------------------------------------------------------------------------------------------
// Failover

test('streamed failover before the first byte: overloaded Anthropic target, then OpenAI (translated)', async () => {
  const id = rid('failover');
  const stream = client.messages.stream(
    { model: 'fallback-to-openai', max_tokens: 100, messages: [{ role: 'user', content: 'echo: rescued stream' }] },
    { headers: { 'x-request-id': id } },
  );
  assert.equal(await stream.finalText(), 'rescued stream');
  const r = await record(id);
  assert.equal(r.provider, 'openai');
  assert.equal(r.attempts, 2);
  assert.equal(r.status, 200);
});

test('streamed failover between Anthropic targets keeps the passthrough', async () => {
  const before = anth.requests.length;
  const { response } = await client.messages
    .create({
      model: 'fallback-to-claude',
      max_tokens: 100,
      stream: true,
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'echo: second try', cache_control: { type: 'ephemeral' } }] },
      ],
    })
    .withResponse();
  const text = await response.text();
  assert.equal(response.headers.get('x-switchyard-attempts'), '2');
  const ups = anth.requests.slice(before);
  assert.deepEqual(
    ups.map((u) => u.body.model),
    ['error-529', 'claude-haiku-4-5'],
  );
  assert.deepEqual(ups[1].body.messages[0].content[0].cache_control, { type: 'ephemeral' });
  assert.match(text, /^event: message_start\n/);
  assert.match(text, /event: ping\n/, 'the upstream ping is relayed too');
});

// ---------------------------------------------------------------------------------------------
// Errors and auth

test("a bad body is a 400 in Anthropic's error shape", async () => {
  const e = await apiError(
    client.messages.create({
      model: 'openai/gpt-4o',
      messages: [{ role: 'user', content: 'hi' }],
    } as unknown as Anthropic.MessageCreateParamsNonStreaming),
  );
  assert.ok(e instanceof Anthropic.BadRequestError);
  const body = e.error as { type: string; error: { type: string; message: string }; request_id: string };
  assert.equal(body.type, 'error');
  assert.equal(body.error.type, 'invalid_request_error');
  assert.match(body.error.message, /max_tokens is required/);
  assert.equal(body.request_id, e.headers?.get('x-request-id'));

  const bad = await apiError(
    client.messages.create({
      model: 'openai/gpt-4o',
      max_tokens: 10,
      messages: [{ role: 'system', content: 'hi' }],
    } as unknown as Anthropic.MessageCreateParamsNonStreaming),
  );
  assert.match((bad.error as any).error.message, /messages\[0\]\.role must be one of "user", "assistant"/);
  const block = await apiError(
    client.messages.create({
      model: 'openai/gpt-4o',
      max_tokens: 10,
      messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png' } }] }],
    } as unknown as Anthropic.MessageCreateParamsNonStreaming),
  );
  assert.match((block.error as any).error.message, /messages\[0\]\.content\[0\]\.source\.data is required/);
  const choice = await apiError(
    client.messages.create({
      model: 'openai/gpt-4o',
      max_tokens: 10,
      tool_choice: { type: 'tool' },
      messages: [{ role: 'user', content: 'hi' }],
    } as unknown as Anthropic.MessageCreateParamsNonStreaming),
  );
  assert.match((choice.error as any).error.message, /tool_choice\.name is required/);

  const res = await fetch(`${t.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': KEY },
    body: '{not json',
  });
  assert.equal(res.status, 400);
  const json = await res.json();
  assert.equal(json.type, 'error');
  assert.equal(json.error.type, 'invalid_request_error');
});

test('auth: x-api-key and Authorization: Bearer both work; missing or wrong keys are 401', async () => {
  const bearer = new Anthropic({ baseURL: t.url, apiKey: null, authToken: KEY, maxRetries: 0 });
  const msg = await bearer.messages.create({
    model: 'mock/mock-small',
    max_tokens: 50,
    messages: [{ role: 'user', content: 'echo: bearer ok' }],
  });
  assert.equal((msg.content[0] as Anthropic.TextBlock).text, 'bearer ok');
  const wrong = new Anthropic({ baseURL: t.url, apiKey: 'nope', maxRetries: 0 });
  const e = await apiError(
    wrong.messages.create({ model: 'mock/mock-small', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] }),
  );
  assert.ok(e instanceof Anthropic.AuthenticationError);
  assert.equal((e.error as any).error.type, 'authentication_error');
  const res = await fetch(`${t.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'mock/mock-small', max_tokens: 5, messages: [] }),
  });
  assert.equal(res.status, 401);
  assert.equal((await res.json()).error.type, 'authentication_error');
});

test('unknown model: 404 not_found_error', async () => {
  const e = await apiError(
    client.messages.create({ model: 'nowhere/nothing', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }),
  );
  assert.ok(e instanceof Anthropic.NotFoundError);
  assert.equal((e.error as any).error.type, 'not_found_error');
});

test('upstream 429 and 529 surface as RateLimitError and InternalServerError (overloaded_error)', async () => {
  const rl = await apiError(
    client.messages.create({
      model: 'anthropic/error-429',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'hi' }],
    }),
  );
  assert.ok(rl instanceof Anthropic.RateLimitError);
  assert.equal((rl.error as any).error.type, 'rate_limit_error');
  assert.equal(rl.headers?.get('retry-after'), '1');
  const orl = await apiError(
    client.messages.create({ model: 'openai/error-429', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }),
  );
  assert.ok(orl instanceof Anthropic.RateLimitError);
  const ov = await apiError(
    client.messages.create({
      model: 'anthropic/overloaded',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'hi' }],
    }),
  );
  assert.ok(ov instanceof Anthropic.InternalServerError);
  assert.equal(ov.status, 503);
  assert.equal((ov.error as any).error.type, 'overloaded_error');
  assert.equal((ov.error as any).error.message, 'Overloaded');
  // Streamed requests refused before the first byte get the same answer.
  const st = await apiError(
    client.messages.create({
      model: 'anthropic/error-429',
      max_tokens: 10,
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    }),
  );
  assert.ok(st instanceof Anthropic.RateLimitError);
});

test(
  'anthropic target: an upstream error event mid-stream ' + 'is relayed as event: error and metered as a failure',
  async () => {
    const id = rid('midway');
    const stream = client.messages.stream(
      {
        model: 'anthropic/stream-error-midway',
        max_tokens: 100,
        messages: [{ role: 'user', content: 'echo: a b c d e f g' }],
      },
      { headers: { 'x-request-id': id } },
    );
    await assert.rejects(
      stream.finalMessage(),
      (e: unknown) => e instanceof Anthropic.APIError && /Overloaded/.test(e.message),
    );
    const r = await record(id);
    assert.notEqual(r.status, 200);
    assert.equal(r.errorCode, 'overloaded_error');
  },
);

// ---------------------------------------------------------------------------------------------
// count_tokens

test('count_tokens: answered by Anthropic natively, estimated (and marked) for other providers', async () => {
  const params = {
    model: 'anthropic/claude-sonnet-4-5',
    system: 'Be brief.',
    messages: [{ role: 'user' as const, content: 'count these words please' }],
  };
  const { data, response } = await client.messages.countTokens(params).withResponse();
  const up = last(anth);
  assert.equal(up.path, '/v1/messages/count_tokens');
  assert.deepEqual(up.body, { ...params, model: 'claude-sonnet-4-5' });
  assert.ok(data.input_tokens > 0);
  assert.equal(response.headers.get('x-switchyard-estimated'), null);

  const est = await client.messages.countTokens({ ...params, model: 'openai/gpt-4o' }).withResponse();
  assert.equal(est.response.headers.get('x-switchyard-estimated'), 'true');
  assert.ok(est.data.input_tokens > 0 && est.data.input_tokens < 50, String(est.data.input_tokens));
  const withImage = await client.messages.countTokens({
    model: 'mock/mock-small',
    messages: [
      { role: 'user', content: [{ type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } }] },
    ],
  });
  assert.ok(withImage.input_tokens >= 1600);

  const e = await apiError(client.messages.countTokens({ ...params, model: 'nowhere/nothing' }));
  assert.ok(e instanceof Anthropic.NotFoundError);
  const bad = await apiError(
    client.messages.countTokens({ model: 'openai/gpt-4o' } as unknown as Anthropic.MessageCountTokensParams),
  );
  assert.ok(bad instanceof Anthropic.BadRequestError);
});

// ---------------------------------------------------------------------------------------------
// When passthrough steps aside

test(
  'a transform.request rewrite is honoured (canonical route to Anthropic); ' + 'cache hits render as Messages',
  async () => {
    const emu = await startAnthropicEmulator();
    const gw = await startGateway({
      providers: [anthropic({ apiKey: 'test-key', baseURL: emu.url })],
      cache: { ttlSeconds: 60 },
      plugins: [
        definePlugin({
          name: 'cooler',
          apply(g) {
            g.hooks.transformRequest.tap('cooler', (req) => ({ ...req, temperature: 0.25 }));
          },
        })(),
      ],
    });
    try {
      const c = new Anthropic({ baseURL: gw.url, apiKey: 'unused', maxRetries: 0 });
      const params: Anthropic.MessageCreateParamsNonStreaming = {
        model: 'anthropic/claude-sonnet-4-5',
        max_tokens: 100,
        system: [{ type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral' } }],
        messages: [{ role: 'user', content: 'echo: rewritten' }],
      };
      const first = await c.messages.create(params).withResponse();
      const up = last(emu).body;
      assert.equal(up.temperature, 0.25, 'the rewrite reached the upstream');
      assert.deepEqual(up.system, [{ type: 'text', text: 'Be brief.' }], 'translated from the canonical request');
      assert.deepEqual(first.data.content, [{ type: 'text', text: 'rewritten' }]);
      assert.equal(first.response.headers.get('x-switchyard-cache'), 'miss');

      await new Promise((r) => setTimeout(r, 50));
      const count = emu.requests.length;
      const second = await c.messages.create(params).withResponse();
      assert.equal(second.response.headers.get('x-switchyard-cache'), 'hit');
      assert.equal(emu.requests.length, count);
      assert.equal(second.data.type, 'message');
      assert.deepEqual(second.data.content, [{ type: 'text', text: 'rewritten' }]);
      const streamed = await c.messages.stream(params).finalMessage();
      assert.deepEqual(streamed.content, [{ type: 'text', text: 'rewritten' }]);
    } finally {
      await gw.close();
      await emu.close();
    }
  },
);
