/**
 * The benchmark's floors (bench/floor.ts): the floor relays bytes as they are; the JSON floor (--json)
 * parses the request, refuses one without a string model, sends the upstream the body serialised again
 * and reads the answer's usage. Driven with the OpenAI SDK against the emulated upstream.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { freePort, waitForPort } from '../../bench/common.js';
import { startOpenAIEmulator, type OpenAIEmulator } from '../emulators/openai.js';

const FLOOR = new URL('../../bench/floor.ts', import.meta.url).pathname;

async function startFloor(upstream: OpenAIEmulator, json: boolean): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const origin = new URL(upstream.url).origin;
  const args = ['--import', 'tsx', FLOOR, `--port=${port}`, `--upstream=${origin}`, ...(json ? ['--json'] : [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  await waitForPort(port, 30_000, child);
  return { child, url: `http://127.0.0.1:${port}` };
}

for (const json of [false, true]) {
  describe(json ? 'the JSON floor (bench/floor.ts --json)' : 'the floor (bench/floor.ts)', () => {
    let upstream: OpenAIEmulator;
    let floor: { child: ChildProcess; url: string };
    before(async () => {
      upstream = await startOpenAIEmulator({ apiKey: 'sk-upstream' });
      floor = await startFloor(upstream, json);
    });
    after(async () => {
      floor?.child.kill('SIGTERM');
      await upstream?.close();
    });

    test('relays a chat completion and a stream, answered by the upstream', async () => {
      const client = new OpenAI({ apiKey: 'sk-upstream', baseURL: `${floor.url}/v1`, maxRetries: 0 });
      const chat = await client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hello' }],
      });
      assert.equal(chat.object, 'chat.completion');
      assert.ok(chat.usage && chat.usage.total_tokens > 0);
      const stream = await client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hello' }],
        stream: true,
      });
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
      assert.ok(text.length > 0);
    });

    test(
      json ? 'sends the upstream the body serialised again' : 'sends the upstream the bytes it was sent',
      async () => {
        const body = '{ "model" : "gpt-4o-mini",\n  "messages": [ {"role":"user","content":"spaced"} ] }';
        const res = await fetch(`${floor.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: 'Bearer sk-upstream' },
          body,
        });
        assert.equal(res.status, 200);
        const seen = upstream.requests.at(-1)!;
        assert.equal(seen.raw.toString(), json ? JSON.stringify(JSON.parse(body)) : body);
      },
    );

    test(json ? 'refuses a body without a string model (400), sending nothing' : 'relays any body unread', async () => {
      const before = upstream.requests.length;
      for (const body of ['{"input":"x"}', '{"model":7}', 'not json', '[]']) {
        const res = await fetch(`${floor.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: 'Bearer sk-upstream' },
          body,
        });
        const answer = (await res.json()) as { error?: { type?: string } };
        // The JSON floor's own refusal; the floor relays the upstream's.
        assert.equal(res.status, 400, body);
        assert.equal(answer.error?.type, 'invalid_request_error');
      }
      assert.equal(upstream.requests.length - before, json ? 0 : 4);
    });
  });
}
