/**
 * Retention-free, end to end: canary text in prompts and completions (plain and streamed) and canary
 * keys (config, runtime-created, admin) appear nowhere in the logs, the SQLite file (WAL included),
 * /metrics or any admin answer.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ADMIN_KEY, startEnv } from './helpers.js';

const PROMPT_CANARY = 'zqxcanaryprompt';
const ANSWER_CANARY = 'zqxcanaryanswer';
const CONFIG_KEY = 'sk-canary-config-key-zqx00000001';

test('canaries never reach logs, the ledger file, metrics or admin answers', async () => {
  const env = await startEnv({
    keys: [{ id: 'canary-app', key: CONFIG_KEY, budgets: [{ limitUsd: 5 }], limits: { requestsPerMinute: 100 } }],
  });
  const created = await env.admin('POST', '/admin/keys', { name: 'runtime' });
  const runtimeKey: string = created.json.key;
  const secrets = [PROMPT_CANARY, ANSWER_CANARY, CONFIG_KEY, runtimeKey, ADMIN_KEY];
  const answers: string[] = [];
  try {
    for (const key of [CONFIG_KEY, runtimeKey]) {
      const c = env.client(key);
      const r = await c.chat.completions.create(
        {
          model: 'gpt-4o-mini',
          messages: [
            { role: 'system', content: `secret system ${PROMPT_CANARY}` },
            { role: 'user', content: `echo: ${ANSWER_CANARY} ${ANSWER_CANARY}` },
          ],
        },
        { headers: { 'x-switchyard-tags': 'canary-test' } },
      );
      answers.push(r.choices[0].message.content ?? '');
      const s = await c.chat.completions.create({
        model: 'gpt-4o-mini',
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: 'user', content: `echo: ${ANSWER_CANARY} streamed ${PROMPT_CANARY}` }],
      });
      let text = '';
      for await (const chunk of s) text += chunk.choices[0]?.delta?.content ?? '';
      answers.push(text);
      await c.embeddings.create({ model: 'text-embedding-3-small', input: `${PROMPT_CANARY} embed` });
      // a failing request with canary content
      await c.chat.completions
        .create({ model: 'openai/error-400', messages: [{ role: 'user', content: PROMPT_CANARY }] })
        .catch(() => undefined);
    }
    assert.ok(
      answers.every((a) => a.includes(ANSWER_CANARY)),
      'the completions carried the canary',
    );

    const admin = [
      await env.admin('GET', '/admin/keys'),
      await env.admin('GET', `/admin/keys/${created.json.id}`),
      await env.admin('GET', '/admin/budgets'),
      await env.admin('GET', '/admin/usage?group_by=key,model,tag,status,day'),
      await env.admin('GET', '/admin/usage?format=csv'),
      await env.admin('GET', '/admin/usage?format=csv&group_by=tag'),
    ];
    const own = await (
      await fetch(`${env.t.url}/v1/usage?format=csv`, { headers: { authorization: `Bearer ${CONFIG_KEY}` } })
    ).text();
    const metrics = (await env.admin('GET', '/metrics')).text;
    assert.ok(admin[3].json.totals.requests >= 8, 'the requests were recorded');
    for (const s of secrets) {
      for (const a of admin) assert.ok(!a.text.includes(s), `admin answer holds no "${s.slice(0, 12)}…"`);
      assert.ok(!own.includes(s));
      assert.ok(!metrics.includes(s), 'metrics hold no canary');
    }
  } finally {
    await env.close();
  }
  // after close: everything flushed to the file
  const files = [env.dbPath, `${env.dbPath}-wal`, `${env.dbPath}-shm`].filter(existsSync);
  const bytes = Buffer.concat(files.map((f) => readFileSync(f)));
  assert.ok(bytes.includes('canary-app'), 'the ledger holds the key id');
  for (const s of secrets) {
    assert.ok(!bytes.includes(s), `the SQLite file holds no "${s.slice(0, 12)}…"`);
    assert.ok(!env.t.logs.join('\n').includes(s), `the logs hold no "${s.slice(0, 12)}…"`);
  }
});
