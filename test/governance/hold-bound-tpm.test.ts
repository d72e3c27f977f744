/**
 * Tokens per minute take the exact o200k count, never the byte bound budgets hold with (it would take tokens
 * the caller may still use). A config with no token limit does not load the counter at start; a key made through
 * the admin API with one loads it on its first request. (One process per test file: nothing loaded it before.)
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { tokenizerLoaded } from '../../core/tokens.js';
import { ask, startEnv, type Env } from './helpers.js';

const TPM = 100_000;
// "hello " is one o200k token and 6 bytes: 2,000 of them take ~(2,007 x 1.1 + 16) + 16 tokens exactly, and
// ~(12,007 x 1.1 + 16) + 16 by the byte bound.
const PROMPT = 'hello '.repeat(2000);
let env: Env;

before(async () => {
  env = await startEnv({ keys: [{ id: 'budgeted', key: 'sk-hold-bound-tpm-0000000001', budgets: [{ limitUsd: 5 }] }] });
});
after(async () => {
  await env?.close();
});

test('a config without token limits starts without the o200k counter', () => {
  assert.equal(tokenizerLoaded(), false);
});

test('a runtime key with tokensPerMinute loads the counter at its first request, for the exact count', async () => {
  const created = await env.admin('POST', '/admin/keys', {
    name: 'tpm',
    limits: { tokensPerMinute: TPM },
    budgets: [{ limitUsd: 5 }],
  });
  assert.equal(created.status, 201, created.text);
  const { response } = await ask(env.client(created.json.key), PROMPT).withResponse();
  const remaining = Number(response.headers.get('x-ratelimit-remaining-tokens'));
  const exact = Math.ceil(2007 * 1.1) + 16 + 16;
  assert.equal(tokenizerLoaded(), true);
  assert.ok(Math.abs(TPM - remaining - exact) <= 20, `took ${TPM - remaining} tokens, the exact count is ~${exact}`);
});
