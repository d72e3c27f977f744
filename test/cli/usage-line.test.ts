/**
 * The usage line as a user's log collector reads it, from the real CLI: one JSON line per request,
 * written from the record's fields (core/usage-json.ts) or, for a record a plugin extended, by
 * JSON.stringify; both carry every field of the record.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import OpenAI from 'openai';
import { startCli } from '../helpers/cli.js';

/** The fields of every record, in the order of the line. */
const FIELDS = [
  'requestId',
  'time',
  'operation',
  'dialect',
  'requestedModel',
  'provider',
  'model',
  'stream',
  'status',
  'errorCode',
  'aborted',
  'latencyMs',
  'attempts',
  'promptTokens',
  'completionTokens',
  'totalTokens',
  'cachedTokens',
  'cacheWriteTokens',
  'reasoningTokens',
  'attemptLog',
];

test('usage lines: every field of the record, plain and streamed, failed, and with a plugin field', async () => {
  const cli = await startCli(['--config', 'test/fixtures/usage-field.config.ts']);
  try {
    const client = new OpenAI({ baseURL: `${cli.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const messages = [{ role: 'user' as const, content: 'hello there' }];
    const plain = await client.chat.completions.create({ model: 'mock/mock-large', messages });
    const stream = await client.chat.completions.create({
      model: 'mock/mock-large',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    for await (const _ of stream) {
      /* drain */
    }
    await client.chat.completions.create({ model: 'tagged', messages });
    await assert.rejects(client.chat.completions.create({ model: 'nowhere/no-such-model', messages }));
    assert.equal(await cli.stop('SIGTERM'), 0);

    const lines = cli
      .stdout()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const usage = lines.filter((l) => l.msg === 'request').map((l) => ({ line: l, u: l.usage }));
    assert.equal(usage.length, 4, 'one line per model request');
    for (const { line, u } of usage) {
      assert.equal(line.level, 30);
      assert.equal(line.reqId, u.requestId);
      assert.match(u.requestId, /^[0-9a-f-]{36}$/);
      assert.equal(typeof u.time, 'number');
      assert.equal(typeof u.latencyMs, 'number');
      assert.ok(Array.isArray(u.attemptLog));
    }
    const [p, s, tagged, failed] = usage.map((x) => x.u);
    assert.deepEqual(Object.keys(p).slice(0, FIELDS.length), FIELDS);
    assert.equal(p.status, 200);
    assert.equal(p.stream, false);
    assert.equal(p.errorCode, null);
    assert.equal(p.promptTokens, plain.usage!.prompt_tokens);
    assert.equal(p.completionTokens, plain.usage!.completion_tokens);
    assert.deepEqual(Object.keys(p.attemptLog[0]), ['target', 'status', 'latencyMs']);
    assert.equal(p.attemptLog[0].target, 'mock/mock-large');
    assert.equal(s.stream, true);
    assert.equal(typeof s.ttftMs, 'number');
    assert.ok(s.completionTokens > 0);
    // the plugin's field is in its line (JSON.stringify's way), with everything else
    assert.equal(tagged.region, 'eu-west');
    assert.equal(tagged.requestedModel, 'tagged');
    assert.deepEqual(
      Object.keys(tagged).filter((k) => k !== 'region'),
      Object.keys(p),
    );
    assert.ok(!('region' in p) && !('region' in s));
    assert.ok(failed.status >= 400);
    assert.equal(typeof failed.errorCode, 'string');
  } finally {
    if (cli.child.exitCode === null) await cli.stop('SIGKILL');
  }
});
