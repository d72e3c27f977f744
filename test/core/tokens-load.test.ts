/**
 * core/tokens.ts: 4 characters per token until loadTokenizer(), then o200k_base counts equal to
 * gpt-tokenizer's (text spelling a special token counted as text). Loading is done once, however often and
 * however concurrently it is asked for. (One process per test file: nothing loaded the counter before.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countTokens as gptCount } from 'gpt-tokenizer/encoding/o200k_base';
import { countTokens, loadTokenizer, promptTokens } from '../../core/tokens.js';

const TEXTS = ['', 'Hello, world!', 'a'.repeat(101), 'naïve 日本語 👩‍💻 <|endoftext|> <|im_start|>', ' \n\n '];

test('before loading, text counts at 4 characters per token; after, as gpt-tokenizer counts o200k_base', async () => {
  for (const t of TEXTS) assert.equal(countTokens(t), Math.ceil(t.length / 4), JSON.stringify(t));
  const req = { model: 'm', messages: [{ role: 'user' as const, content: 'x'.repeat(40) }] };
  assert.equal(promptTokens(req), 3 + 4 + 10);

  const before = process.memoryUsage().arrayBuffers;
  await Promise.all([loadTokenizer(), loadTokenizer(), loadTokenizer()]);
  const loaded = process.memoryUsage().arrayBuffers - before;
  assert.ok(loaded > 2 * 2 ** 20 && loaded < 8 * 2 ** 20, `the tables take ${(loaded / 2 ** 20).toFixed(1)} MiB`);
  await loadTokenizer();
  await loadTokenizer();
  const again = process.memoryUsage().arrayBuffers - before - loaded;
  assert.ok(again < 2 ** 20, `loading again took ${(again / 2 ** 20).toFixed(1)} MiB more`);

  const asText = { disallowedSpecial: new Set<string>() };
  for (const t of TEXTS) assert.equal(countTokens(t), gptCount(t, asText), JSON.stringify(t));
  assert.equal(countTokens('<|endoftext|>'), 7);
  assert.equal(promptTokens(req), 3 + 4 + gptCount('x'.repeat(40), asText));
});
