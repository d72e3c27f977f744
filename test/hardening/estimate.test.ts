/**
 * Issue 14, defect 5: the admission estimate must count every part of a request, in every dialect:
 * file and input_audio parts, Anthropic documents, tool results and response_format.json_schema, at
 * their size (decoded bytes / 4 when nothing better is known). A small budget refuses a request with
 * a big file part instead of letting it through (budgets overran 300x).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import type OpenAI from 'openai';
import { openai } from '../../index.js';
import { promptTokens } from '../../core/tokens.js';
import { startOpenAIEmulator, type OpenAIEmulator } from '../emulators/openai.js';
import { startEnv, statusOf, type Env } from '../governance/helpers.js';

const KEY = 'sk-hardening-estimate-000000001';
let env: Env;
let emu: OpenAIEmulator;

before(async () => {
  emu = await startOpenAIEmulator();
  // gpt-4o-mini: $0.15 per 1M input tokens. $0.001 pays ~6,600 prompt tokens; 1 MB of file is ~260,000.
  env = await startEnv(
    { keys: [{ id: 'estimate', key: KEY, budgets: [{ limitUsd: 0.001, period: 'month' }] }] },
    { providers: [openai({ apiKey: 'test-key', baseURL: emu.url, responsesApi: false })] },
    { emu },
  );
});
after(async () => {
  await env?.close();
  await emu?.close();
});

const MB = 1024 * 1024;
const base64 = (bytes: number) => Buffer.alloc(bytes, 7).toString('base64');
const bigText = (chars: number) => 'lorem ipsum dolor sit amet '.repeat(Math.ceil(chars / 27)).slice(0, chars);

const refused = (r: { status: number; error: any }, what: string) => {
  assert.equal(r.status, 429, `${what}: ${r.status} ${JSON.stringify(r.error)}`);
  assert.equal(r.error.code, 'insufficient_quota', what);
};

const chat = (client: OpenAI, content: any, extra: Record<string, unknown> = {}) =>
  statusOf(
    client.chat.completions.create({
      model: 'gpt-4o-mini',
      max_tokens: 16,
      messages: [{ role: 'user', content }],
      ...extra,
    } as any),
  );

test('control: a small text request passes the small budget', async () => {
  const r = await chat(env.client(KEY), 'echo: hi');
  assert.equal(r.status, 200, JSON.stringify(r.error));
});

test(
  'a prompt with the text of a special token (<|endoftext|>) is estimated as text, ' + 'not refused with an error',
  async () => {
    const r = await chat(env.client(KEY), 'echo: what does <|endoftext|> or <|im_start|> mean?');
    assert.equal(r.status, 200, JSON.stringify(r.error));
    assert.equal(promptTokens({ model: 'm', messages: [{ role: 'user', content: '<|endoftext|>' }] }) > 3, true);
  },
);

test(
  'OpenAI chat: a 1 MB file part, a 1 MB input_audio part, ' + 'a big json_schema and a big tool result are refused',
  async () => {
    const client = env.client(KEY);
    refused(
      await chat(client, [
        { type: 'text', text: 'summarise' },
        { type: 'file', file: { filename: 'a.pdf', file_data: `data:application/pdf;base64,${base64(MB)}` } },
      ]),
      'file',
    );
    refused(
      await chat(client, [
        { type: 'text', text: 'transcribe' },
        { type: 'input_audio', input_audio: { data: base64(MB), format: 'wav' } },
      ]),
      'input_audio',
    );
    const schema = { type: 'object', description: bigText(200_000), properties: { a: { type: 'string' } } };
    refused(
      await chat(client, 'hi', { response_format: { type: 'json_schema', json_schema: { name: 'big', schema } } }),
      'json_schema',
    );
    refused(
      await statusOf(
        client.chat.completions.create({
          model: 'gpt-4o-mini',
          max_tokens: 16,
          messages: [
            { role: 'user', content: 'look it up' },
            {
              role: 'assistant',
              content: null,
              tool_calls: [{ id: 'c1', type: 'function', function: { name: 'lookup', arguments: '{}' } }],
            },
            { role: 'tool', tool_call_id: 'c1', content: [{ type: 'text', text: bigText(200_000) }] },
          ],
        }),
      ),
      'tool result',
    );
  },
);

test(
  'Anthropic Messages: a 1 MB PDF document and a big ' + "tool_result are refused (in Anthropic's error shape)",
  async () => {
    const client = new Anthropic({ baseURL: env.t.url, apiKey: KEY, maxRetries: 0 });
    const send = (content: any[]) =>
      client.messages
        .create({ model: 'gpt-4o-mini', max_tokens: 16, messages: [{ role: 'user', content }] } as any)
        .then(
          () => ({ status: 200, error: undefined as any }),
          (e: any) => ({ status: e.status, error: e.error }),
        );
    const doc = await send([
      { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: base64(MB) } },
      { type: 'text', text: 'summarise' },
    ]);
    assert.equal(doc.status, 429);
    assert.equal(doc.error.type, 'error');
    const tool = await client.messages
      .create({
        model: 'gpt-4o-mini',
        max_tokens: 16,
        messages: [
          { role: 'user', content: 'look it up' },
          { role: 'assistant', content: [{ type: 'tool_use', id: 'tu1', name: 'lookup', input: {} }] },
          {
            role: 'user',
            content: [{ type: 'tool_result', tool_use_id: 'tu1', content: [{ type: 'text', text: bigText(200_000) }] }],
          },
        ],
      } as any)
      .then(
        () => 200,
        (e: any) => e.status,
      );
    assert.equal(tool, 429);
  },
);

test('OpenAI Responses: a 1 MB input_file is refused', async () => {
  const client = env.client(KEY);
  const r = await statusOf(
    client.responses.create({
      model: 'gpt-4o-mini',
      max_output_tokens: 16,
      input: [
        {
          role: 'user',
          content: [
            { type: 'input_text', text: 'summarise' },
            { type: 'input_file', filename: 'a.pdf', file_data: `data:application/pdf;base64,${base64(MB)}` },
          ],
        },
      ],
    } as any),
  );
  assert.equal(r.status, 429, JSON.stringify(r.error));
});

test('the estimate counts every part at its size (unit)', () => {
  const plain = promptTokens({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
  const file = promptTokens({
    model: 'm',
    messages: [
      {
        role: 'user',
        content: [{ type: 'file', file: { file_data: `data:application/pdf;base64,${base64(400_000)}` } }],
      },
    ],
  });
  assert.ok(file >= 100_000, `400 KB file: ${file} tokens (bytes / 4)`);
  const audio = promptTokens({
    model: 'm',
    messages: [
      { role: 'user', content: [{ type: 'input_audio', input_audio: { data: base64(400_000), format: 'mp3' } }] },
    ],
  });
  assert.ok(audio >= 100_000, `audio: ${audio}`);
  const unknown = promptTokens({
    model: 'm',
    messages: [
      { role: 'user', content: [{ type: 'document', source: { type: 'url', url: 'https://example.com/a.pdf' } }] },
    ],
  });
  assert.ok(unknown > plain, 'an unknown part still costs something');
  const fileRef = promptTokens({
    model: 'm',
    messages: [{ role: 'user', content: [{ type: 'file', file: { file_id: 'file-abc' } }] }],
  });
  assert.ok(fileRef > plain + 1000, 'a file by id (size unknown) is counted conservatively');
  const reasoning = promptTokens({
    model: 'm',
    messages: [{ role: 'assistant', content: 'ok', reasoning_content: bigText(4000) }],
  });
  assert.ok(reasoning > 500, 'reasoning kept in the history counts');
});
