import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { createGateway } from '../../index.js';
import { gemini } from '../../plugins/providers/gemini/index.js';
import { cleanSchema } from '../../plugins/providers/gemini/request.js';
import { startGeminiEmulator, type GeminiEmulator } from '../emulators/gemini.js';

let emu: GeminiEmulator;
let gw: Awaited<ReturnType<typeof createGateway>>;
let client: OpenAI;
let url: string;

before(async () => {
  emu = await startGeminiEmulator();
  gw = await createGateway({
    providers: [gemini({ apiKey: 'test-key', baseURL: emu.url, timeoutMs: 5000 })],
    logging: { level: 'silent' },
    failover: false,
  });
  url = (await gw.listen({ port: 0 })).url;
  client = new OpenAI({ baseURL: url + '/v1', apiKey: 'unused', maxRetries: 0 });
});

after(async () => {
  await gw.close();
  await emu.close();
});

const last = () => emu.requests[emu.requests.length - 1];

const weather = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Weather for a city',
    parameters: {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      additionalProperties: false,
      properties: { city: { type: 'string' }, unit: { type: ['string', 'null'], enum: ['c', 'f'] } },
      required: ['city'],
    },
    strict: true,
  },
};
const time = {
  type: 'function' as const,
  function: {
    name: 'get_time',
    parameters: { type: 'object', properties: { zone: { type: 'string' } }, required: ['zone'] },
  },
};

test('plain completion: URL, key header, body, answer and usage', async () => {
  const r = await client.chat.completions.create({
    model: 'gemini-2.5-flash',
    messages: [{ role: 'user', content: 'echo: hello there' }],
  });
  assert.equal(r.choices[0].message.content, 'hello there');
  assert.equal(r.choices[0].finish_reason, 'stop');
  assert.equal(r.model, 'gemini-2.5-flash');
  assert.match(r.id, /^chatcmpl-/);
  const req = last();
  assert.equal(req.path, '/v1beta/models/gemini-2.5-flash:generateContent');
  assert.equal(req.headers['x-goog-api-key'], 'test-key');
  assert.equal(req.headers.authorization, undefined);
  assert.deepEqual(req.body, { contents: [{ role: 'user', parts: [{ text: 'echo: hello there' }] }] });
  assert.ok(r.usage!.prompt_tokens > 0);
  assert.equal(r.usage!.completion_tokens, 2);
  assert.equal(r.usage!.total_tokens, r.usage!.prompt_tokens + 2);
  assert.equal(r.usage!.prompt_tokens_details?.cached_tokens, 0);
  assert.equal(r.usage!.completion_tokens_details?.reasoning_tokens, 0);
});

test('system + developer prompts become systemInstruction; multi-turn merges same-role turns', async () => {
  const r = await client.chat.completions.create({
    model: 'gemini/gemini-2.5-pro',
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'developer', content: 'No emojis.' },
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello!' },
      { role: 'user', content: 'First.' },
      { role: 'user', content: [{ type: 'text', text: 'echo: second' }] },
    ],
  });
  assert.equal(r.choices[0].message.content, 'second');
  assert.deepEqual(last().body.systemInstruction, { parts: [{ text: 'Be brief.' }, { text: 'No emojis.' }] });
  assert.deepEqual(last().body.contents, [
    { role: 'user', parts: [{ text: 'Hi' }] },
    { role: 'model', parts: [{ text: 'Hello!' }] },
    { role: 'user', parts: [{ text: 'First.' }, { text: 'echo: second' }] },
  ]);
});

test('generation config mapping and dropped params header', async () => {
  const raw = await client.chat.completions
    .create({
      model: 'gemini-2.5-flash',
      messages: [{ role: 'user', content: 'echo: one two three' }],
      temperature: 0.3,
      top_p: 0.9,
      max_tokens: 50,
      stop: ['zzz'],
      seed: 7,
      presence_penalty: 0.5,
      frequency_penalty: 0.25,
      n: 2,
      user: 'u-1',
      logit_bias: { '1': 2 },
      parallel_tool_calls: false,
    })
    .withResponse();
  const r = raw.data;
  assert.equal(r.choices.length, 2);
  assert.equal(r.choices[1].index, 1);
  assert.equal(r.choices[1].message.content, 'one two three');
  assert.deepEqual(last().body.generationConfig, {
    temperature: 0.3,
    topP: 0.9,
    maxOutputTokens: 50,
    stopSequences: ['zzz'],
    candidateCount: 2,
    seed: 7,
    presencePenalty: 0.5,
    frequencyPenalty: 0.25,
  });
  assert.equal(raw.response.headers.get('x-switchyard-dropped-params'), 'parallel_tool_calls,user,logit_bias');
  assert.equal(raw.response.headers.get('x-switchyard-provider'), 'gemini');
});

test('stop sequences and finish reasons: MAX_TOKENS -> length, SAFETY -> content_filter', async () => {
  const stopped = await client.chat.completions.create({
    model: 'gemini-2.5-flash',
    messages: [{ role: 'user', content: 'echo: alpha beta gamma' }],
    stop: ' gamma',
  });
  assert.equal(stopped.choices[0].message.content, 'alpha beta');
  assert.equal(stopped.choices[0].finish_reason, 'stop');
  const cut = await client.chat.completions.create({
    model: 'gemini-2.5-flash',
    messages: [{ role: 'user', content: 'echo: alpha beta gamma delta' }],
    max_completion_tokens: 2,
  });
  assert.equal(cut.choices[0].message.content, 'alpha beta');
  assert.equal(cut.choices[0].finish_reason, 'length');
  assert.equal(last().body.generationConfig.maxOutputTokens, 2);
  const filtered = await client.chat.completions.create({
    model: 'gemini/safety',
    messages: [{ role: 'user', content: 'x' }],
  });
  assert.equal(filtered.choices[0].finish_reason, 'content_filter');
  assert.equal(filtered.choices[0].message.content, '');
});

test('a blocked prompt is a 400 content_filter error', async () => {
  await assert.rejects(
    client.chat.completions.create({ model: 'gemini/blocked-prompt', messages: [{ role: 'user', content: 'x' }] }),
    (e: any) => {
      assert.equal(e.status, 400);
      assert.equal(e.code, 'content_filter');
      assert.match(e.message, /blockReason: SAFETY/);
      return true;
    },
  );
  const s = await client.chat.completions
    .create({ model: 'gemini/blocked-prompt', messages: [{ role: 'user', content: 'x' }], stream: true })
    .catch((e) => e);
  assert.equal(s.status, 400);
  assert.equal(s.code, 'content_filter');
});

test('streamed completion: role first, content assembled, finish reason, no usage unless asked', async () => {
  const stream = await client.chat.completions.create({
    model: 'gemini-2.5-flash',
    messages: [{ role: 'user', content: 'echo: streaming works fine' }],
    stream: true,
  });
  const chunks = [];
  for await (const c of stream) chunks.push(c);
  assert.equal(chunks[0].choices[0].delta.role, 'assistant');
  assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''), 'streaming works fine');
  assert.equal(chunks.at(-1)!.choices[0].finish_reason, 'stop');
  assert.ok(chunks.every((c) => !c.usage));
  assert.equal(last().path, '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse');
  assert.equal(last().headers.accept, 'text/event-stream');
});

test('stream usage with include_usage', async () => {
  const stream = await client.chat.completions.create({
    model: 'gemini-2.5-flash',
    messages: [{ role: 'user', content: 'echo: count me' }],
    stream: true,
    stream_options: { include_usage: true },
  });
  const chunks = [];
  for await (const c of stream) chunks.push(c);
  const u = chunks.at(-1)!;
  assert.deepEqual(u.choices, []);
  assert.equal(u.usage!.completion_tokens, 2);
  assert.ok(u.usage!.prompt_tokens > 0);
  assert.equal(u.usage!.total_tokens, u.usage!.prompt_tokens + 2);
  assert.equal(last().body.stream_options, undefined);
});

test('tools: single call, cleaned schema, tool_choice required -> ANY, stable ids', async () => {
  const body = {
    model: 'gemini-2.5-flash',
    messages: [{ role: 'user' as const, content: 'weather in Paris?' }],
    tools: [weather],
    tool_choice: 'required' as const,
  };
  const r = await client.chat.completions.create(body);
  const c = r.choices[0];
  assert.equal(c.finish_reason, 'tool_calls');
  assert.equal(c.message.content, null);
  assert.equal(c.message.tool_calls!.length, 1);
  const tc = c.message.tool_calls![0] as any;
  assert.equal(tc.type, 'function');
  assert.equal(tc.function.name, 'get_weather');
  assert.deepEqual(JSON.parse(tc.function.arguments), { city: 'mock', unit: 'c' });
  assert.match(tc.id, /^call_[0-9a-f]{24}$/);
  const sent = last().body;
  assert.deepEqual(sent.tools, [
    {
      functionDeclarations: [
        {
          name: 'get_weather',
          description: 'Weather for a city',
          parameters: {
            type: 'object',
            properties: { city: { type: 'string' }, unit: { type: 'string', nullable: true, enum: ['c', 'f'] } },
            required: ['city'],
          },
        },
      ],
    },
  ]);
  assert.deepEqual(sent.toolConfig, { functionCallingConfig: { mode: 'ANY' } });
});

test('tools: parallel calls, named tool_choice, auto and none', async () => {
  const par = await client.chat.completions.create({
    model: 'gemini-2.5-flash',
    messages: [{ role: 'user', content: 'use get_weather and get_time' }],
    tools: [weather, time],
  });
  assert.deepEqual(
    par.choices[0].message.tool_calls!.map((t: any) => t.function.name),
    ['get_weather', 'get_time'],
  );
  const ids = par.choices[0].message.tool_calls!.map((t) => t.id);
  assert.notEqual(ids[0], ids[1]);
  assert.equal(last().body.toolConfig, undefined);

  const named = await client.chat.completions.create({
    model: 'gemini-2.5-flash',
    messages: [{ role: 'user', content: 'use get_weather and get_time' }],
    tools: [weather, time],
    tool_choice: { type: 'function', function: { name: 'get_time' } },
  });
  assert.deepEqual(
    named.choices[0].message.tool_calls!.map((t: any) => t.function.name),
    ['get_time'],
  );
  assert.deepEqual(last().body.toolConfig, {
    functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_time'] },
  });

  await client.chat.completions.create({
    model: 'gemini-2.5-flash',
    messages: [{ role: 'user', content: 'hi' }],
    tools: [weather],
    tool_choice: 'auto',
  });
  assert.deepEqual(last().body.toolConfig, { functionCallingConfig: { mode: 'AUTO' } });
  const none = await client.chat.completions.create({
    model: 'gemini-2.5-flash',
    messages: [{ role: 'user', content: 'echo: no tools' }],
    tools: [weather],
    tool_choice: 'none',
  });
  assert.equal(none.choices[0].message.content, 'no tools');
  assert.deepEqual(last().body.toolConfig, { functionCallingConfig: { mode: 'NONE' } });
});

test('streamed tool calls: one delta per call with indexes, assembled by the SDK helper', async () => {
  const runner = client.chat.completions.stream({
    model: 'gemini-2.5-flash',
    messages: [{ role: 'user', content: 'use get_weather and get_time' }],
    tools: [weather, time],
  });
  const deltas: any[] = [];
  runner.on('chunk', (c) => {
    for (const tc of c.choices[0]?.delta.tool_calls ?? []) deltas.push(tc);
  });
  const done = await runner.finalChatCompletion();
  assert.deepEqual(
    deltas.map((d) => d.index),
    [0, 1],
  );
  assert.ok(deltas.every((d) => d.id && d.type === 'function' && d.function.name));
  const calls = done.choices[0].message.tool_calls!;
  assert.deepEqual(
    calls.map((t: any) => t.function.name),
    ['get_weather', 'get_time'],
  );
  assert.deepEqual(JSON.parse((calls[1] as any).function.arguments), { zone: 'mock' });
  assert.equal(done.choices[0].finish_reason, 'tool_calls');
});

test('tool results: functionCall / functionResponse turns with the name recovered from the call id', async () => {
  const first = await client.chat.completions.create({
    model: 'gemini-2.5-flash',
    messages: [{ role: 'user', content: 'use get_weather and get_time' }],
    tools: [weather, time],
  });
  const calls = first.choices[0].message.tool_calls! as any[];
  const r = await client.chat.completions.create({
    model: 'gemini-2.5-flash',
    tools: [weather, time],
    messages: [
      { role: 'user', content: 'use get_weather and get_time' },
      { role: 'assistant', content: null, tool_calls: calls },
      { role: 'tool', tool_call_id: calls[0].id, content: '{"temp": 21}' },
      { role: 'tool', tool_call_id: calls[1].id, content: '12:00' },
    ],
  });
  assert.match(r.choices[0].message.content!, /^Based on the tool result/);
  assert.deepEqual(last().body.contents, [
    { role: 'user', parts: [{ text: 'use get_weather and get_time' }] },
    {
      role: 'model',
      parts: [
        { functionCall: { name: 'get_weather', args: { city: 'mock', unit: 'c' } } },
        { functionCall: { name: 'get_time', args: { zone: 'mock' } } },
      ],
    },
    {
      role: 'user',
      parts: [
        { functionResponse: { name: 'get_weather', response: { temp: 21 } } },
        { functionResponse: { name: 'get_time', response: { result: '12:00' } } },
      ],
    },
  ]);
  await assert.rejects(
    client.chat.completions.create({
      model: 'gemini-2.5-flash',
      messages: [
        { role: 'user', content: 'x' },
        { role: 'tool', tool_call_id: 'nope', content: '1' },
      ],
    }),
    (e: any) => e.status === 400 && /matches no earlier assistant tool call/.test(e.message),
  );
});

test('thinking model: reasoning_content, reasoning tokens, thought signature round trip', async () => {
  const r = await client.chat.completions.create({
    model: 'gemini/gemini-thinking',
    messages: [{ role: 'user', content: 'echo: done' }],
    reasoning_effort: 'low',
  } as any);
  const msg = r.choices[0].message as any;
  assert.equal(msg.content, 'done');
  assert.equal(msg.reasoning_content, 'Let me think this through.');
  assert.equal(r.usage!.completion_tokens, 1 + 6);
  assert.equal(r.usage!.completion_tokens_details?.reasoning_tokens, 6);
  assert.equal(r.usage!.total_tokens, r.usage!.prompt_tokens + 7);
  assert.deepEqual(last().body.generationConfig.thinkingConfig, { thinkingBudget: 1024, includeThoughts: true });

  const s = await client.chat.completions.create({
    model: 'gemini/gemini-thinking',
    messages: [{ role: 'user', content: 'echo: done' }],
    stream: true,
  });
  let reasoning = '';
  for await (const c of s) reasoning += (c.choices[0]?.delta as any)?.reasoning_content ?? '';
  assert.equal(reasoning, 'Let me think this through.');

  const t = await client.chat.completions.create({
    model: 'gemini/gemini-thinking',
    messages: [{ role: 'user', content: 'weather?' }],
    tools: [weather],
  });
  const call = t.choices[0].message.tool_calls![0] as any;
  assert.match(call.id, /^call_[0-9a-f]{24}__ts__c2lnbmF0dXJlLTE=$/);
  await client.chat.completions.create({
    model: 'gemini/gemini-thinking',
    tools: [weather],
    messages: [
      { role: 'user', content: 'weather?' },
      { role: 'assistant', content: null, tool_calls: [call] },
      { role: 'tool', tool_call_id: call.id, content: 'sunny' },
    ],
  });
  assert.deepEqual(last().body.contents[1].parts[0], {
    functionCall: { name: 'get_weather', args: { city: 'mock', unit: 'c' } },
    thoughtSignature: 'c2lnbmF0dXJlLTE=',
  });
});

test('cached tokens are reported', async () => {
  const r = await client.chat.completions.create({
    model: 'gemini/gemini-cached',
    messages: [{ role: 'user', content: 'echo: x' }],
  });
  assert.equal(r.usage!.prompt_tokens_details?.cached_tokens, 4);
});

test('images: data URL -> inlineData, http URL -> fileData with guessed mime type', async () => {
  const r = await client.chat.completions.create({
    model: 'gemini-2.5-flash',
    messages: [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is this?' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
          { type: 'image_url', image_url: { url: 'https://example.com/cat.webp?x=1' } },
        ],
      },
    ],
  });
  assert.match(r.choices[0].message.content!, /^I see 2 images/);
  assert.deepEqual(last().body.contents[0].parts, [
    { text: 'What is this?' },
    { inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgo=' } },
    { fileData: { mimeType: 'image/webp', fileUri: 'https://example.com/cat.webp?x=1' } },
  ]);
});

test('JSON mode and json_schema', async () => {
  const r = await client.chat.completions.create({
    model: 'gemini-2.5-flash',
    messages: [{ role: 'user', content: 'echo: hi' }],
    response_format: { type: 'json_object' },
  });
  assert.deepEqual(JSON.parse(r.choices[0].message.content!), { reply: 'hi' });
  assert.equal(last().body.generationConfig.responseMimeType, 'application/json');
  await client.chat.completions.create({
    model: 'gemini-2.5-flash',
    messages: [{ role: 'user', content: 'echo: hi' }],
    response_format: {
      type: 'json_schema',
      json_schema: {
        name: 'r',
        strict: true,
        schema: {
          type: 'object',
          additionalProperties: false,
          properties: { reply: { type: 'string' } },
          required: ['reply'],
        },
      },
    },
  });
  assert.deepEqual(last().body.generationConfig, {
    responseMimeType: 'application/json',
    responseSchema: { type: 'object', properties: { reply: { type: 'string' } }, required: ['reply'] },
  });
});

test('schema cleaning resolves $refs, const and oneOf', () => {
  assert.deepEqual(
    cleanSchema({
      $schema: 'x',
      type: 'object',
      $defs: { P: { type: 'object', properties: { n: { const: 'a' } }, additionalProperties: false } },
      properties: { p: { $ref: '#/$defs/P' }, q: { oneOf: [{ type: 'string' }, { type: 'integer' }] } },
      required: ['p', 'missing'],
    }),
    {
      type: 'object',
      properties: {
        p: { type: 'object', properties: { n: { enum: ['a'], type: 'string' } } },
        q: { anyOf: [{ type: 'string' }, { type: 'integer' }] },
      },
      required: ['p'],
    },
  );
});

test('embeddings via batchEmbedContents', async () => {
  const r = await client.embeddings.create({
    model: 'gemini/gemini-embedding-001',
    input: ['hello world', 'bye'],
    dimensions: 16,
  });
  assert.equal(r.data.length, 2);
  assert.equal(r.data[1].index, 1);
  assert.equal(r.data[0].embedding.length, 16);
  assert.equal(r.usage.prompt_tokens, 3 + 1);
  assert.equal(last().path, '/v1beta/models/gemini-embedding-001:batchEmbedContents');
  assert.deepEqual(last().body, {
    requests: [
      { model: 'models/gemini-embedding-001', content: { parts: [{ text: 'hello world' }] }, outputDimensionality: 16 },
      { model: 'models/gemini-embedding-001', content: { parts: [{ text: 'bye' }] }, outputDimensionality: 16 },
    ],
  });
  const b = await client.embeddings.create({ model: 'gemini/text-embedding-004', input: 'hello' });
  assert.equal(b.data[0].embedding.length, 8);
});

const errorCases: Array<[string, number, string, string?]> = [
  ['error-400', 400, 'invalid_argument'],
  ['error-401', 401, 'unauthenticated'],
  ['error-403', 403, 'permission_denied'],
  ['error-404', 404, 'not_found'],
  ['error-429', 429, 'resource_exhausted'],
  ['error-500', 500, 'internal'],
  ['error-503', 503, 'unavailable'],
  ['error-504', 504, 'deadline_exceeded'],
  ['overloaded', 503, 'unavailable'],
  ['context-too-long', 400, 'context_length_exceeded'],
];

for (const [model, status, code] of errorCases) {
  test(`error ${model} -> ${status} ${code}`, async () => {
    const err: any = await client.chat.completions
      .create({ model: `gemini/${model}`, messages: [{ role: 'user', content: 'x' }] })
      .catch((e) => e);
    assert.ok(err instanceof OpenAI.APIError);
    assert.equal(err.status, status);
    assert.equal(err.code, code);
    if (status === 429) {
      assert.equal(err.headers.get('retry-after'), '1');
      assert.equal(err.type, 'rate_limit_error');
      assert.match(err.message, /exceeded your current quota/);
    }
    if (status === 401) assert.equal(err.type, 'authentication_error');
    if (model === 'overloaded') assert.match(err.message, /overloaded/);
    if (model === 'context-too-long') assert.equal(err.type, 'invalid_request_error');
    // Same mapping before a stream starts.
    const s: any = await client.chat.completions
      .create({ model: `gemini/${model}`, messages: [{ role: 'user', content: 'x' }], stream: true })
      .catch((e) => e);
    assert.equal(s.status, status);
    assert.equal(s.code, code);
  });
}

test('a wrong API key (Google answers 400 API_KEY_INVALID) is a 401 invalid_api_key', async () => {
  const gw2 = await createGateway({
    providers: [gemini({ apiKey: 'wrong', baseURL: emu.url })],
    logging: { level: 'silent' },
    failover: false,
  });
  const { url: u2 } = await gw2.listen({ port: 0 });
  try {
    const c2 = new OpenAI({ baseURL: u2 + '/v1', apiKey: 'unused', maxRetries: 0 });
    const err: any = await c2.chat.completions
      .create({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'x' }] })
      .catch((e) => e);
    assert.equal(err.status, 401);
    assert.equal(err.code, 'invalid_api_key');
    assert.equal(err.type, 'authentication_error');
    assert.match(err.message, /API key not valid/);
  } finally {
    await gw2.close();
  }
});

test('mid-stream error event surfaces as an error in the SDK stream', async () => {
  const stream = await client.chat.completions.create({
    model: 'gemini/stream-error-midway',
    messages: [{ role: 'user', content: 'echo: a b c d e f' }],
    stream: true,
  });
  let text = '';
  await assert.rejects(
    async () => {
      for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
    },
    (e: any) => {
      assert.match(e.message, /internal error/i);
      return true;
    },
  );
  assert.equal(text, 'a b');
});

test('truncated stream (no finishReason before close) surfaces as an error', async () => {
  const stream = await client.chat.completions.create({
    model: 'gemini/stream-truncated',
    messages: [{ role: 'user', content: 'echo: a b c d e f' }],
    stream: true,
  });
  await assert.rejects(
    async () => {
      for await (const _ of stream) {
        /* drain */
      }
    },
    (e: any) => {
      assert.match(e.message, /ended unexpectedly/);
      return true;
    },
  );
});

test('slow upstream beyond timeoutMs -> 504', async () => {
  const gw3 = await createGateway({
    providers: [gemini({ apiKey: 'test-key', baseURL: emu.url, timeoutMs: 300 })],
    logging: { level: 'silent' },
    failover: false,
  });
  const { url: u3 } = await gw3.listen({ port: 0 });
  try {
    const c3 = new OpenAI({ baseURL: u3 + '/v1', apiKey: 'unused', maxRetries: 0 });
    const err: any = await c3.chat.completions
      .create({ model: 'gemini/slow', messages: [{ role: 'user', content: 'x' }] })
      .catch((e) => e);
    assert.equal(err.status, 504);
    assert.equal(err.code, 'upstream_timeout');
  } finally {
    await gw3.close();
  }
});

test('models: listed and claimed; missing key is a clear boot error', async () => {
  const models = await client.models.list();
  const ids = models.data.map((m) => m.id);
  assert.ok(ids.some((id) => /gemini-2\.5-flash$/.test(id)));
  const saved = { g: process.env.GEMINI_API_KEY, o: process.env.GOOGLE_API_KEY };
  delete process.env.GEMINI_API_KEY;
  delete process.env.GOOGLE_API_KEY;
  try {
    await assert.rejects(createGateway({ providers: [gemini()], logging: { level: 'silent' } }), /GEMINI_API_KEY/);
  } finally {
    if (saved.g !== undefined) process.env.GEMINI_API_KEY = saved.g;
    if (saved.o !== undefined) process.env.GOOGLE_API_KEY = saved.o;
  }
});

test(
  'unit: RetryInfo without a retry-after header still yields retry-after; ' +
    'bare JSON error in a stream body is thrown',
  async () => {
    const { gatewayErrorFromGoogle } = await import('../../plugins/providers/gemini/errors.js');
    const e = gatewayErrorFromGoogle(
      'gemini',
      {
        code: 429,
        status: 'RESOURCE_EXHAUSTED',
        message: 'quota',
        details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '41.5s' }],
      },
      429,
    );
    assert.equal(e.status, 429);
    assert.equal(e.headers['retry-after'], '42');
    assert.equal(e.retryable, true);
    const inStream = gatewayErrorFromGoogle(
      'gemini',
      { code: 503, status: 'UNAVAILABLE', message: 'The model is overloaded.' },
      undefined,
    );
    assert.equal(inStream.status, 503);
    assert.equal(inStream.code, 'unavailable');

    const { Readable } = await import('node:stream');
    const { geminiChunks } = await import('../../plugins/providers/gemini/stream.js');
    const body = Readable.from([
      Buffer.from(
        '[{\n  "error": {\n    "code": 429,\n    "message": "Quota exceeded.",\n' +
          '    "status": "RESOURCE_EXHAUSTED"\n  }\n}\n]',
      ),
    ]);
    const gen = geminiChunks(
      'gemini',
      { statusCode: 200, headers: {}, body } as any,
      'm',
      new AbortController().signal,
      1000,
    );
    await assert.rejects(
      async () => {
        for await (const _ of gen) {
          /* drain */
        }
      },
      (err: any) => err.status === 429 && err.code === 'resource_exhausted' && err.message === 'Quota exceeded.',
    );
    assert.equal(body.destroyed, true);
  },
);
