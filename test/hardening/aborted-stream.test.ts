/**
 * Issue 14, defect 4: a stream aborted after all its content but before the usage chunk must not
 * cost nothing. The gateway charges what it knows: the prompt estimate and the output counted from
 * the chunks it delivered (o200k tokenizer), marks the record `usageEstimated`, and budgets and
 * tokens-per-minute settle with it.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { startEnv, type Env } from '../governance/helpers.js';

const KEY = 'sk-hardening-abort-0000000000001';
const TPM = 6000; // refills 0.1 token per ms
let env: Env;

before(async () => {
  env = await startEnv(
    {
      keys: [{ id: 'abort', key: KEY, limits: { tokensPerMinute: TPM }, budgets: [{ limitUsd: 5, period: 'month' }] }],
    },
    {
      // the emulator's stalling model, priced like gpt-4o-mini
      catalog: {
        models: {
          'openai/stall-before-usage': {
            prices: { input: 0.15, output: 0.6 },
            contextWindow: 128_000,
            maxOutputTokens: 16_384,
          },
        },
      },
    },
  );
});
after(() => env?.close());

const words = Array.from({ length: 300 }, (_, i) => `word${i % 17} token${i % 5}`).join(' ');
const messages = [{ role: 'user' as const, content: `echo: ${words}` }];

async function ledgerRow(requestId: string): Promise<any> {
  const end = Date.now() + 5000;
  for (;;) {
    const db = new Database(env.dbPath, { readonly: true });
    try {
      const row = db.prepare('SELECT * FROM usage WHERE request_id = ?').get(requestId);
      if (row) return row;
    } finally {
      db.close();
    }
    if (Date.now() > end) throw new Error(`no ledger record for ${requestId}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

test('a stream aborted after its content, before the usage chunk, is charged its estimated usage', async () => {
  const client = env.client(KEY);
  // What the upstream reports for this exact answer when it is not cut (the reference).
  const refId = `abort-ref-${Date.now()}`;
  const t0 = Date.now();
  const full = await client.chat.completions.create(
    { model: 'gpt-4o-mini', messages, max_tokens: 2000 },
    { headers: { 'x-request-id': refId } },
  );
  const reported = full.usage!;

  const requestId = `abort-stall-${Date.now()}`;
  const stream = await client.chat.completions.create(
    {
      model: 'openai/stall-before-usage',
      messages,
      max_tokens: 2000,
      stream: true,
      stream_options: { include_usage: true },
    },
    { headers: { 'x-request-id': requestId } },
  );
  let text = '';
  let finished = false;
  for await (const chunk of stream) {
    text += chunk.choices[0]?.delta?.content ?? '';
    if (chunk.choices[0]?.finish_reason) {
      finished = true;
      stream.controller.abort(); // every byte of content is in; the usage chunk never came
      break;
    }
  }
  assert.ok(finished, 'the client saw the whole answer');
  assert.equal(text, full.choices[0].message.content);

  const row = await ledgerRow(requestId);
  assert.equal(row.status, 499);
  assert.equal(row.aborted, 1);
  assert.equal(row.usage_estimated, 1, 'the record says its usage is an estimate');
  assert.ok(
    row.input_tokens >= reported.prompt_tokens * 0.5 && row.input_tokens <= reported.prompt_tokens * 2,
    `prompt estimate ${row.input_tokens} vs reported ${reported.prompt_tokens}`,
  );
  assert.ok(
    row.output_tokens >= reported.completion_tokens * 0.5 && row.output_tokens <= reported.completion_tokens * 2,
    `output counted ${row.output_tokens} vs reported ${reported.completion_tokens}`,
  );
  assert.equal(row.total_tokens, row.input_tokens + row.output_tokens);
  assert.ok(row.cost_pusd > 0, 'priced');

  // The budget settled with the estimate; nothing stays held.
  const b = (await env.admin('GET', '/admin/budgets')).json.data.find((x: any) => x.id === 'abort');
  const fullRow = await ledgerRow(refId);
  assert.equal(Math.round(b.spentUsd * 1e12), fullRow.cost_pusd + row.cost_pusd, 'spend = both requests');
  assert.equal(b.heldUsd, 0);

  // Tokens per minute were not refunded: the next request sees them used.
  const { response } = await client.chat.completions
    .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], max_tokens: 1 })
    .withResponse();
  const remaining = Number(response.headers.get('x-ratelimit-remaining-tokens'));
  const refilled = ((Date.now() - t0) * TPM) / 60_000;
  // refunded, it would be about TPM - reported.total_tokens + refilled
  assert.ok(
    remaining <= TPM - row.total_tokens - reported.total_tokens + refilled + 50,
    `remaining ${remaining}, used ${row.total_tokens} + ${reported.total_tokens}, refilled ${refilled.toFixed(0)}`,
  );
});

test('a stream whose upstream never reports usage (normal end) is charged its estimate too', async () => {
  const client = env.client(KEY);
  const requestId = `abort-nousage-${Date.now()}`;
  // without include_usage the emulator sends no usage chunk at all; the gateway asks for it, but an
  // upstream that ignores stream_options is the case here: the stall model ends by the client.
  const stream = await client.chat.completions.create(
    {
      model: 'openai/stall-before-usage',
      messages: [{ role: 'user', content: 'echo: short answer here' }],
      stream: true,
    },
    { headers: { 'x-request-id': requestId } },
  );
  for await (const chunk of stream)
    if (chunk.choices[0]?.finish_reason) {
      stream.controller.abort();
      break;
    }
  const row = await ledgerRow(requestId);
  assert.equal(row.usage_estimated, 1);
  assert.ok(row.output_tokens > 0 && row.cost_pusd > 0);
});
