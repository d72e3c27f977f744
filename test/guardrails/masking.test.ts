/**
 * Reversible masking through the real SDKs: an e-mail, a card number and an API key reach the
 * emulated upstream as placeholders (asserted on what the emulator received), and the client sees
 * its own values again, in JSON and in streams (placeholders split across 3-character chunks), on
 * the OpenAI, Anthropic Messages and Responses ingresses, in tool-call arguments, across turns, and
 * through the cache (two callers with different values share one masked entry, each sees their own).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import type OpenAI from 'openai';
import {
  anthropic,
  definePlugin,
  openai,
  type ChatCompletionChunk,
  type ChatCompletionRequest,
  type ChatCompletionResponse,
} from '../../index.js';
import { startAnthropicEmulator, type AnthropicEmulator } from '../emulators/anthropic.js';
import { startOpenAIEmulator, type OpenAIEmulator } from '../emulators/openai.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

const EMAIL = 'jane.doe@example.com';
const CARD = '4111 1111 1111 1111';
const KEY = 'sk-proj-Xq7vL2mN9pR4sT6uW8yZ0aB3cD5eF7gH';
const SECRET_TEXT = `mail ${EMAIL}, card ${CARD}, key ${KEY}`;

/** A provider whose answers put the last user text into tool-call arguments (streamed 4 characters at a time). */
const seen: ChatCompletionRequest[] = [];
const echoTools = definePlugin({
  name: 'echo-tools',
  apply(gw) {
    const answer = (req: ChatCompletionRequest): ChatCompletionResponse => {
      seen.push(req);
      const last = req.messages[req.messages.length - 1];
      return {
        id: 'chatcmpl-echo',
        object: 'chat.completion',
        created: 1,
        model: req.model,
        choices: [
          {
            index: 0,
            finish_reason: 'tool_calls',
            message: {
              role: 'assistant',
              content: 'Sending.',
              tool_calls: [
                {
                  id: 'call_1',
                  type: 'function',
                  function: { name: 'send', arguments: JSON.stringify({ body: last.content }) },
                },
              ],
            },
          },
        ],
      };
    };
    gw.providers.register({
      name: 'echotools',
      models: () => [{ id: 'm' }],
      async chat(req) {
        return answer(req);
      },
      async chatStream(req) {
        const res = answer(req);
        const args = res.choices[0].message.tool_calls![0].function.arguments;
        const base = { id: res.id, object: 'chat.completion.chunk' as const, created: 1, model: res.model };
        const chunk = (delta: ChatCompletionChunk['choices'][0]['delta'], finish: 'tool_calls' | null = null) => ({
          ...base,
          choices: [{ index: 0, delta, finish_reason: finish }],
        });
        const chunks: ChatCompletionChunk[] = [
          chunk({ role: 'assistant', content: 'Sending.' }),
          chunk({
            tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'send', arguments: '' } }],
          }),
        ];
        for (let i = 0; i < args.length; i += 4) {
          chunks.push(chunk({ tool_calls: [{ index: 0, function: { arguments: args.slice(i, i + 4) } }] }));
        }
        chunks.push(chunk({}, 'tool_calls'));
        return (async function* () {
          yield* chunks;
        })();
      },
    });
  },
});

let oai: OpenAIEmulator;
let anth: AnthropicEmulator;
let t: TestGateway;
let cached: TestGateway;

before(async () => {
  [oai, anth] = await Promise.all([startOpenAIEmulator(), startAnthropicEmulator()]);
  const providers = () => [
    openai({ apiKey: 'test-key', baseURL: oai.url }),
    anthropic({ apiKey: 'test-key', baseURL: anth.url }),
  ];
  const guardrails = {
    policies: [
      { id: 'mask', action: 'redact' as const, checks: [{ type: 'pii' as const }, { type: 'secrets' as const }] },
    ],
  };
  t = await startGateway({ providers: [...providers(), echoTools()], guardrails });
  cached = await startGateway({ providers: providers(), guardrails, cache: { ttlSeconds: 60 } });
});
after(async () => {
  await t.close();
  await cached.close();
  await Promise.all([oai.close(), anth.close()]);
});

const lastBody = (e: { requests: Array<{ body: any }> }) => e.requests[e.requests.length - 1].body;
const user = (content: string) => [{ role: 'user' as const, content }];
const CLAUDE = 'anthropic/claude-haiku-4-5';

/** The text of an Anthropic SDK message stream. */
async function anthropicText(stream: AsyncIterable<Anthropic.MessageStreamEvent>): Promise<string> {
  let text = '';
  for await (const ev of stream) {
    if (ev.type === 'content_block_delta' && ev.delta.type === 'text_delta') text += ev.delta.text;
  }
  return text;
}

function assertMasked(upstream: unknown) {
  const text = JSON.stringify(upstream);
  for (const v of [EMAIL, CARD, KEY, '4111111111111111']) assert.ok(!text.includes(v), `the upstream saw ${v}`);
  assert.match(text, /\[EMAIL_1\]/);
  assert.match(text, /\[CREDIT_CARD_1\]/);
  assert.match(text, /\[API_KEY_1\]/);
}

test('OpenAI JSON: the upstream gets placeholders, the client its own values', async () => {
  const { data, response } = await t.client.chat.completions
    .create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: `echo: ${SECRET_TEXT}` }],
    })
    .withResponse();
  assertMasked(lastBody(oai).messages);
  assert.equal(lastBody(oai).messages[0].content, 'echo: mail [EMAIL_1], card [CREDIT_CARD_1], key [API_KEY_1]');
  assert.equal(data.choices[0].message.content, SECRET_TEXT);
  assert.equal(response.headers.get('x-switchyard-guardrails'), 'redacted=3');
});

test('OpenAI stream: placeholders split across 3-character chunks are restored', async () => {
  const stream = await t.client.chat.completions.create({
    model: 'openai/tiny-chunks',
    stream: true,
    messages: [{ role: 'user', content: `echo: ${SECRET_TEXT}` }],
  });
  let text = '';
  let pieces = 0;
  for await (const c of stream) {
    const d = c.choices[0]?.delta.content;
    if (d) {
      text += d;
      pieces++;
    }
  }
  assertMasked(lastBody(oai).messages);
  assert.equal(text, SECRET_TEXT);
  assert.ok(pieces > 5, `the answer still arrives in pieces (${pieces})`);
});

test('a multi-part message, system prompt and earlier turns are masked consistently', async () => {
  const res = await t.client.chat.completions.create({
    model: 'gpt-4o',
    messages: [
      { role: 'system', content: `Account owner: ${EMAIL}` },
      { role: 'user', content: `my card is ${CARD}` },
      { role: 'assistant', content: `Noted: ${CARD} for ${EMAIL}.` },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'echo: charge' },
          { type: 'text', text: ` ${CARD} and mail ${EMAIL}` },
        ],
      },
    ],
  });
  const up = lastBody(oai).messages;
  assert.equal(up[0].content, 'Account owner: [EMAIL_1]');
  assert.equal(up[2].content, 'Noted: [CREDIT_CARD_1] for [EMAIL_1].');
  assert.equal(up[3].content[1].text, ' [CREDIT_CARD_1] and mail [EMAIL_1]');
  assert.ok(!JSON.stringify(up).includes(EMAIL));
  assert.equal(res.choices[0].message.content, `charge  ${CARD} and mail ${EMAIL}`);
});

test('tool-call arguments are restored, as JSON, in plain and streamed answers', async () => {
  const ask = {
    model: 'echotools/m',
    messages: user(`write to ${EMAIL} "now"`),
    tools: [{ type: 'function' as const, function: { name: 'send' } }],
  };
  const res = await t.client.chat.completions.create(ask);
  assert.equal(seen[seen.length - 1].messages[0].content, 'write to [EMAIL_1] "now"');
  const call = res.choices[0].message.tool_calls![0] as { function: { arguments: string } };
  assert.deepEqual(JSON.parse(call.function.arguments), { body: `write to ${EMAIL} "now"` });
  const stream = await t.client.chat.completions.create({ ...ask, stream: true });
  let args = '';
  let argPieces = 0;
  for await (const c of stream) {
    const a = c.choices[0]?.delta.tool_calls?.[0]?.function?.arguments;
    if (a) {
      args += a;
      argPieces++;
    }
  }
  assert.deepEqual(JSON.parse(args), { body: `write to ${EMAIL} "now"` });
  assert.ok(argPieces > 3);
});

test('Anthropic Messages ingress: masked upstream, restored JSON and stream', async () => {
  const client = new Anthropic({ baseURL: t.url, apiKey: 'unused', maxRetries: 0 });
  const msg = await client.messages.create({
    model: 'anthropic/claude-haiku-4-5',
    max_tokens: 200,
    system: `Owner ${EMAIL}`,
    messages: [{ role: 'user', content: `echo: ${SECRET_TEXT}` }],
  });
  const up = lastBody(anth);
  assertMasked(up);
  assert.deepEqual(up.system, [{ type: 'text', text: 'Owner [EMAIL_1]' }]);
  assert.equal(msg.content[0].type === 'text' ? msg.content[0].text : '', SECRET_TEXT);

  const stream = client.messages.stream({ model: CLAUDE, max_tokens: 200, messages: user(`echo: ${SECRET_TEXT}`) });
  const text = await anthropicText(stream);
  assertMasked(lastBody(anth));
  assert.equal(text, SECRET_TEXT);
  assert.equal((await stream.finalMessage()).stop_reason, 'end_turn');

  // split placeholders on this ingress too (an OpenAI upstream streaming 3 characters at a time)
  const split = client.messages.stream({
    model: 'openai/tiny-chunks',
    max_tokens: 200,
    messages: user(`echo: ${SECRET_TEXT}`),
  });
  assert.equal(await anthropicText(split), SECRET_TEXT);
});

test('Responses ingress: masked upstream, restored answer (plain and streamed)', async () => {
  const res = await t.client.responses.create({ model: 'openai/gpt-4o', input: `echo: ${SECRET_TEXT}` });
  assertMasked(lastBody(oai));
  assert.equal(res.output_text, SECRET_TEXT);
  let text = '';
  for await (const ev of t.client.responses.stream({ model: 'openai/tiny-chunks', input: `echo: ${SECRET_TEXT}` })) {
    if (ev.type === 'response.output_text.delta') text += ev.delta;
  }
  assert.equal(text, SECRET_TEXT);
});

test('cache: callers with different values share one masked entry and each gets their own values back', async () => {
  const ask = (email: string, stream = false) =>
    cached.client.chat.completions
      .create({
        model: 'gpt-4o',
        messages: user(`echo: reply to ${email} today`),
        ...(stream ? { stream: true as const } : {}),
      })
      .withResponse();
  const a = await ask('alice@example.com');
  assert.equal((a.data as OpenAI.ChatCompletion).choices[0].message.content, 'reply to alice@example.com today');
  let b = await ask('bob@example.org');
  for (let i = 0; i < 100 && b.response.headers.get('x-switchyard-cache') !== 'hit'; i++) {
    b = await ask('bob@example.org');
  }
  assert.equal(b.response.headers.get('x-switchyard-cache'), 'hit', 'the masked request is the same: one entry');
  assert.equal((b.data as OpenAI.ChatCompletion).choices[0].message.content, 'reply to bob@example.org today');
  const s = await ask('carol@example.net', true);
  let text = '';
  for await (const c of s.data as unknown as AsyncIterable<OpenAI.ChatCompletionChunk>) {
    text += c.choices[0]?.delta.content ?? '';
  }
  assert.equal(text, 'reply to carol@example.net today');
});

test('a request without anything to mask goes through untouched', async () => {
  const client = new Anthropic({ baseURL: t.url, apiKey: 'unused', maxRetries: 0 });
  const before = anth.requests.length;
  const msg = await client.messages.create({ model: CLAUDE, max_tokens: 50, messages: user('echo: nothing here') });
  assert.equal(msg.content[0].type === 'text' ? msg.content[0].text : '', 'nothing here');
  assert.equal(anth.requests.length, before + 1);
  const negatives = 'echo: version 1.2.3.4, order 4111 1111 1111 1112';
  const res = await t.client.chat.completions.create({ model: 'gpt-4o', messages: user(negatives) }).withResponse();
  assert.equal(lastBody(oai).messages[0].content, negatives, 'hard negatives are not masked');
  assert.equal(res.response.headers.get('x-switchyard-guardrails'), null);
});

test('Anthropic count_tokens: a request that masking rewrites is estimated locally, never sent upstream', async () => {
  const client = new Anthropic({ baseURL: t.url, apiKey: 'unused', maxRetries: 0 });
  const before = anth.requests.length;
  const { data, response } = await client.messages
    .countTokens({
      model: 'anthropic/claude-haiku-4-5',
      messages: [{ role: 'user', content: `count this: ${SECRET_TEXT}` }],
    })
    .withResponse();
  assert.ok(data.input_tokens > 10);
  assert.equal(response.headers.get('x-switchyard-estimated'), 'true');
  assert.equal(anth.requests.length, before, 'nothing went to the provider');
  // nothing to mask: the provider counts, as usual
  const plain = await client.messages.countTokens({ model: CLAUDE, messages: user('count this') }).withResponse();
  assert.equal(plain.response.headers.get('x-switchyard-estimated'), null);
  assert.equal(anth.requests[anth.requests.length - 1].path, '/v1/messages/count_tokens');
});
