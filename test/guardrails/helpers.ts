/** Shared by the guardrails tests: meter records, request ids, SDK error capture, short request bodies. */
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { definePlugin, type UsageRecord } from '../../index.js';
import { eventually } from '../helpers/gateway.js';

/** A plugin that keeps every meter record in `records`. */
export function recorder() {
  const records: UsageRecord[] = [];
  const plugin = definePlugin({
    name: 'collect',
    apply(gw) {
      gw.hooks.meter.tap('collect', (r) => {
        records.push(r);
      });
    },
  })();
  const recordOf = async (id: string) => {
    await eventually(() => records.some((r) => r.requestId === id));
    return records.find((r) => r.requestId === id)!;
  };
  return { records, plugin, recordOf };
}

export const rid = () => `req-${Math.random().toString(36).slice(2, 10)}`;

export const user = (content: string) => [{ role: 'user' as const, content }];

/** The APIError a call ends with (fails the test when it succeeds or fails otherwise). */
export async function apiError(p: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof OpenAI.APIError, `expected an APIError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected the request to fail');
}

/** The text of a streamed chat answer, and the error that ended it, if any. */
export async function drain(
  stream: AsyncIterable<OpenAI.ChatCompletionChunk>,
): Promise<{ text: string; error?: unknown }> {
  let text = '';
  try {
    for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
  } catch (error) {
    return { text, error };
  }
  return { text };
}

/** The last SSE event of a raw stream body (its data parsed), and the whole text. */
export async function lastEvent(res: Response): Promise<{ raw: string; event?: string; data: any }> {
  const raw = await res.text();
  const blocks = raw.split('\n\n').filter(Boolean);
  const last = blocks[blocks.length - 1];
  return { raw, event: /^event: (.*)$/m.exec(last)?.[1], data: JSON.parse(/^data: (.*)$/m.exec(last)![1]) };
}
