/**
 * The anthropic provider, driven over HTTP with the official openai client against an emulated
 * Anthropic Messages API. Every test checks both what the client got and what the upstream received.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { createGateway, type SwitchyardGateway } from '../../index.js';
import { anthropic } from '../../plugins/providers/anthropic/index.js';
import { JSON_OBJECT_INSTRUCTION, jsonToolInstruction } from '../../plugins/providers/anthropic/request.js';
import { startAnthropicEmulator, type AnthropicEmulator } from '../emulators/anthropic.js';

let emu: AnthropicEmulator;
let gw: SwitchyardGateway;
let client: OpenAI;
let baseUrl: string;

const MODEL = 'anthropic/claude-sonnet-4-5';

before(async () => {
  emu = await startAnthropicEmulator();
  gw = await createGateway({
    providers: [
      anthropic({ apiKey: 'test-key', baseURL: emu.url }),
      anthropic({ name: 'wrongkey', apiKey: 'not-the-key', baseURL: emu.url }),
      anthropic({ name: 'quick', apiKey: 'test-key', baseURL: emu.url, timeoutMs: 300, defaultMaxTokens: 1000 }),
    ],
    logging: { level: 'silent' },
    failover: false,
  });
  const { url } = await gw.listen({ port: 0 });
  baseUrl = url;
  client = new OpenAI({ baseURL: url + '/v1', apiKey: 'unused', maxRetries: 0 });
});

after(async () => {
  await gw.close();
  await emu.close();
});

/** The body the emulator received for the last request. */
const lastUpstream = () => emu.requests[emu.requests.length - 1];

async function collect(stream: AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>) {
  const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
  for await (const c of stream) chunks.push(c);
  return chunks;
}

async function apiError(p: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof OpenAI.APIError, `expected an APIError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected the request to fail');
}

test('plain completion: request translated to /v1/messages, answer mapped back', async () => {
  const { data, response } = await client.chat.completions
    .create({
      model: MODEL,
      messages: [{ role: 'user', content: 'echo: Hello from the gateway' }],
    })
    .withResponse();
  assert.equal(data.object, 'chat.completion');
  assert.match(data.id, /^msg_[0-9a-f]{20}$/);
  assert.equal(data.model, 'claude-sonnet-4-5');
  assert.equal(data.choices.length, 1);
  assert.equal(data.choices[0].message.role, 'assistant');
  assert.equal(data.choices[0].message.content, 'Hello from the gateway');
  assert.equal(data.choices[0].finish_reason, 'stop');
  assert.equal(response.headers.get('x-switchyard-dropped-params'), null);

  const up = lastUpstream();
  assert.equal(up.method, 'POST');
  assert.equal(up.path, '/v1/messages');
  assert.equal(up.headers['x-api-key'], 'test-key');
  assert.equal(up.headers['anthropic-version'], '2023-06-01');
  assert.equal(up.headers['content-type'], 'application/json');
  assert.equal(up.headers.authorization, undefined);
  assert.deepEqual(up.body, {
    model: 'claude-sonnet-4-5',
    max_tokens: 4096,
    messages: [{ role: 'user', content: [{ type: 'text', text: 'echo: Hello from the gateway' }] }],
  });
});

test('bare claude-* model names are claimed by the provider', async () => {
  const res = await client.chat.completions.create({
    model: 'claude-future-9',
    messages: [{ role: 'user', content: 'echo: routed' }],
  });
  assert.equal(res.choices[0].message.content, 'routed');
  assert.equal(lastUpstream().body.model, 'claude-future-9');
  const models = await client.models.list();
  const ids = models.data.map((m) => m.id);
  assert.ok(
    ids.some((id) => id.includes('claude-sonnet-4-5')),
    ids.join(','),
  );
});

test('system and developer messages become top-level system blocks', async () => {
  const res = await client.chat.completions.create({
    model: MODEL,
    messages: [
      { role: 'system', content: 'You are terse.' },
      { role: 'developer', content: [{ type: 'text', text: 'Answer in English.' }] },
      { role: 'user', content: 'echo: ok' },
    ],
    temperature: 0.3,
    top_p: 0.9,
  });
  assert.equal(res.choices[0].message.content, 'ok');
  const body = lastUpstream().body;
  assert.deepEqual(body.system, [
    { type: 'text', text: 'You are terse.' },
    { type: 'text', text: 'Answer in English.' },
  ]);
  assert.deepEqual(body.messages, [{ role: 'user', content: [{ type: 'text', text: 'echo: ok' }] }]);
  assert.equal(body.temperature, 0.3);
  assert.equal(body.top_p, 0.9);
});

test('multi-turn: consecutive same-role messages are merged, temperature clamped to 1', async () => {
  const res = await client.chat.completions.create({
    model: MODEL,
    messages: [
      { role: 'user', content: 'First question.' },
      { role: 'user', content: 'Second part of it.' },
      { role: 'assistant', content: 'An answer.' },
      { role: 'assistant', content: 'More answer.' },
      { role: 'user', content: 'echo: follow-up done' },
    ],
    temperature: 1.7,
    user: 'user-42',
  });
  assert.equal(res.choices[0].message.content, 'follow-up done');
  const body = lastUpstream().body;
  assert.deepEqual(body.messages, [
    {
      role: 'user',
      content: [
        { type: 'text', text: 'First question.' },
        { type: 'text', text: 'Second part of it.' },
      ],
    },
    {
      role: 'assistant',
      content: [
        { type: 'text', text: 'An answer.' },
        { type: 'text', text: 'More answer.' },
      ],
    },
    { role: 'user', content: [{ type: 'text', text: 'echo: follow-up done' }] },
  ]);
  assert.equal(body.temperature, 1);
  assert.deepEqual(body.metadata, { user_id: 'user-42' });
});

test('streamed completion: role first, content assembled, finish_reason, no usage chunk unasked', async () => {
  const full = await client.chat.completions.create({
    model: MODEL,
    messages: [{ role: 'user', content: 'Tell me about gateways.' }],
  });
  const chunks = await collect(
    await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'Tell me about gateways.' }],
      stream: true,
    }),
  );
  assert.equal(lastUpstream().body.stream, true);
  assert.equal(lastUpstream().headers.accept, 'text/event-stream');
  assert.equal(chunks[0].choices[0].delta.role, 'assistant');
  assert.ok(chunks.every((c) => c.object === 'chat.completion.chunk' && c.id === full.id));
  const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
  assert.equal(text, full.choices[0].message.content);
  assert.ok(text.length > 20);
  assert.ok(chunks.length > 5, 'content arrives in several chunks');
  const last = chunks[chunks.length - 1];
  assert.equal(last.choices[0].finish_reason, 'stop');
  assert.ok(
    chunks.every((c) => !c.usage),
    'no usage chunk without include_usage',
  );
});

test('stream usage with include_usage matches the non-streamed usage', async () => {
  const messages = [{ role: 'user' as const, content: 'Count the words here.' }];
  const full = await client.chat.completions.create({ model: MODEL, messages });
  const chunks = await collect(
    await client.chat.completions.create({
      model: MODEL,
      messages,
      stream: true,
      stream_options: { include_usage: true },
    }),
  );
  const last = chunks[chunks.length - 1];
  assert.deepEqual(last.choices, []);
  assert.ok(last.usage);
  assert.equal(last.usage.prompt_tokens, full.usage!.prompt_tokens);
  assert.equal(last.usage.completion_tokens, full.usage!.completion_tokens);
  assert.equal(last.usage.total_tokens, full.usage!.prompt_tokens + full.usage!.completion_tokens);
  assert.ok(last.usage.prompt_tokens > 5);
  assert.equal(chunks[chunks.length - 2].choices[0].finish_reason, 'stop');
});

const weatherTool: OpenAI.Chat.Completions.ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['c', 'f'] } },
      required: ['city'],
    },
  },
};
const timeTool: OpenAI.Chat.Completions.ChatCompletionTool = {
  type: 'function',
  function: { name: 'get_time', parameters: { type: 'object', properties: { zone: { type: 'string' } } } },
};

test('tools: a single call, tools translated to input_schema', async () => {
  const res = await client.chat.completions.create({
    model: MODEL,
    messages: [{ role: 'user', content: 'What is the weather in Paris?' }],
    tools: [weatherTool],
  });
  const msg = res.choices[0].message;
  assert.equal(res.choices[0].finish_reason, 'tool_calls');
  assert.equal(msg.content, null);
  assert.equal(msg.tool_calls?.length, 1);
  const call = msg.tool_calls![0] as OpenAI.Chat.Completions.ChatCompletionMessageFunctionToolCall;
  assert.match(call.id, /^toolu_/);
  assert.equal(call.type, 'function');
  assert.equal(call.function.name, 'get_weather');
  assert.deepEqual(JSON.parse(call.function.arguments), { city: 'mock', unit: 'c' });
  const body = lastUpstream().body;
  assert.deepEqual(body.tools, [
    {
      name: 'get_weather',
      description: 'Current weather for a city',
      input_schema: {
        type: 'object',
        properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['c', 'f'] } },
        required: ['city'],
      },
    },
  ]);
  assert.equal(body.tool_choice, undefined);
});

test('tools: parallel calls, and parallel_tool_calls:false -> disable_parallel_tool_use', async () => {
  const res = await client.chat.completions.create({
    model: MODEL,
    messages: [{ role: 'user', content: 'Use get_weather and get_time please.' }],
    tools: [weatherTool, timeTool],
  });
  const names = res.choices[0].message.tool_calls!.map((c) => (c as { function: { name: string } }).function.name);
  assert.deepEqual(names, ['get_weather', 'get_time']);
  const ids = res.choices[0].message.tool_calls!.map((c) => c.id);
  assert.notEqual(ids[0], ids[1]);

  const one = await client.chat.completions.create({
    model: MODEL,
    messages: [{ role: 'user', content: 'Use get_weather and get_time please.' }],
    tools: [weatherTool, timeTool],
    parallel_tool_calls: false,
  });
  assert.equal(one.choices[0].message.tool_calls!.length, 1);
  assert.deepEqual(lastUpstream().body.tool_choice, { type: 'auto', disable_parallel_tool_use: true });
});

test('tool_choice: named -> tool, required -> any, none -> none, auto -> auto', async () => {
  const named = await client.chat.completions.create({
    model: MODEL,
    messages: [{ role: 'user', content: 'Anything.' }],
    tools: [weatherTool, timeTool],
    tool_choice: { type: 'function', function: { name: 'get_time' } },
  });
  assert.equal((named.choices[0].message.tool_calls![0] as { function: { name: string } }).function.name, 'get_time');
  assert.deepEqual(lastUpstream().body.tool_choice, { type: 'tool', name: 'get_time' });

  await client.chat.completions.create({
    model: MODEL,
    messages: [{ role: 'user', content: 'x' }],
    tools: [weatherTool],
    tool_choice: 'required',
    parallel_tool_calls: false,
  });
  assert.deepEqual(lastUpstream().body.tool_choice, { type: 'any', disable_parallel_tool_use: true });

  const none = await client.chat.completions.create({
    model: MODEL,
    messages: [{ role: 'user', content: 'echo: no tools' }],
    tools: [weatherTool],
    tool_choice: 'none',
  });
  assert.deepEqual(lastUpstream().body.tool_choice, { type: 'none' });
  assert.equal(none.choices[0].message.content, 'no tools');
  assert.equal(none.choices[0].finish_reason, 'stop');

  await client.chat.completions.create({
    model: MODEL,
    messages: [{ role: 'user', content: 'x' }],
    tools: [weatherTool],
    tool_choice: 'auto',
  });
  assert.deepEqual(lastUpstream().body.tool_choice, { type: 'auto' });
});

test('streamed tool calls: stable indexes, id/name first, arguments assembled by the SDK', async () => {
  const params = {
    model: MODEL,
    messages: [{ role: 'user' as const, content: 'Use get_weather and get_time please.' }],
    tools: [weatherTool, timeTool],
  };
  const chunks = await collect(await client.chat.completions.create({ ...params, stream: true }));
  const deltas = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
  const firsts = deltas.filter((d) => d.id);
  assert.deepEqual(
    firsts.map((d) => [d.index, d.type, d.function?.name]),
    [
      [0, 'function', 'get_weather'],
      [1, 'function', 'get_time'],
    ],
  );
  const args = [0, 1].map((i) =>
    deltas
      .filter((d) => d.index === i)
      .map((d) => d.function?.arguments ?? '')
      .join(''),
  );
  assert.deepEqual(JSON.parse(args[0]), { city: 'mock', unit: 'c' });
  assert.deepEqual(JSON.parse(args[1]), { zone: 'mock' });
  assert.ok(deltas.filter((d) => d.index === 0 && !d.id).length >= 2, 'arguments arrive in fragments');
  assert.equal(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0].finish_reason, 'tool_calls');

  const runner = client.chat.completions.stream(params);
  const final = await runner.finalChatCompletion();
  const calls = final.choices[0].message.tool_calls!;
  assert.equal(calls.length, 2);
  assert.equal((calls[0] as { function: { name: string } }).function.name, 'get_weather');
  assert.deepEqual(JSON.parse((calls[1] as { function: { arguments: string } }).function.arguments), { zone: 'mock' });
  assert.equal(final.choices[0].finish_reason, 'tool_calls');
});

test('tool results: assistant tool_calls -> tool_use, consecutive tool messages -> one user message', async () => {
  const first = await client.chat.completions.create({
    model: MODEL,
    messages: [{ role: 'user', content: 'Use get_weather and get_time please.' }],
    tools: [weatherTool, timeTool],
  });
  const calls = first.choices[0].message.tool_calls!;
  const res = await client.chat.completions.create({
    model: MODEL,
    tools: [weatherTool, timeTool],
    messages: [
      { role: 'user', content: 'Use get_weather and get_time please.' },
      first.choices[0].message as OpenAI.Chat.Completions.ChatCompletionMessageParam,
      { role: 'tool', tool_call_id: calls[0].id, content: 'Sunny, 21 degrees' },
      { role: 'tool', tool_call_id: calls[1].id, content: [{ type: 'text', text: '14:05 CET' }] },
    ],
  });
  assert.match(res.choices[0].message.content ?? '', /^Based on the tool result/);
  assert.equal(res.choices[0].finish_reason, 'stop');
  const body = lastUpstream().body;
  assert.equal(body.messages.length, 3);
  assert.deepEqual(body.messages[1], {
    role: 'assistant',
    content: [
      { type: 'tool_use', id: calls[0].id, name: 'get_weather', input: { city: 'mock', unit: 'c' } },
      { type: 'tool_use', id: calls[1].id, name: 'get_time', input: { zone: 'mock' } },
    ],
  });
  assert.deepEqual(body.messages[2], {
    role: 'user',
    content: [
      { type: 'tool_result', tool_use_id: calls[0].id, content: 'Sunny, 21 degrees' },
      { type: 'tool_result', tool_use_id: calls[1].id, content: [{ type: 'text', text: '14:05 CET' }] },
    ],
  });
});

test('images: data URLs -> base64 source, http URLs -> url source', async () => {
  const res = await client.chat.completions.create({
    model: MODEL,
    messages: [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Compare these.' },
          { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } },
          { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/4AAQSkZJRg==' } },
        ],
      },
    ],
  });
  assert.match(res.choices[0].message.content ?? '', /^I see 2 images\./);
  assert.deepEqual(lastUpstream().body.messages[0].content, [
    { type: 'text', text: 'Compare these.' },
    { type: 'image', source: { type: 'url', url: 'https://example.com/cat.png' } },
    { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: '/9j/4AAQSkZJRg==' } },
  ]);
});

test('unsupported content (audio) and legacy function role -> 400 before any upstream call', async () => {
  const before = emu.requests.length;
  const e = await apiError(
    client.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } }] }],
    }),
  );
  assert.equal(e.status, 400);
  assert.match(e.message, /input_audio/);
  assert.equal(e.param, 'messages[0].content[0]');
  const legacy = await apiError(
    client.chat.completions.create({
      model: MODEL,
      messages: [
        { role: 'user', content: 'x' },
        { role: 'function', name: 'f', content: '{}' },
      ],
    }),
  );
  assert.equal(legacy.status, 400);
  assert.equal(legacy.param, 'messages[1].role');
  assert.equal(emu.requests.length, before);
});

test('JSON mode json_object: system instruction, JSON content', async () => {
  const res = await client.chat.completions.create({
    model: MODEL,
    messages: [
      { role: 'system', content: 'Be helpful.' },
      { role: 'user', content: 'echo: json please' },
    ],
    response_format: { type: 'json_object' },
  });
  assert.deepEqual(JSON.parse(res.choices[0].message.content!), { reply: 'json please' });
  assert.deepEqual(lastUpstream().body.system, [
    { type: 'text', text: 'Be helpful.' },
    { type: 'text', text: JSON_OBJECT_INSTRUCTION },
  ]);
  assert.equal(lastUpstream().body.tools, undefined);
});

const schemaFormat: OpenAI.ResponseFormatJSONSchema = {
  type: 'json_schema',
  json_schema: {
    name: 'city_info',
    schema: {
      type: 'object',
      properties: { city: { type: 'string' }, population: { type: 'integer' } },
      required: ['city', 'population'],
    },
  },
};

test('JSON mode json_schema: forced tool whose input becomes the content (plain and streamed)', async () => {
  const res = await client.chat.completions.create({
    model: MODEL,
    messages: [{ role: 'user', content: 'Describe Paris.' }],
    response_format: schemaFormat,
  });
  assert.equal(res.choices[0].finish_reason, 'stop');
  assert.equal(res.choices[0].message.tool_calls, undefined);
  assert.deepEqual(JSON.parse(res.choices[0].message.content!), { city: 'mock', population: 1 });
  const body = lastUpstream().body;
  assert.deepEqual(body.tools, [
    {
      name: 'city_info',
      description: 'Give the final answer in this structured form.',
      input_schema: schemaFormat.json_schema.schema,
    },
  ]);
  assert.deepEqual(body.tool_choice, { type: 'tool', name: 'city_info' });
  assert.equal(body.system, undefined);

  const chunks = await collect(
    await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'Describe Paris.' }],
      response_format: schemaFormat,
      stream: true,
    }),
  );
  const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
  assert.deepEqual(JSON.parse(text), { city: 'mock', population: 1 });
  assert.ok(chunks.every((c) => !c.choices[0]?.delta.tool_calls));
  assert.equal(chunks[chunks.length - 1].choices[0].finish_reason, 'stop');
});

test('JSON mode json_schema with the client own tools: schema tool offered with an instruction', async () => {
  const res = await client.chat.completions.create({
    model: MODEL,
    messages: [{ role: 'user', content: 'What is the weather in Paris?' }],
    tools: [weatherTool],
    response_format: schemaFormat,
  });
  assert.equal(res.choices[0].finish_reason, 'tool_calls');
  const body = lastUpstream().body;
  assert.deepEqual(
    body.tools.map((t: { name: string }) => t.name),
    ['get_weather', 'city_info'],
  );
  assert.deepEqual(body.tool_choice, { type: 'auto' });
  assert.deepEqual(body.system, [{ type: 'text', text: jsonToolInstruction('city_info') }]);
});

test('stop sequences -> stop_sequences; finish reasons: stop_sequence, max_tokens, refusal', async () => {
  const stopped = await client.chat.completions.create({
    model: MODEL,
    messages: [{ role: 'user', content: 'echo: alpha beta STOP gamma' }],
    stop: ['STOP', '##'],
  });
  assert.equal(stopped.choices[0].message.content, 'alpha beta ');
  assert.equal(stopped.choices[0].finish_reason, 'stop');
  assert.deepEqual(lastUpstream().body.stop_sequences, ['STOP', '##']);

  await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'echo: x' }], stop: 'END' });
  assert.deepEqual(lastUpstream().body.stop_sequences, ['END']);

  const cut = await client.chat.completions.create({
    model: MODEL,
    messages: [{ role: 'user', content: 'echo: one two three four five six' }],
    max_tokens: 3,
  });
  assert.equal(cut.choices[0].message.content, 'one two three');
  assert.equal(cut.choices[0].finish_reason, 'length');
  assert.equal(lastUpstream().body.max_tokens, 3);

  await client.chat.completions.create({
    model: MODEL,
    messages: [{ role: 'user', content: 'echo: y' }],
    max_completion_tokens: 77,
  });
  assert.equal(lastUpstream().body.max_tokens, 77);

  const refused = await client.chat.completions.create({
    model: 'anthropic/refuse',
    messages: [{ role: 'user', content: 'Something bad.' }],
  });
  assert.equal(refused.choices[0].finish_reason, 'content_filter');
  assert.equal(refused.choices[0].message.content, '');

  const streamedCut = await collect(
    await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'echo: one two three four five six' }],
      max_tokens: 2,
      stream: true,
    }),
  );
  assert.equal(streamedCut.map((c) => c.choices[0]?.delta.content ?? '').join(''), 'one two');
  assert.equal(streamedCut[streamedCut.length - 1].choices[0].finish_reason, 'length');
});

test('usage: prompt_tokens = input + cache read + cache creation, cached_tokens = cache read', async () => {
  const plain = await client.chat.completions.create({
    model: MODEL,
    messages: [{ role: 'user', content: 'echo: a b c' }],
  });
  const input = plain.usage!.prompt_tokens;
  assert.ok(input > 5);
  assert.equal(plain.usage!.completion_tokens, 3);
  assert.equal(plain.usage!.total_tokens, input + 3);
  assert.equal(plain.usage!.prompt_tokens_details?.cached_tokens, 0);
  assert.equal(plain.usage!.completion_tokens_details?.reasoning_tokens, 0);

  const cached = await client.chat.completions.create({
    model: MODEL,
    messages: [
      {
        role: 'system',
        content: [
          {
            type: 'text',
            text: 'A long shared preamble.',
            cache_control: { type: 'ephemeral' },
          } as OpenAI.Chat.Completions.ChatCompletionContentPartText,
        ],
      },
      { role: 'user', content: 'echo: a b c' },
    ],
  });
  assert.deepEqual(lastUpstream().body.system, [
    { type: 'text', text: 'A long shared preamble.', cache_control: { type: 'ephemeral' } },
  ]);
  const u = cached.usage!;
  const emuInput = u.prompt_tokens - 2048 - 512;
  assert.ok(emuInput > 5);
  assert.equal(u.prompt_tokens_details?.cached_tokens, 2048);
  assert.equal((u.prompt_tokens_details as Record<string, unknown>).cache_creation_tokens, 512);
  assert.equal(u.completion_tokens, 3);
  assert.equal(u.total_tokens, u.prompt_tokens + 3);
});

test('thinking: reasoning_effort -> thinking budget, reasoning_content surfaced, temperature dropped', async () => {
  const { data, response } = await client.chat.completions
    .create({
      model: MODEL,
      messages: [{ role: 'user', content: 'echo: thought through' }],
      reasoning_effort: 'medium',
      temperature: 0.2,
    })
    .withResponse();
  const msg = data.choices[0].message as (typeof data.choices)[0]['message'] & {
    reasoning_content?: string;
    reasoning_signature?: string;
  };
  assert.equal(msg.content, 'thought through');
  assert.equal(msg.reasoning_content, 'The user wants a short answer. I will keep it brief and accurate.');
  assert.match(msg.reasoning_signature ?? '', /^sig_/);
  assert.ok((data.usage!.completion_tokens_details?.reasoning_tokens ?? 0) > 0);
  assert.ok(data.usage!.completion_tokens_details!.reasoning_tokens! <= data.usage!.completion_tokens);
  assert.equal(response.headers.get('x-switchyard-dropped-params'), 'temperature');
  const body = lastUpstream().body;
  assert.deepEqual(body.thinking, { type: 'enabled', budget_tokens: 4096 });
  assert.equal(body.max_tokens, 4096 + 4096);
  assert.equal(body.temperature, undefined);

  // The thinking block goes back upstream with its signature on the next turn.
  await client.chat.completions.create({
    model: MODEL,
    reasoning_effort: 'low',
    max_completion_tokens: 3000,
    messages: [
      { role: 'user', content: 'echo: thought through' },
      msg as OpenAI.Chat.Completions.ChatCompletionMessageParam,
      { role: 'user', content: 'echo: again' },
    ],
  });
  const next = lastUpstream().body;
  assert.deepEqual(next.thinking, { type: 'enabled', budget_tokens: 1024 });
  assert.equal(next.max_tokens, 3000);
  assert.deepEqual(next.messages[1].content, [
    { type: 'thinking', thinking: msg.reasoning_content, signature: msg.reasoning_signature },
    { type: 'text', text: 'thought through' },
  ]);
});

test('thinking: explicit thinking passthrough, streamed reasoning_content deltas', async () => {
  const chunks = await collect(
    await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'echo: streamed thought' }],
      stream: true,
      stream_options: { include_usage: true },
      thinking: { type: 'enabled', budget_tokens: 2000 },
    } as OpenAI.Chat.Completions.ChatCompletionCreateParamsStreaming),
  );
  const body = lastUpstream().body;
  assert.deepEqual(body.thinking, { type: 'enabled', budget_tokens: 2000 });
  assert.equal(body.max_tokens, 4096 + 2000);
  const deltas = chunks.map((c) => c.choices[0]?.delta as Record<string, unknown> | undefined);
  const reasoning = deltas.map((d) => (d?.reasoning_content as string | undefined) ?? '').join('');
  assert.equal(reasoning, 'The user wants a short answer. I will keep it brief and accurate.');
  assert.ok(deltas.some((d) => typeof d?.reasoning_signature === 'string'));
  assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''), 'streamed thought');
  const usage = chunks[chunks.length - 1].usage!;
  assert.ok((usage.completion_tokens_details?.reasoning_tokens ?? 0) > 0);
});

test('parameters Anthropic cannot take are dropped and listed; n > 1 is refused', async () => {
  const { data, response } = await client.chat.completions
    .create({
      model: MODEL,
      messages: [{ role: 'user', content: 'echo: dropped' }],
      presence_penalty: 0.5,
      frequency_penalty: 0.1,
      seed: 7,
      logprobs: true,
      top_logprobs: 2,
      logit_bias: { '50256': -100 },
      n: 1,
    })
    .withResponse();
  assert.equal(data.choices[0].message.content, 'dropped');
  assert.equal(
    response.headers.get('x-switchyard-dropped-params'),
    'presence_penalty,frequency_penalty,seed,logprobs,top_logprobs,logit_bias',
  );
  const body = lastUpstream().body;
  for (const k of ['presence_penalty', 'frequency_penalty', 'seed', 'logprobs', 'top_logprobs', 'logit_bias', 'n'])
    assert.equal(k in body, false, k);

  const before = emu.requests.length;
  const e = await apiError(
    client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'x' }], n: 2 }),
  );
  assert.equal(e.status, 400);
  assert.equal(e.code, 'unsupported_parameter');
  assert.equal(e.param, 'n');
  assert.equal(emu.requests.length, before);
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const ERROR_CASES: Array<
  [string, number, string, string, abstract new (...args: any[]) => InstanceType<typeof OpenAI.APIError>]
> = [
  ['error-400', 400, 'invalid_request_error', 'invalid_request_error', OpenAI.BadRequestError],
  ['error-401', 401, 'authentication_error', 'authentication_error', OpenAI.AuthenticationError],
  ['error-403', 403, 'permission_error', 'permission_error', OpenAI.PermissionDeniedError],
  ['error-404', 404, 'not_found_error', 'not_found_error', OpenAI.NotFoundError],
  ['error-413', 413, 'invalid_request_error', 'request_too_large', OpenAI.APIError],
  ['error-429', 429, 'rate_limit_error', 'rate_limit_error', OpenAI.RateLimitError],
  ['error-500', 500, 'api_error', 'api_error', OpenAI.InternalServerError],
  ['error-503', 503, 'api_error', 'api_error', OpenAI.InternalServerError],
  ['overloaded', 503, 'api_error', 'overloaded_error', OpenAI.InternalServerError],
  ['context-too-long', 400, 'invalid_request_error', 'context_length_exceeded', OpenAI.BadRequestError],
];

for (const [model, status, type, code, cls] of ERROR_CASES) {
  test(`error ${model} -> ${status} ${code}`, async () => {
    const e = await apiError(
      client.chat.completions.create({ model: `anthropic/${model}`, messages: [{ role: 'user', content: 'hi' }] }),
    );
    assert.ok(e instanceof cls, `${e.constructor.name} is not ${cls.name}`);
    assert.equal(e.status, status);
    assert.equal(e.type, type);
    assert.equal(e.code, code);
    assert.match(e.headers?.get('x-upstream-request-id') ?? '', /^req_emu/);
    if (model === 'error-429') assert.equal(e.headers?.get('retry-after'), '1');
    if (model === 'context-too-long') {
      assert.equal(e.param, 'messages');
      assert.match(e.message, /prompt is too long/);
    }
    if (model === 'overloaded') assert.equal((e.error as { message?: string }).message, 'Overloaded');
  });
}

test('a wrong key surfaces as 401 authentication_error from the upstream', async () => {
  const e = await apiError(
    client.chat.completions.create({
      model: 'wrongkey/claude-sonnet-4-5',
      messages: [{ role: 'user', content: 'hi' }],
    }),
  );
  assert.equal(e.status, 401);
  assert.equal(e.code, 'authentication_error');
  assert.equal((e.error as { message?: string }).message, 'invalid x-api-key');
  assert.equal(lastUpstream().headers['x-api-key'], 'not-the-key');
});

test('errors before a stream starts are HTTP errors (429 with retry-after)', async () => {
  const e = await apiError(
    client.chat.completions.create({
      model: 'anthropic/error-429',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    }),
  );
  assert.equal(e.status, 429);
  assert.equal(e.headers?.get('retry-after'), '1');
  assert.equal(lastUpstream().body.stream, true);
});

test('mid-stream error event surfaces as an error in the SDK stream', async () => {
  const stream = await client.chat.completions.create({
    model: 'anthropic/stream-error-midway',
    messages: [{ role: 'user', content: 'hi' }],
    stream: true,
  });
  const seen: string[] = [];
  const e = await apiError(
    (async () => {
      for await (const c of stream) seen.push(c.choices[0]?.delta.content ?? '');
    })(),
  );
  assert.ok(seen.join('').length > 0, 'some content arrived before the error');
  assert.equal(e.message, 'Overloaded');
  assert.equal((e.error as { code?: string }).code, 'overloaded_error');
});

test('a truncated stream surfaces as an error in the SDK stream', async () => {
  const stream = await client.chat.completions.create({
    model: 'anthropic/stream-truncated',
    messages: [{ role: 'user', content: 'hi' }],
    stream: true,
  });
  const seen: string[] = [];
  const e = await apiError(
    (async () => {
      for await (const c of stream) seen.push(c.choices[0]?.delta.content ?? '');
    })(),
  );
  assert.ok(seen.join('').length > 0);
  assert.equal((e.error as { code?: string }).code, 'upstream_stream_interrupted');
  assert.equal(e.type, 'api_error');
});

test('slow upstream beyond timeoutMs -> 504; defaultMaxTokens option used', async () => {
  const e = await apiError(
    client.chat.completions.create({ model: 'quick/slow', messages: [{ role: 'user', content: 'hi' }] }),
  );
  assert.equal(e.status, 504);
  assert.equal(e.code, 'upstream_timeout');
  await client.chat.completions.create({
    model: 'quick/claude-haiku-4-5',
    messages: [{ role: 'user', content: 'echo: q' }],
  });
  assert.equal(lastUpstream().body.max_tokens, 1000);
});

test('plugin: missing key names ANTHROPIC_API_KEY; ANTHROPIC_BASE_URL is used', async () => {
  const savedKey = process.env.ANTHROPIC_API_KEY;
  const savedUrl = process.env.ANTHROPIC_BASE_URL;
  try {
    delete process.env.ANTHROPIC_API_KEY;
    await assert.rejects(
      createGateway({ providers: [anthropic()], logging: { level: 'silent' } }),
      /ANTHROPIC_API_KEY/,
    );
    process.env.ANTHROPIC_API_KEY = 'test-key';
    process.env.ANTHROPIC_BASE_URL = emu.url + '/v1/';
    const g = await createGateway({ providers: [anthropic()], logging: { level: 'silent' }, failover: false });
    const { url } = await g.listen({ port: 0 });
    try {
      const c = new OpenAI({ baseURL: url + '/v1', apiKey: 'unused', maxRetries: 0 });
      const res = await c.chat.completions.create({
        model: 'claude-haiku-4-5',
        messages: [{ role: 'user', content: 'echo: env' }],
      });
      assert.equal(res.choices[0].message.content, 'env');
      assert.equal(lastUpstream().path, '/v1/messages');
    } finally {
      await g.close();
    }
  } finally {
    if (savedKey === undefined) delete process.env.ANTHROPIC_API_KEY;
    else process.env.ANTHROPIC_API_KEY = savedKey;
    if (savedUrl === undefined) delete process.env.ANTHROPIC_BASE_URL;
    else process.env.ANTHROPIC_BASE_URL = savedUrl;
  }
  assert.ok(baseUrl.startsWith('http://'));
});

test('client leaving a stream early closes the upstream connection', async () => {
  const stream = await client.chat.completions.create({
    model: 'anthropic/slow-stream',
    messages: [{ role: 'user', content: 'Tell me a long story.' }],
    stream: true,
  });
  let n = 0;
  for await (const c of stream) {
    assert.equal(c.object, 'chat.completion.chunk');
    if (++n === 2) break;
  }
  const end = Date.now() + 3000;
  while (!emu.aborted.some((r) => r.body?.model === 'slow-stream') && Date.now() < end)
    await new Promise((r) => setTimeout(r, 20));
  assert.ok(
    emu.aborted.some((r) => r.body?.model === 'slow-stream'),
    'the upstream saw the connection close',
  );
  assert.equal(
    emu.aborted.filter((r) => r.body?.model === 'claude-sonnet-4-5').length,
    0,
    'completed streams were not cut',
  );
});

test('stream translation: ping and unknown events ignored, in-stream error types mapped', async () => {
  const ev = (event: string, data: unknown) => ({ event, data: JSON.stringify(data) });
  async function* events() {
    yield ev('message_start', {
      type: 'message_start',
      message: {
        id: 'msg_x',
        model: 'claude-x',
        usage: { input_tokens: 10, cache_read_input_tokens: 4, output_tokens: 1 },
      },
    });
    yield ev('ping', { type: 'ping' });
    yield ev('content_block_start', {
      type: 'content_block_start',
      index: 0,
      content_block: { type: 'redacted_thinking', data: 'abc' },
    });
    yield ev('content_block_stop', { type: 'content_block_stop', index: 0 });
    yield ev('some_future_event', { type: 'some_future_event' });
    yield ev('content_block_start', {
      type: 'content_block_start',
      index: 1,
      content_block: { type: 'text', text: '' },
    });
    yield ev('content_block_delta', {
      type: 'content_block_delta',
      index: 1,
      delta: { type: 'text_delta', text: 'Hi' },
    });
    yield ev('content_block_stop', { type: 'content_block_stop', index: 1 });
    yield ev('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: 'pause_turn', stop_sequence: null },
      usage: { output_tokens: 7 },
    });
    yield ev('message_stop', { type: 'message_stop' });
  }
  const { anthropicEventsToChunks } = await import('../../plugins/providers/anthropic/stream.js');
  const chunks = [];
  for await (const c of anthropicEventsToChunks(events(), { provider: 'anthropic', created: 1 })) chunks.push(c);
  assert.deepEqual(
    chunks.map((c) => c.choices[0]?.delta),
    [{ role: 'assistant', content: '' }, { content: 'Hi' }, {}, undefined],
  );
  assert.equal(chunks[2].choices[0].finish_reason, 'stop');
  assert.deepEqual(chunks[3].usage, {
    prompt_tokens: 14,
    completion_tokens: 7,
    total_tokens: 21,
    prompt_tokens_details: { cached_tokens: 4, cache_creation_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0 },
  });

  async function* failing() {
    yield ev('message_start', { type: 'message_start', message: { id: 'msg_y', model: 'claude-x', usage: {} } });
    yield ev('error', { type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } });
  }
  const { GatewayError } = await import('../../core/errors.js');
  await assert.rejects(
    async () => {
      for await (const _ of anthropicEventsToChunks(failing(), { provider: 'anthropic' })) {
        /* drain */
      }
    },
    (e: unknown) => {
      assert.ok(e instanceof GatewayError);
      assert.equal(e.status, 429);
      assert.equal(e.code, 'rate_limit_error');
      assert.equal(e.retryable, true);
      return true;
    },
  );

  const { toGatewayError } = await import('../../plugins/providers/anthropic/errors.js');
  const overloaded = toGatewayError('anthropic', { status: 529, type: 'overloaded_error', message: 'Overloaded' });
  assert.equal(overloaded.status, 503);
  assert.equal(overloaded.retryable, true);
  assert.deepEqual(overloaded.upstream, { provider: 'anthropic', status: 529 });
  const invalid = toGatewayError('anthropic', {
    status: 400,
    type: 'invalid_request_error',
    message: 'max_tokens: Field required',
  });
  assert.equal(invalid.retryable, false);
  assert.equal(invalid.code, 'invalid_request_error');
});
