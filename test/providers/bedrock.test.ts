/** Amazon Bedrock (Converse / ConverseStream / InvokeModel) through the gateway with the official openai client. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { createGateway } from '../../index.js';
import { bedrock } from '../../plugins/providers/bedrock/index.js';
import { GatewayError } from '../../core/errors.js';
import { converseChunks } from '../../plugins/providers/bedrock/stream.js';
import {
  EMULATOR_CREDENTIALS,
  EMULATOR_TEMP_CREDENTIALS,
  encodeFrame,
  startBedrockEmulator,
} from '../emulators/bedrock.js';

type Gw = Awaited<ReturnType<typeof createGateway>>;
type Emu = Awaited<ReturnType<typeof startBedrockEmulator>>;
let emu: Emu;
const gateways: Gw[] = [];
let client: OpenAI; // SigV4 with long-term keys
let bearer: OpenAI; // Bedrock API key
let temp: OpenAI; // SigV4 with session token
let badSecret: OpenAI; // SigV4 with a wrong secret
let short: OpenAI; // 500 ms upstream timeout

const CLAUDE = 'us.anthropic.claude-sonnet-4-20250514-v1:0';

async function gatewayWith(options: Parameters<typeof bedrock>[0]): Promise<OpenAI> {
  const gw = await createGateway({ providers: [bedrock(options)], logging: { level: 'silent' }, failover: false });
  gateways.push(gw);
  const { url } = await gw.listen({ port: 0 });
  return new OpenAI({ baseURL: url + '/v1', apiKey: 'unused', maxRetries: 0 });
}

before(async () => {
  emu = await startBedrockEmulator();
  client = await gatewayWith({ region: 'us-west-2', ...EMULATOR_CREDENTIALS, baseURL: emu.url });
  bearer = await gatewayWith({ apiKey: 'test-key', baseURL: emu.url });
  temp = await gatewayWith({ region: 'eu-central-1', ...EMULATOR_TEMP_CREDENTIALS, baseURL: emu.url });
  badSecret = await gatewayWith({
    region: 'us-east-1',
    accessKeyId: EMULATOR_CREDENTIALS.accessKeyId,
    secretAccessKey: 'wrong-secret',
    baseURL: emu.url,
  });
  short = await gatewayWith({ apiKey: 'test-key', baseURL: emu.url, timeoutMs: 500 });
});
after(async () => {
  for (const gw of gateways) await gw.close();
  await emu.close();
});

const last = () => emu.requests[emu.requests.length - 1];
const tools: OpenAI.ChatCompletionTool[] = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'Weather for a city',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    },
  },
  {
    type: 'function',
    function: {
      name: 'get_time',
      parameters: { type: 'object', properties: { zone: { type: 'string', enum: ['UTC', 'CET'] } } },
    },
  },
];
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

async function apiError(p: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof OpenAI.APIError, `expected APIError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected the call to fail');
}

test('plain completion: SigV4-signed Converse call, URL-encoded model id, usage mapped', async () => {
  const { data, response } = await client.chat.completions
    .create({
      model: CLAUDE,
      messages: [{ role: 'user', content: 'echo: hello bedrock' }],
      max_tokens: 100,
      temperature: 0.2,
      top_p: 0.9,
    })
    .withResponse();
  assert.equal(data.choices[0].message.content, 'hello bedrock');
  assert.equal(data.choices[0].message.role, 'assistant');
  assert.equal(data.choices[0].finish_reason, 'stop');
  assert.equal(data.object, 'chat.completion');
  assert.match(data.id, /^chatcmpl-[0-9a-f-]{36}$/);
  assert.equal(data.usage?.completion_tokens, 2);
  assert.equal(data.usage?.total_tokens, data.usage!.prompt_tokens + 2);
  assert.ok(data.usage!.prompt_tokens > 5);
  assert.equal(data.usage?.prompt_tokens_details?.cached_tokens, 0);
  assert.equal(response.headers.get('x-switchyard-dropped-params'), null);
  const up = last();
  assert.equal(up.method, 'POST');
  assert.equal(up.path, '/model/us.anthropic.claude-sonnet-4-20250514-v1%3A0/converse');
  assert.match(
    String(up.headers.authorization),
    new RegExp(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-west-2\/bedrock\/aws4_request, /.source +
        /SignedHeaders=accept;content-type;host;x-amz-date, Signature=[0-9a-f]{64}$/.source,
    ),
  );
  assert.match(String(up.headers['x-amz-date']), /^\d{8}T\d{6}Z$/);
  assert.equal(up.headers['content-type'], 'application/json');
  assert.equal(up.headers.accept, 'application/json');
  assert.deepEqual(up.body, {
    messages: [{ role: 'user', content: [{ text: 'echo: hello bedrock' }] }],
    inferenceConfig: { maxTokens: 100, temperature: 0.2, topP: 0.9 },
  });
});

test('system and developer messages become system blocks; consecutive roles are merged', async () => {
  const data = await client.chat.completions.create({
    model: `bedrock/${CLAUDE}`,
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'developer', content: [{ type: 'text', text: 'Answer in English.' }] },
      { role: 'user', content: 'Hi there.' },
      { role: 'user', content: [{ type: 'text', text: 'Second part.' }] },
      { role: 'assistant', content: 'Hello!' },
      { role: 'user', content: 'echo: multi turn ok' },
    ],
  });
  assert.equal(data.choices[0].message.content, 'multi turn ok');
  assert.deepEqual(last().body, {
    system: [{ text: 'Be brief.' }, { text: 'Answer in English.' }],
    messages: [
      { role: 'user', content: [{ text: 'Hi there.' }, { text: 'Second part.' }] },
      { role: 'assistant', content: [{ text: 'Hello!' }] },
      { role: 'user', content: [{ text: 'echo: multi turn ok' }] },
    ],
  });
});

test('Bedrock API key is sent as a bearer token, without SigV4 headers', async () => {
  const data = await bearer.chat.completions.create({
    model: 'amazon.nova-lite-v1:0',
    messages: [{ role: 'user', content: 'echo: via api key' }],
  });
  assert.equal(data.choices[0].message.content, 'via api key');
  const up = last();
  assert.equal(up.path, '/model/amazon.nova-lite-v1%3A0/converse');
  assert.equal(up.headers.authorization, 'Bearer test-key');
  assert.equal(up.headers['x-amz-date'], undefined);
});

test('temporary credentials: the session token is sent and signed', async () => {
  const data = await temp.chat.completions.create({
    model: 'bedrock/mistral.mistral-large-2407-v1:0',
    messages: [{ role: 'user', content: 'echo: temp creds' }],
  });
  assert.equal(data.choices[0].message.content, 'temp creds');
  const up = last();
  assert.equal(up.headers['x-amz-security-token'], EMULATOR_TEMP_CREDENTIALS.sessionToken);
  assert.match(
    String(up.headers.authorization),
    new RegExp(
      /Credential=ASIAEMULATORTEMP0001\/\d{8}\/eu-central-1\/bedrock\/aws4_request, /.source +
        /SignedHeaders=accept;content-type;host;x-amz-date;x-amz-security-token, /.source,
    ),
  );
});

test('a wrong secret fails AWS signature verification: 401 for the client', async () => {
  const before = emu.requests.length;
  const e = await apiError(
    badSecret.chat.completions.create({ model: `bedrock/${CLAUDE}`, messages: [{ role: 'user', content: 'hi' }] }),
  );
  assert.equal(e.status, 401);
  assert.equal(e.type, 'authentication_error');
  assert.equal(e.code, 'invalid_signature_exception');
  assert.match(e.message, /The request signature we calculated does not match the signature you provided/);
  assert.equal(emu.requests.length, before + 1);
});

test('streamed completion: role first, content assembled, finish_reason, no usage chunk unless asked', async () => {
  const plain = await client.chat.completions.create({
    model: `bedrock/${CLAUDE}`,
    messages: [{ role: 'user', content: 'Tell me about gateways.' }],
  });
  const stream = await client.chat.completions.create({
    model: `bedrock/${CLAUDE}`,
    messages: [{ role: 'user', content: 'Tell me about gateways.' }],
    stream: true,
  });
  const chunks: OpenAI.ChatCompletionChunk[] = [];
  for await (const c of stream) chunks.push(c);
  assert.equal(chunks[0].choices[0].delta.role, 'assistant');
  assert.equal(chunks.filter((c) => c.choices[0]?.delta.role).length, 1);
  const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
  assert.equal(text, plain.choices[0].message.content);
  assert.ok(text.length > 20);
  assert.ok(chunks.length > 5, 'content arrives in several chunks');
  assert.equal(chunks.at(-1)!.choices[0].finish_reason, 'stop');
  assert.ok(chunks.every((c) => !c.usage));
  const up = last();
  assert.equal(up.path, '/model/us.anthropic.claude-sonnet-4-20250514-v1%3A0/converse-stream');
  assert.equal(up.headers.accept, 'application/vnd.amazon.eventstream');
  assert.deepEqual(up.body, { messages: [{ role: 'user', content: [{ text: 'Tell me about gateways.' }] }] });
});

test('stream usage with include_usage: a last chunk with empty choices and the metadata usage', async () => {
  const plain = await client.chat.completions.create({
    model: `bedrock/${CLAUDE}`,
    messages: [{ role: 'user', content: 'echo: count these words please' }],
  });
  const stream = await client.chat.completions.create({
    model: `bedrock/${CLAUDE}`,
    messages: [{ role: 'user', content: 'echo: count these words please' }],
    stream: true,
    stream_options: { include_usage: true },
  });
  const chunks: OpenAI.ChatCompletionChunk[] = [];
  for await (const c of stream) chunks.push(c);
  const u = chunks.at(-1)!;
  assert.deepEqual(u.choices, []);
  assert.equal(u.usage?.completion_tokens, 4);
  assert.equal(u.usage?.prompt_tokens, plain.usage?.prompt_tokens);
  assert.equal(u.usage?.total_tokens, plain.usage!.prompt_tokens + 4);
  assert.equal(chunks.at(-2)!.choices[0].finish_reason, 'stop');
});

test('tools: single call, toolConfig translated field by field, toolChoice auto', async () => {
  const data = await client.chat.completions.create({
    model: `bedrock/${CLAUDE}`,
    messages: [{ role: 'user', content: 'What is the weather in Paris?' }],
    tools,
    tool_choice: 'auto',
  });
  const choice = data.choices[0];
  assert.equal(choice.finish_reason, 'tool_calls');
  assert.equal(choice.message.content, null);
  assert.equal(choice.message.tool_calls?.length, 1);
  const tc = choice.message.tool_calls![0] as OpenAI.ChatCompletionMessageFunctionToolCall;
  assert.match(tc.id, /^tooluse_[0-9a-f]+$/);
  assert.equal(tc.type, 'function');
  assert.equal(tc.function.name, 'get_weather');
  assert.deepEqual(JSON.parse(tc.function.arguments), { city: 'mock' });
  assert.deepEqual(last().body.toolConfig, {
    tools: [
      {
        toolSpec: {
          name: 'get_weather',
          description: 'Weather for a city',
          inputSchema: { json: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
        },
      },
      {
        toolSpec: {
          name: 'get_time',
          inputSchema: { json: { type: 'object', properties: { zone: { type: 'string', enum: ['UTC', 'CET'] } } } },
        },
      },
    ],
    toolChoice: { auto: {} },
  });
});

test('tools: parallel calls, required -> any, named -> tool, none -> no toolConfig', async () => {
  const par = await client.chat.completions.create({
    model: `bedrock/${CLAUDE}`,
    messages: [{ role: 'user', content: 'Use get_weather and get_time.' }],
    tools,
    tool_choice: 'required',
  });
  const calls = par.choices[0].message.tool_calls as OpenAI.ChatCompletionMessageFunctionToolCall[];
  assert.deepEqual(
    calls.map((c) => c.function.name),
    ['get_weather', 'get_time'],
  );
  assert.deepEqual(JSON.parse(calls[1].function.arguments), { zone: 'UTC' });
  assert.notEqual(calls[0].id, calls[1].id);
  assert.deepEqual(last().body.toolConfig.toolChoice, { any: {} });

  const named = await client.chat.completions.create({
    model: `bedrock/${CLAUDE}`,
    messages: [{ role: 'user', content: 'Anything.' }],
    tools,
    tool_choice: { type: 'function', function: { name: 'get_time' } },
  });
  assert.equal(
    (named.choices[0].message.tool_calls![0] as OpenAI.ChatCompletionMessageFunctionToolCall).function.name,
    'get_time',
  );
  assert.deepEqual(last().body.toolConfig.toolChoice, { tool: { name: 'get_time' } });

  const none = await client.chat.completions.create({
    model: `bedrock/${CLAUDE}`,
    messages: [{ role: 'user', content: 'Use get_weather please.' }],
    tools,
    tool_choice: 'none',
  });
  assert.equal(none.choices[0].finish_reason, 'stop');
  assert.equal(none.choices[0].message.tool_calls, undefined);
  assert.equal(last().body.toolConfig, undefined);
});

test('streamed tool calls: stable indexes, id and name first, argument fragments assembled by the SDK', async () => {
  const stream = await client.chat.completions.create({
    model: `bedrock/${CLAUDE}`,
    messages: [{ role: 'user', content: 'Call get_weather and get_time.' }],
    tools,
    stream: true,
  });
  const chunks: OpenAI.ChatCompletionChunk[] = [];
  for await (const c of stream) chunks.push(c);
  const deltas = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
  const firsts = deltas.filter((d) => d.id);
  assert.deepEqual(
    firsts.map((d) => [d.index, d.type, d.function?.name]),
    [
      [0, 'function', 'get_weather'],
      [1, 'function', 'get_time'],
    ],
  );
  assert.ok(deltas.filter((d) => !d.id).length >= 2, 'arguments arrive in fragments');
  assert.ok(
    deltas
      .filter((d) => !d.id)
      .every((d) => d.function?.name === undefined && typeof d.function?.arguments === 'string'),
  );
  const args = [0, 1].map((i) =>
    deltas
      .filter((d) => d.index === i)
      .map((d) => d.function?.arguments ?? '')
      .join(''),
  );
  assert.deepEqual(
    args.map((a) => JSON.parse(a)),
    [{ city: 'mock' }, { zone: 'UTC' }],
  );
  assert.equal(chunks.at(-1)!.choices[0].finish_reason, 'tool_calls');

  const runner = client.chat.completions.stream({
    model: `bedrock/${CLAUDE}`,
    messages: [{ role: 'user', content: 'Call get_weather and get_time.' }],
    tools,
  });
  const final = await runner.finalChatCompletion();
  const calls = final.choices[0].message.tool_calls as OpenAI.ChatCompletionMessageFunctionToolCall[];
  assert.deepEqual(
    calls.map((c) => [c.function.name, JSON.parse(c.function.arguments)]),
    [
      ['get_weather', { city: 'mock' }],
      ['get_time', { zone: 'UTC' }],
    ],
  );
  assert.equal(final.choices[0].finish_reason, 'tool_calls');
});

test('tool results in a follow-up turn: toolUse in the assistant turn, toolResult blocks in a user turn', async () => {
  const data = await client.chat.completions.create({
    model: `bedrock/${CLAUDE}`,
    tools,
    messages: [
      { role: 'user', content: 'Weather and time?' },
      {
        role: 'assistant',
        content: 'Let me check.',
        tool_calls: [
          { id: 'tooluse_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          { id: 'tooluse_b', type: 'function', function: { name: 'get_time', arguments: '{"zone":"CET"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'tooluse_a', content: 'Sunny, 24 C' },
      { role: 'tool', tool_call_id: 'tooluse_b', content: '14:00' },
    ],
  });
  assert.match(data.choices[0].message.content ?? '', /^Based on the tool result/);
  assert.equal(data.choices[0].finish_reason, 'stop');
  assert.deepEqual(last().body.messages, [
    { role: 'user', content: [{ text: 'Weather and time?' }] },
    {
      role: 'assistant',
      content: [
        { text: 'Let me check.' },
        { toolUse: { toolUseId: 'tooluse_a', name: 'get_weather', input: { city: 'Paris' } } },
        { toolUse: { toolUseId: 'tooluse_b', name: 'get_time', input: { zone: 'CET' } } },
      ],
    },
    {
      role: 'user',
      content: [
        { toolResult: { toolUseId: 'tooluse_a', content: [{ text: 'Sunny, 24 C' }] } },
        { toolResult: { toolUseId: 'tooluse_b', content: [{ text: '14:00' }] } },
      ],
    },
  ]);
  assert.equal(last().body.toolConfig.tools.length, 2);
});

test('tool history without tools declared still gets the toolConfig Bedrock requires', async () => {
  const data = await client.chat.completions.create({
    model: `bedrock/${CLAUDE}`,
    messages: [
      { role: 'user', content: 'Weather?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'tu1', type: 'function', function: { name: 'get_weather', arguments: '{}' } }],
      },
      { role: 'tool', tool_call_id: 'tu1', content: 'Rain' },
    ],
  });
  assert.match(data.choices[0].message.content ?? '', /^Based on the tool result/);
  assert.deepEqual(last().body.toolConfig, {
    tools: [{ toolSpec: { name: 'get_weather', inputSchema: { json: { type: 'object' } } } }],
  });
});

test('images: data URLs become image blocks with bytes; http URLs are a clear 400', async () => {
  const data = await client.chat.completions.create({
    model: `bedrock/${CLAUDE}`,
    messages: [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is this?' },
          { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } },
        ],
      },
    ],
  });
  assert.match(data.choices[0].message.content ?? '', /^I see 1 image\./);
  assert.deepEqual(last().body.messages[0].content, [
    { text: 'What is this?' },
    { image: { format: 'png', source: { bytes: PNG } } },
  ]);

  const before = emu.requests.length;
  const e = await apiError(
    client.chat.completions.create({
      model: `bedrock/${CLAUDE}`,
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }] }],
    }),
  );
  assert.equal(e.status, 400);
  assert.equal(e.type, 'invalid_request_error');
  assert.equal(e.param, 'messages[0].content[0].image_url');
  assert.match(e.message, /needs image bytes.*data: URL/);
  assert.equal(emu.requests.length, before, 'nothing was sent upstream');
});

test('JSON mode: response_format becomes a system instruction and the answer is JSON', async () => {
  const data = await client.chat.completions.create({
    model: `bedrock/${CLAUDE}`,
    messages: [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'echo: json please' },
    ],
    response_format: { type: 'json_object' },
  });
  assert.deepEqual(JSON.parse(data.choices[0].message.content!), { reply: 'json please' });
  assert.deepEqual(last().body.system, [
    { text: 'You are terse.' },
    { text: 'Respond with a single valid JSON object and nothing else: no prose, no code fences.' },
  ]);
  await client.chat.completions.create({
    model: `bedrock/${CLAUDE}`,
    messages: [{ role: 'user', content: 'hi' }],
    response_format: {
      type: 'json_schema',
      json_schema: { name: 'r', schema: { type: 'object', properties: { reply: { type: 'string' } } } },
    },
  });
  assert.match(
    last().body.system[0].text,
    /conform to this JSON schema: \{"type":"object","properties":\{"reply":\{"type":"string"\}\}\}$/,
  );
});

test(
  'stop sequences and finish reasons: stop_sequence -> stop, ' + 'max_tokens -> length, guardrail -> content_filter',
  async () => {
    const stopped = await client.chat.completions.create({
      model: `bedrock/${CLAUDE}`,
      messages: [{ role: 'user', content: 'echo: one two three four' }],
      stop: ['three'],
    });
    assert.equal(stopped.choices[0].message.content, 'one two ');
    assert.equal(stopped.choices[0].finish_reason, 'stop');
    assert.deepEqual(last().body.inferenceConfig, { stopSequences: ['three'] });
    await client.chat.completions.create({
      model: `bedrock/${CLAUDE}`,
      messages: [{ role: 'user', content: 'echo: x' }],
      stop: 'END',
    });
    assert.deepEqual(last().body.inferenceConfig, { stopSequences: ['END'] });

    const long = await client.chat.completions.create({
      model: `bedrock/${CLAUDE}`,
      messages: [{ role: 'user', content: 'echo: one two three four five six' }],
      max_completion_tokens: 3,
    });
    assert.equal(long.choices[0].finish_reason, 'length');
    assert.equal(long.choices[0].message.content, 'one two three');
    assert.deepEqual(last().body.inferenceConfig, { maxTokens: 3 });

    const filtered = await client.chat.completions.create({
      model: 'bedrock/guardrail-model',
      messages: [{ role: 'user', content: 'something bad' }],
    });
    assert.equal(filtered.choices[0].finish_reason, 'content_filter');
    const stream = await client.chat.completions.create({
      model: 'bedrock/guardrail-model',
      messages: [{ role: 'user', content: 'something bad' }],
      stream: true,
    });
    let finish: string | null = null;
    for await (const c of stream) finish = c.choices[0]?.finish_reason ?? finish;
    assert.equal(finish, 'content_filter');
  },
);

test('usage: cache reads are cached_tokens and counted into prompt_tokens (also streamed)', async () => {
  const plain = await client.chat.completions.create({
    model: 'bedrock/plain-model',
    messages: [{ role: 'user', content: 'echo: cached answer' }],
  });
  const full = plain.usage!.prompt_tokens;
  assert.equal(plain.usage?.prompt_tokens_details?.cached_tokens, 0);
  const data = await client.chat.completions.create({
    model: 'bedrock/cache-model',
    messages: [{ role: 'user', content: 'echo: cached answer' }],
  });
  const u = data.usage!;
  // The emulator reports half the prompt as cache reads, 1 token as a cache write, the rest as inputTokens.
  assert.equal(u.prompt_tokens_details?.cached_tokens, Math.floor(full / 2));
  assert.equal(u.prompt_tokens, full, 'inputTokens + cacheRead + cacheWrite = the full prompt');
  assert.equal(u.completion_tokens, 2);
  assert.equal(u.total_tokens, full + 2);
  const stream = await client.chat.completions.create({
    model: 'bedrock/cache-model',
    messages: [{ role: 'user', content: 'echo: cached answer' }],
    stream: true,
    stream_options: { include_usage: true },
  });
  let usage: OpenAI.CompletionUsage | undefined;
  for await (const c of stream) usage = c.usage ?? usage;
  assert.deepEqual(usage?.prompt_tokens_details, { cached_tokens: Math.floor(full / 2) });
  assert.equal(usage?.prompt_tokens, u.prompt_tokens);
});

test('reasoningContent comes back as reasoning_content (complete and streamed)', async () => {
  const data = await client.chat.completions.create({
    model: 'bedrock/reasoning-model',
    messages: [{ role: 'user', content: 'echo: thought through' }],
  });
  const msg = data.choices[0].message as OpenAI.ChatCompletionMessage & { reasoning_content?: string };
  assert.equal(msg.reasoning_content, 'The user wants an answer; I will give one.');
  assert.equal(msg.content, 'thought through');
  const stream = await client.chat.completions.create({
    model: 'bedrock/reasoning-model',
    messages: [{ role: 'user', content: 'echo: thought through' }],
    stream: true,
  });
  let reasoning = '';
  let content = '';
  for await (const c of stream) {
    const d = c.choices[0]?.delta as { reasoning_content?: string; content?: string } | undefined;
    reasoning += d?.reasoning_content ?? '';
    content += d?.content ?? '';
  }
  assert.equal(reasoning, 'The user wants an answer; I will give one.');
  assert.equal(content, 'thought through');
});

test('parameters Converse cannot take are dropped and named in x-switchyard-dropped-params', async () => {
  const { data, response } = await client.chat.completions
    .create({
      model: `bedrock/${CLAUDE}`,
      messages: [{ role: 'user', content: 'echo: dropped' }],
      presence_penalty: 0.5,
      frequency_penalty: 0.1,
      seed: 7,
      user: 'u-1',
      logprobs: true,
      // @ts-expect-error fields the SDK does not know: nothing may be dropped silently
      top_k: 40,
      vendor_flag: { x: 1 },
    })
    .withResponse();
  assert.equal(data.choices[0].message.content, 'dropped');
  assert.deepEqual(response.headers.get('x-switchyard-dropped-params')?.split(',').sort(), [
    'frequency_penalty',
    'logprobs',
    'presence_penalty',
    'seed',
    'top_k',
    'user',
    'vendor_flag',
  ]);
  assert.deepEqual(Object.keys(last().body), ['messages']);
});

const errorCases: Array<[string, number, string, string, string?]> = [
  ['error-400', 400, 'invalid_request_error', 'validation_exception'],
  ['error-401', 401, 'authentication_error', 'unrecognized_client_exception'],
  ['error-403', 403, 'permission_error', 'access_denied_exception'],
  ['error-404', 404, 'not_found_error', 'resource_not_found_exception'],
  ['error-408', 408, 'timeout_error', 'model_timeout_exception'],
  ['error-429', 429, 'rate_limit_error', 'throttling_exception', '1'],
  ['error-500', 500, 'api_error', 'internal_server_exception'],
  ['error-503', 503, 'api_error', 'service_unavailable_exception'],
  ['overloaded', 429, 'rate_limit_error', 'model_not_ready_exception'],
  ['context-too-long', 400, 'invalid_request_error', 'context_length_exceeded'],
];

test('error answers: x-amzn-errortype mapped to status, type and code; retry-after kept', async () => {
  for (const [model, status, type, code, retryAfter] of errorCases) {
    const e = await apiError(
      client.chat.completions.create({ model: `bedrock/${model}`, messages: [{ role: 'user', content: 'hi' }] }),
    );
    assert.equal(e.status, status, model);
    assert.equal(e.type, type, model);
    assert.equal(e.code, code, model);
    assert.ok(e.message.length > 10, model);
    if (retryAfter) assert.equal(e.headers?.get('retry-after'), retryAfter);
  }
  const e = await apiError(
    client.chat.completions.create({
      model: 'bedrock/error-429',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    }),
  );
  assert.equal(e.status, 429);
  assert.equal(e.message, '429 Too many requests, please wait before trying again.');
});

test('an in-stream exception surfaces as an error in the SDK stream', async () => {
  const stream = await client.chat.completions.create({
    model: 'bedrock/stream-error-midway',
    messages: [{ role: 'user', content: 'Tell me a long story.' }],
    stream: true,
  });
  let text = '';
  await assert.rejects(
    async () => {
      for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
    },
    (e: unknown) => e instanceof OpenAI.APIError && /error while streaming/.test(e.message),
  );
  assert.ok(text.length > 0, 'content arrived before the error');
});

test('a truncated stream surfaces as an error in the SDK stream', async () => {
  const stream = await client.chat.completions.create({
    model: 'bedrock/stream-truncated',
    messages: [{ role: 'user', content: 'Tell me a long story.' }],
    stream: true,
  });
  await assert.rejects(
    async () => {
      for await (const c of stream) void c;
    },
    (e: unknown) => e instanceof OpenAI.APIError && /ended unexpectedly|could not be reached/.test(e.message),
  );
});

test('a slow upstream past timeoutMs is a 504', async () => {
  const e = await apiError(
    short.chat.completions.create({ model: 'bedrock/slow', messages: [{ role: 'user', content: 'hi' }] }),
  );
  assert.equal(e.status, 504);
  assert.equal(e.code, 'upstream_timeout');
});

test('embeddings: Titan v2 through InvokeModel, one call per input, OpenAI shape', async () => {
  const before = emu.requests.length;
  const res = await client.embeddings.create({
    model: 'amazon.titan-embed-text-v2:0',
    input: ['hello world', 'good bye moon'],
    dimensions: 512,
  });
  assert.equal(res.object, 'list');
  assert.equal(res.data.length, 2);
  assert.deepEqual(
    res.data.map((d) => d.index),
    [0, 1],
  );
  assert.equal(res.data[0].embedding.length, 512);
  assert.ok(
    Math.abs(Math.hypot(...res.data[0].embedding) - 1) < 1e-5,
    'normalised (float32 precision: the SDK asks for base64)',
  );
  assert.equal(res.usage.prompt_tokens, 5);
  assert.equal(res.usage.total_tokens, 5);
  const sent = emu.requests.slice(before);
  assert.equal(sent.length, 2);
  assert.ok(sent.every((r) => r.path === '/model/amazon.titan-embed-text-v2%3A0/invoke'));
  assert.deepEqual(
    sent.map((r) => r.body).sort((a, b) => a.inputText.localeCompare(b.inputText)),
    [
      { inputText: 'good bye moon', dimensions: 512, normalize: true },
      { inputText: 'hello world', dimensions: 512, normalize: true },
    ],
  );
});

test('embeddings: Cohere Embed in one call, token count from the Bedrock header; base64 encoding', async () => {
  const res = await bearer.embeddings.create({
    model: 'cohere.embed-english-v3',
    input: ['alpha beta', 'gamma'],
    encoding_format: 'float',
  });
  assert.equal(res.data.length, 2);
  assert.equal(res.data[1].embedding.length, 1024);
  assert.equal(res.usage.prompt_tokens, 3);
  assert.deepEqual(last().body, { texts: ['alpha beta', 'gamma'], input_type: 'search_document' });
  assert.equal(last().path, '/model/cohere.embed-english-v3/invoke');

  const b64 = await bearer.embeddings.create({
    model: 'amazon.titan-embed-text-v2:0',
    input: 'hello world',
    dimensions: 256,
    encoding_format: 'base64',
  });
  const raw = b64.data[0].embedding as unknown as string;
  assert.equal(typeof raw, 'string');
  assert.equal(Buffer.from(raw, 'base64').length, 256 * 4);
});

test('configuration: missing credentials and region are clear errors; the models list is advertised', {
  timeout: 10_000,
}, async () => {
  const saved = { ...process.env };
  for (const k of [
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
    'AWS_BEARER_TOKEN_BEDROCK',
    'AWS_REGION',
    'AWS_DEFAULT_REGION',
    'BEDROCK_BASE_URL',
  ])
    delete process.env[k];
  try {
    await assert.rejects(
      createGateway({ providers: [bedrock({ region: 'us-east-1' })], logging: { level: 'silent' } }),
      /AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.*AWS_BEARER_TOKEN_BEDROCK/,
    );
    await assert.rejects(
      createGateway({ providers: [bedrock({ accessKeyId: 'A', secretAccessKey: 'B' })], logging: { level: 'silent' } }),
      /Plugin "bedrock": option "region" is required: no AWS region was given\. Set AWS_REGION/,
    );
    process.env.AWS_ACCESS_KEY_ID = EMULATOR_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = EMULATOR_CREDENTIALS.secretAccessKey;
    process.env.AWS_DEFAULT_REGION = 'ap-south-1';
    process.env.BEDROCK_BASE_URL = emu.url;
    const envClient = await gatewayWith({});
    const data = await envClient.chat.completions.create({
      model: CLAUDE,
      messages: [{ role: 'user', content: 'echo: from env' }],
    });
    assert.equal(data.choices[0].message.content, 'from env');
    assert.match(String(last().headers.authorization), /\/ap-south-1\/bedrock\/aws4_request/);
    const models = await envClient.models.list();
    const ids = models.data.map((m) => m.id);
    const wanted = [
      'us.anthropic.claude-sonnet-4-20250514-v1:0',
      'global.anthropic.claude-sonnet-4-5-20250929-v1:0',
      'amazon.nova-pro-v1:0',
      'meta.llama3-3-70b-instruct-v1:0',
      'mistral.mistral-large-2407-v1:0',
      'amazon.titan-embed-text-v2:0',
    ];
    assert.deepEqual(
      wanted.filter((w) => !ids.includes(`bedrock/${w}`)),
      [],
    );
    assert.equal(ids.length, 44);
  } finally {
    process.env = saved;
  }
});

// Direct checks of the stream translator on hand-made event streams (statuses the SDK cannot see).

function fakeBody(frames: Uint8Array[]) {
  let destroyed = false;
  const body = {
    async *[Symbol.asyncIterator]() {
      for (const f of frames) yield f;
    },
    destroy() {
      destroyed = true;
    },
  };
  return { body, destroyed: () => destroyed };
}
const ev = (type: string, payload: unknown) =>
  encodeFrame(
    { ':event-type': type, ':content-type': 'application/json', ':message-type': 'event' },
    JSON.stringify(payload),
  );
const ctx = {
  provider: 'bedrock',
  id: 'chatcmpl-x',
  model: 'm',
  timeoutMs: 1000,
  signal: new AbortController().signal,
};

async function drain(frames: Uint8Array[]) {
  const { body, destroyed } = fakeBody(frames);
  const out: OpenAI.ChatCompletionChunk[] = [];
  let error: unknown;
  try {
    for await (const c of converseChunks(body, ctx)) out.push(c as OpenAI.ChatCompletionChunk);
  } catch (e) {
    error = e;
  }
  return { out, error, destroyed: destroyed() };
}

test('stream exceptions map to GatewayErrors with status and retryability', async () => {
  const cases: Array<[string, number, string, boolean]> = [
    ['throttlingException', 429, 'throttling_exception', true],
    ['validationException', 400, 'validation_exception', false],
    ['internalServerException', 500, 'internal_server_exception', true],
    ['serviceUnavailableException', 503, 'service_unavailable_exception', true],
    ['modelStreamErrorException', 502, 'model_stream_error_exception', true],
  ];
  for (const [name, status, code, retryable] of cases) {
    const { out, error } = await drain([
      ev('messageStart', { role: 'assistant' }),
      ev('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Hi' } }),
      encodeFrame(
        { ':exception-type': name, ':content-type': 'application/json', ':message-type': 'exception' },
        JSON.stringify({ message: `boom ${name}` }),
      ),
    ]);
    assert.equal(out.length, 2);
    assert.ok(error instanceof GatewayError, name);
    assert.equal(error.status, status, name);
    assert.equal(error.code, code, name);
    assert.equal(error.retryable, retryable, name);
    assert.equal(error.message, `boom ${name}`);
  }
  const generic = await drain([
    encodeFrame({ ':message-type': 'error', ':error-code': 'InternalFailure', ':error-message': 'broken' }, ''),
  ]);
  assert.ok(generic.error instanceof GatewayError);
  assert.equal(generic.error.status, 502);
  assert.equal(generic.error.message, 'broken');
});

test('stream: corrupt frames, missing messageStop and early exit', async () => {
  const bad = Uint8Array.from(ev('messageStart', { role: 'assistant' }));
  bad[bad.length - 1] ^= 0xff;
  const corrupt = await drain([bad]);
  assert.ok(corrupt.error instanceof GatewayError);
  assert.equal(corrupt.error.code, 'upstream_bad_response');
  assert.match(corrupt.error.message, /message CRC mismatch/);
  assert.equal(corrupt.destroyed, true);

  const noStop = await drain([
    ev('messageStart', { role: 'assistant' }),
    ev('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Hi' } }),
  ]);
  assert.ok(noStop.error instanceof GatewayError);
  assert.equal(noStop.error.code, 'upstream_stream_interrupted');
  assert.equal(noStop.error.status, 502);

  const ok = await drain([
    ev('messageStart', { role: 'assistant' }),
    ev('contentBlockStart', { contentBlockIndex: 1, start: { toolUse: { toolUseId: 'tu_1', name: 'f' } } }),
    ev('contentBlockDelta', { contentBlockIndex: 1, delta: { toolUse: { input: '{"a":' } } }),
    ev('contentBlockDelta', { contentBlockIndex: 1, delta: { toolUse: { input: '1}' } } }),
    ev('contentBlockStop', { contentBlockIndex: 1 }),
    ev('messageStop', { stopReason: 'tool_use' }),
    ev('metadata', {
      usage: { inputTokens: 5, outputTokens: 3, totalTokens: 8, cacheReadInputTokens: 2 },
      metrics: { latencyMs: 9 },
    }),
  ]);
  assert.equal(ok.error, undefined);
  assert.deepEqual(
    ok.out.map((c) => c.choices[0]?.delta),
    [
      { role: 'assistant', content: '' },
      { tool_calls: [{ index: 0, id: 'tu_1', type: 'function', function: { name: 'f', arguments: '' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '{"a":' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '1}' } }] },
      {},
      undefined,
    ],
  );
  assert.equal(ok.out[4].choices[0].finish_reason, 'tool_calls');
  assert.deepEqual(ok.out[5].usage, {
    prompt_tokens: 7,
    completion_tokens: 3,
    total_tokens: 10,
    prompt_tokens_details: { cached_tokens: 2 },
  });

  const { body, destroyed } = fakeBody([
    ev('messageStart', { role: 'assistant' }),
    ev('messageStop', { stopReason: 'end_turn' }),
  ]);
  for await (const c of converseChunks(body, ctx)) {
    void c;
    break; // the client went away
  }
  assert.equal(destroyed(), true);
});
