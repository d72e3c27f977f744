/** Cohere (Chat v2, Embed v2) through the gateway with the official openai client against an emulated Cohere API. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { createGateway } from '../../index.js';
import { cohere } from '../../plugins/providers/cohere/index.js';
import { COHERE_PREAMBLE_TOKENS, startCohereEmulator, type CohereEmulator } from '../emulators/cohere.js';

type Gw = Awaited<ReturnType<typeof createGateway>>;
let emu: CohereEmulator;
let gw: Gw;
let client: OpenAI;

before(async () => {
  emu = await startCohereEmulator();
  gw = await createGateway({
    providers: [cohere({ apiKey: 'test-key', baseURL: emu.url })],
    logging: { level: 'silent' },
    failover: false,
  });
  const { url } = await gw.listen({ port: 0 });
  client = new OpenAI({ baseURL: url + '/v1', apiKey: 'unused', maxRetries: 0 });
});
after(async () => {
  await gw.close();
  await emu.close();
});

const last = () => emu.requests[emu.requests.length - 1];
const M = 'command-a-03-2025';
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

async function apiError(p: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof OpenAI.APIError, `expected APIError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected the call to fail');
}

async function collect(stream: AsyncIterable<OpenAI.ChatCompletionChunk>) {
  const chunks: OpenAI.ChatCompletionChunk[] = [];
  for await (const c of stream) chunks.push(c);
  return chunks;
}

test('plain completion: system prompt, Bearer auth, /v2/chat body, usage from billed_units', async () => {
  const { data, response } = await client.chat.completions
    .create({
      model: M,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'echo: hello cohere' },
      ],
    })
    .withResponse();
  assert.equal(data.choices[0].message.content, 'hello cohere');
  assert.equal(data.choices[0].finish_reason, 'stop');
  assert.equal(data.model, M);
  assert.equal(data.object, 'chat.completion');
  assert.match(data.id, /^[0-9a-f-]{36}$/);
  assert.equal(data.usage?.completion_tokens, 2);
  assert.ok((data.usage?.prompt_tokens ?? 0) > 0);
  assert.equal(data.usage?.total_tokens, (data.usage?.prompt_tokens ?? 0) + 2);
  assert.equal(response.headers.get('x-switchyard-provider'), 'cohere');
  assert.equal(response.headers.get('x-switchyard-dropped-params'), null);
  const up = last();
  assert.equal(up.path, '/v2/chat');
  assert.equal(up.headers.authorization, 'Bearer test-key');
  assert.deepEqual(up.body, {
    model: M,
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'echo: hello cohere' },
    ],
  });
});

test('multi-turn, developer role and sampling parameters are translated field by field', async () => {
  const { data, response } = await client.chat.completions
    .create({
      model: M,
      messages: [
        { role: 'developer', content: 'Rules.' },
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'hello' },
        { role: 'user', content: 'echo: more' },
      ],
      temperature: 0.4,
      top_p: 0.9,
      max_completion_tokens: 50,
      seed: 42,
      frequency_penalty: 0.2,
      presence_penalty: 0.1,
      stop: 'END',
      // @ts-expect-error non-OpenAI sampling field the gateway maps to Cohere's k
      top_k: 40,
    })
    .withResponse();
  assert.equal(data.choices[0].message.content, 'more');
  assert.equal(response.headers.get('x-switchyard-dropped-params'), null);
  const b = last().body;
  assert.deepEqual(b.messages, [
    { role: 'system', content: 'Rules.' },
    { role: 'user', content: 'hi' },
    { role: 'assistant', content: 'hello' },
    { role: 'user', content: 'echo: more' },
  ]);
  assert.equal(b.temperature, 0.4);
  assert.equal(b.p, 0.9);
  assert.equal(b.k, 40);
  assert.equal(b.max_tokens, 50);
  assert.equal(b.seed, 42);
  assert.equal(b.frequency_penalty, 0.2);
  assert.equal(b.presence_penalty, 0.1);
  assert.deepEqual(b.stop_sequences, ['END']);
  for (const k of ['top_p', 'top_k', 'stop', 'max_completion_tokens']) assert.equal(b[k], undefined, k);
});

test('parameters Cohere cannot take are dropped and listed', async () => {
  const { response } = await client.chat.completions
    .create({
      model: M,
      messages: [{ role: 'user', content: 'echo: x' }],
      n: 2,
      logit_bias: { '1': 5 },
      user: 'u-1',
      logprobs: true,
      parallel_tool_calls: false,
      tools,
    })
    .withResponse();
  assert.equal(response.headers.get('x-switchyard-dropped-params'), 'n,logit_bias,user,logprobs,parallel_tool_calls');
  const b = last().body;
  for (const k of ['n', 'logit_bias', 'user', 'logprobs', 'parallel_tool_calls']) assert.equal(b[k], undefined, k);
});

test('stop sequences end with STOP_SEQUENCE -> stop; max_tokens with MAX_TOKENS -> length', async () => {
  const stopped = await client.chat.completions.create({
    model: M,
    messages: [{ role: 'user', content: 'echo: one two STOP three' }],
    stop: ['STOP'],
  });
  assert.equal(stopped.choices[0].message.content, 'one two ');
  assert.equal(stopped.choices[0].finish_reason, 'stop');
  const cut = await client.chat.completions.create({
    model: M,
    messages: [{ role: 'user', content: 'echo: a b c d e f' }],
    max_tokens: 3,
  });
  assert.equal(cut.choices[0].message.content, 'a b c');
  assert.equal(cut.choices[0].finish_reason, 'length');
  assert.equal(last().body.max_tokens, 3);
});

test('streamed completion: role first, content assembled, finish reason, no usage unless asked', async () => {
  const chunks = await collect(
    await client.chat.completions.create({
      model: M,
      stream: true,
      messages: [{ role: 'user', content: 'echo: one two three' }],
    }),
  );
  assert.equal(chunks[0].choices[0].delta.role, 'assistant');
  assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''), 'one two three');
  assert.equal(chunks[chunks.length - 1].choices[0].finish_reason, 'stop');
  assert.equal(chunks.filter((c) => c.choices[0]?.finish_reason).length, 1);
  assert.ok(chunks.every((c) => !c.usage));
  assert.ok(chunks.every((c) => c.model === M && /^[0-9a-f-]{36}$/.test(c.id)));
  assert.equal(last().body.stream, true);
  assert.equal(last().headers.accept, 'text/event-stream');
  assert.equal(last().body.stream_options, undefined);
});

test('stream usage chunk with include_usage: billed units, not the preamble tokens', async () => {
  const chunks = await collect(
    await client.chat.completions.create({
      model: M,
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'echo: a b' }],
    }),
  );
  const u = chunks[chunks.length - 1];
  assert.deepEqual(u.choices, []);
  assert.equal(u.usage?.completion_tokens, 2);
  const plain = await client.chat.completions.create({ model: M, messages: [{ role: 'user', content: 'echo: a b' }] });
  assert.equal(u.usage?.prompt_tokens, plain.usage?.prompt_tokens);
  assert.ok((u.usage?.prompt_tokens ?? 0) < COHERE_PREAMBLE_TOKENS);
  assert.equal(u.usage?.total_tokens, (u.usage?.prompt_tokens ?? 0) + 2);
});

test('tools: single call with TOOL_CALL -> tool_calls; translated tools body', async () => {
  const res = await client.chat.completions.create({
    model: M,
    messages: [{ role: 'user', content: 'weather?' }],
    tools: [tools[0]],
  });
  assert.equal(res.choices[0].finish_reason, 'tool_calls');
  assert.equal(res.choices[0].message.content, null);
  const tc = res.choices[0].message.tool_calls![0] as OpenAI.ChatCompletionMessageFunctionToolCall;
  assert.match(tc.id, /^get_weather_[0-9a-f]{12}$/);
  assert.equal(tc.type, 'function');
  assert.equal(tc.function.name, 'get_weather');
  assert.deepEqual(JSON.parse(tc.function.arguments), { city: 'mock' });
  assert.deepEqual(last().body.tools, [tools[0]]);
  assert.equal(last().body.tool_choice, undefined);
});

test('tools: parallel calls, required/none and named tool_choice', async () => {
  const both = await client.chat.completions.create({
    model: M,
    messages: [{ role: 'user', content: 'use get_weather and get_time' }],
    tools,
  });
  assert.deepEqual(
    both.choices[0].message.tool_calls!.map((t) => (t as OpenAI.ChatCompletionMessageFunctionToolCall).function.name),
    ['get_weather', 'get_time'],
  );

  await client.chat.completions.create({
    model: M,
    messages: [{ role: 'user', content: 'x' }],
    tools,
    tool_choice: 'required',
  });
  assert.equal(last().body.tool_choice, 'REQUIRED');
  const none = await client.chat.completions.create({
    model: M,
    messages: [{ role: 'user', content: 'echo: no tools' }],
    tools,
    tool_choice: 'none',
  });
  assert.equal(last().body.tool_choice, 'NONE');
  assert.equal(none.choices[0].message.content, 'no tools');
  assert.equal(none.choices[0].finish_reason, 'stop');

  const named = await client.chat.completions.create({
    model: M,
    messages: [{ role: 'user', content: 'use get_weather and get_time' }],
    tools,
    tool_choice: { type: 'function', function: { name: 'get_time' } },
  });
  assert.deepEqual(
    named.choices[0].message.tool_calls!.map((t) => (t as OpenAI.ChatCompletionMessageFunctionToolCall).function.name),
    ['get_time'],
  );
  assert.equal(last().body.tool_choice, 'REQUIRED');
  assert.deepEqual(
    last().body.tools.map((t: any) => t.function.name),
    ['get_time'],
  );

  const e = await apiError(
    client.chat.completions.create({
      model: M,
      messages: [{ role: 'user', content: 'x' }],
      tools,
      tool_choice: { type: 'function', function: { name: 'nope' } },
    }),
  );
  assert.equal(e.status, 400);
  assert.equal(e.param, 'tool_choice');
});

test('streamed parallel tool calls: indexes 0 and 1, arguments assembled by the SDK', async () => {
  const runner = client.chat.completions.stream({
    model: M,
    messages: [{ role: 'user', content: 'use get_weather and get_time' }],
    tools,
  });
  const deltas: Array<{ index: number; id?: string; name?: string }> = [];
  runner.on('chunk', (c) => {
    for (const t of c.choices[0]?.delta.tool_calls ?? [])
      deltas.push({ index: t.index, id: t.id, name: t.function?.name });
  });
  const final = await runner.finalChatCompletion();
  assert.equal(final.choices[0].finish_reason, 'tool_calls');
  const calls = final.choices[0].message.tool_calls as OpenAI.ChatCompletionMessageFunctionToolCall[];
  assert.deepEqual(
    calls.map((c) => c.function.name),
    ['get_weather', 'get_time'],
  );
  assert.deepEqual(JSON.parse(calls[0].function.arguments), { city: 'mock' });
  assert.deepEqual(JSON.parse(calls[1].function.arguments), { zone: 'UTC' });
  const firsts = deltas.filter((d) => d.id);
  assert.deepEqual(
    firsts.map((d) => [d.index, d.name]),
    [
      [0, 'get_weather'],
      [1, 'get_time'],
    ],
  );
  assert.ok(deltas.filter((d) => !d.id).length >= 4, 'argument fragments arrive as separate deltas');
  assert.equal(final.choices[0].message.content, null);
});

test('tool results in a follow-up turn become role tool with tool_call_id', async () => {
  const res = await client.chat.completions.create({
    model: M,
    tools,
    messages: [
      { role: 'user', content: 'weather?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'get_weather_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'get_weather_1', content: 'sunny, 21 degrees' },
    ],
  });
  assert.match(res.choices[0].message.content ?? '', /^Based on the tool result/);
  assert.equal(res.choices[0].finish_reason, 'stop');
  const m = last().body.messages;
  assert.deepEqual(m[1], {
    role: 'assistant',
    tool_calls: [
      { id: 'get_weather_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } },
    ],
  });
  assert.deepEqual(m[2], { role: 'tool', tool_call_id: 'get_weather_1', content: 'sunny, 21 degrees' });
});

test('images: URL and base64 image_url parts; unsupported parts are a 400', async () => {
  const res = await client.chat.completions.create({
    model: 'command-a-vision-07-2025',
    messages: [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'what is this?' },
          { type: 'image_url', image_url: { url: 'https://example.com/cat.png', detail: 'high' } },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
        ],
      },
    ],
  });
  assert.match(res.choices[0].message.content ?? '', /^I see 2 images/);
  assert.deepEqual(last().body.messages[0].content, [
    { type: 'text', text: 'what is this?' },
    { type: 'image_url', image_url: { url: 'https://example.com/cat.png', detail: 'high' } },
    { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
  ]);
  const e = await apiError(
    client.chat.completions.create({
      model: M,
      messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } }] }],
    }),
  );
  assert.equal(e.status, 400);
  assert.match(e.message, /input_audio/);
});

test('JSON mode and json_schema map to Cohere response_format', async () => {
  const res = await client.chat.completions.create({
    model: M,
    messages: [{ role: 'user', content: 'echo: data' }],
    response_format: { type: 'json_object' },
  });
  assert.deepEqual(JSON.parse(res.choices[0].message.content ?? ''), { reply: 'data' });
  assert.deepEqual(last().body.response_format, { type: 'json_object' });
  const schema = { type: 'object', properties: { reply: { type: 'string' } }, required: ['reply'] };
  await client.chat.completions.create({
    model: M,
    messages: [{ role: 'user', content: 'echo: s' }],
    response_format: { type: 'json_schema', json_schema: { name: 'r', schema } },
  });
  assert.deepEqual(last().body.response_format, { type: 'json_object', json_schema: schema });
});

test('error classes: status, type and code as the SDK sees them', async () => {
  const cases: Array<[string, number, string, string | null]> = [
    ['error-400', 400, 'invalid_request_error', 'invalid_request'],
    ['error-401', 401, 'authentication_error', 'invalid_api_key'],
    ['error-402', 402, 'insufficient_quota', 'insufficient_quota'],
    ['error-403', 403, 'permission_error', 'permission_denied'],
    ['error-404', 404, 'invalid_request_error', 'model_not_found'],
    ['error-422', 400, 'invalid_request_error', 'unprocessable_entity'],
    ['error-498', 401, 'authentication_error', 'invalid_api_key'],
    ['error-499', 502, 'api_error', 'upstream_request_cancelled'],
    ['error-500', 500, 'api_error', null],
    ['error-503', 503, 'api_error', null],
    ['overloaded', 503, 'api_error', null],
    ['context-too-long', 400, 'invalid_request_error', 'context_length_exceeded'],
  ];
  for (const [model, status, type, code] of cases) {
    const e = await apiError(
      client.chat.completions.create({ model: `cohere/${model}`, messages: [{ role: 'user', content: 'hi' }] }),
    );
    assert.equal(e.status, status, model);
    assert.equal(e.type, type, model);
    assert.equal(e.code, code, model);
  }
  const e = await apiError(
    client.chat.completions.create({ model: 'cohere/error-404', messages: [{ role: 'user', content: 'hi' }] }),
  );
  assert.match(e.message, /model 'error-404' not found/);
});

test('429 is a rate_limit_error with retry-after kept, also on stream requests', async () => {
  for (const stream of [false, true]) {
    const e = await apiError(
      client.chat.completions.create({
        model: 'cohere/error-429',
        stream,
        messages: [{ role: 'user', content: 'hi' }],
      }),
    );
    assert.equal(e.status, 429);
    assert.equal(e.type, 'rate_limit_error');
    assert.equal(e.code, 'rate_limit_exceeded');
    assert.equal(e.headers?.get('retry-after'), '1');
    assert.match(e.message, /per minute request limit/);
  }
});

test("a wrong key upstream is a 401 with Cohere's message", async () => {
  const g = await createGateway({
    providers: [cohere({ apiKey: 'wrong', baseURL: emu.url + '/v2/' })],
    logging: { level: 'silent' },
    failover: false,
  });
  const { url } = await g.listen({ port: 0 });
  const c = new OpenAI({ baseURL: url + '/v1', apiKey: 'unused', maxRetries: 0 });
  const e = await apiError(c.chat.completions.create({ model: M, messages: [{ role: 'user', content: 'hi' }] }));
  assert.equal(e.status, 401);
  assert.equal((e.error as { message?: string }).message, 'invalid api token');
  assert.equal(last().path, '/v2/chat');
  await g.close();
});

test('mid-stream ERROR finish and truncation surface as errors in the SDK stream', async () => {
  for (const model of ['stream-error-midway', 'stream-truncated']) {
    const stream = await client.chat.completions.create({
      model: `cohere/${model}`,
      stream: true,
      messages: [{ role: 'user', content: 'echo: a b c d' }],
    });
    const seen: string[] = [];
    await assert.rejects(
      async () => {
        for await (const c of stream) seen.push(c.choices[0]?.delta.content ?? '');
      },
      (err: Error) => {
        assert.match(
          err.message,
          model === 'stream-truncated' ? /ended unexpectedly/ : /internal server error while generating/,
        );
        return true;
      },
    );
    assert.equal(seen.join(''), 'a', model);
  }
});

test('embeddings: /v2/embed with input_type and embedding_types, normalised to OpenAI (float and base64)', async () => {
  const res = await client.embeddings.create({
    model: 'embed-v4.0',
    input: ['hello world', 'bye'],
    dimensions: 256,
    encoding_format: 'float',
  });
  assert.equal(res.object, 'list');
  assert.equal(res.model, 'embed-v4.0');
  assert.equal(res.data.length, 2);
  assert.equal(res.data[1].index, 1);
  assert.equal(res.data[0].embedding.length, 256);
  assert.equal(res.usage.prompt_tokens, 3);
  assert.equal(res.usage.total_tokens, 3);
  assert.deepEqual(last().body, {
    model: 'embed-v4.0',
    texts: ['hello world', 'bye'],
    input_type: 'search_document',
    embedding_types: ['float'],
    output_dimension: 256,
  });
  assert.equal(last().path, '/v2/embed');
  // The SDK's default asks for base64 and decodes it: the vector must survive the round trip.
  const b64 = await client.embeddings.create({ model: 'embed-english-v3.0', input: 'hello world' });
  assert.equal(b64.data[0].embedding.length, 8);
  assert.ok(Math.abs(Math.hypot(...b64.data[0].embedding) - 1) < 1e-5);
  assert.equal(last().body.texts[0], 'hello world');
  assert.equal(last().body.output_dimension, undefined);
});

test('embedInputType option and a request input_type override the default', async () => {
  const g = await createGateway({
    providers: [cohere({ apiKey: 'test-key', baseURL: emu.url, embedInputType: 'search_query' })],
    logging: { level: 'silent' },
    failover: false,
  });
  const { url } = await g.listen({ port: 0 });
  const c = new OpenAI({ baseURL: url + '/v1', apiKey: 'unused', maxRetries: 0 });
  await c.embeddings.create({ model: 'embed-v4.0', input: 'q', encoding_format: 'float' });
  assert.equal(last().body.input_type, 'search_query');
  const cohereOnly = { input_type: 'classification' } as object; // a Cohere-specific field the SDK does not type
  await c.embeddings.create({ model: 'embed-v4.0', input: 'q', encoding_format: 'float', ...cohereOnly });
  assert.equal(last().body.input_type, 'classification');
  await g.close();
});

test('configuration: COHERE_API_KEY / COHERE_BASE_URL, claims, missing key', async () => {
  const saved = { ...process.env };
  try {
    process.env.COHERE_API_KEY = 'test-key';
    process.env.COHERE_BASE_URL = emu.url;
    const g = await createGateway({ providers: [cohere()], logging: { level: 'silent' }, failover: false });
    const { url } = await g.listen({ port: 0 });
    const c = new OpenAI({ baseURL: url + '/v1', apiKey: 'unused', maxRetries: 0 });
    const res = await c.chat.completions.create({
      model: 'c4ai-aya-expanse-32b',
      messages: [{ role: 'user', content: 'echo: env' }],
    });
    assert.equal(res.choices[0].message.content, 'env');
    assert.equal(last().body.model, 'c4ai-aya-expanse-32b');
    const models = await c.models.list();
    assert.ok(models.data.some((m) => m.id.endsWith('command-a-03-2025')));
    await g.close();
    delete process.env.COHERE_API_KEY;
    await assert.rejects(createGateway({ providers: [cohere()], logging: { level: 'silent' } }), /COHERE_API_KEY/);
  } finally {
    process.env = saved;
  }
});

test('a slow upstream past timeoutMs is a 504', async () => {
  const g = await createGateway({
    providers: [cohere({ apiKey: 'test-key', baseURL: emu.url, timeoutMs: 300 })],
    logging: { level: 'silent' },
    failover: false,
  });
  const { url } = await g.listen({ port: 0 });
  const c = new OpenAI({ baseURL: url + '/v1', apiKey: 'unused', maxRetries: 0 });
  const e = await apiError(
    c.chat.completions.create({ model: 'cohere/slow', messages: [{ role: 'user', content: 'hi' }] }),
  );
  assert.equal(e.status, 504);
  assert.equal(e.code, 'upstream_timeout');
  await g.close();
});

test('leaving a stream early closes the upstream connection', async () => {
  const stream = await client.chat.completions.create({
    model: 'cohere/slow-stream',
    stream: true,
    messages: [{ role: 'user', content: 'echo: w1 w2 w3 w4 w5 w6 w7 w8 w9 w10 w11 w12' }],
  });
  for await (const c of stream) {
    if (c.choices[0]?.delta.content) break;
  }
  const rec = last();
  const end = Date.now() + 2000;
  while (!emu.aborted.includes(rec) && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  assert.ok(emu.aborted.includes(rec), 'the emulator saw the connection close before it finished');
});

test('adapter: return() on the chunk iterator destroys the upstream body', async () => {
  const { UpstreamClient } = await import('../../core/upstream.js');
  const { CohereAdapter } = await import('../../plugins/providers/cohere/adapter.js');
  const http = new UpstreamClient();
  const adapter = new CohereAdapter(
    { name: 'cohere', baseURL: emu.url, apiKey: 'test-key', models: [], embedInputType: 'search_document' },
    http,
  );
  const ctrl = new AbortController();
  const call = {
    target: { provider: 'cohere', model: 'slow-stream' },
    signal: ctrl.signal,
    ctx: { responseHeaders: {} },
  } as unknown as Parameters<typeof adapter.chatStream>[1];
  const it = (
    await adapter.chatStream(
      { model: 'slow-stream', messages: [{ role: 'user', content: 'echo: a b c d e f g h' }] },
      call,
    )
  )[Symbol.asyncIterator]();
  const first = await it.next();
  assert.equal(first.value?.choices[0].delta.role, 'assistant');
  await it.return?.();
  const rec = last();
  const end = Date.now() + 2000;
  while (!emu.aborted.includes(rec) && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  assert.ok(emu.aborted.includes(rec));
  assert.equal(ctrl.signal.aborted, false, 'closed by return(), not by an abort');
  await http.close();
});
