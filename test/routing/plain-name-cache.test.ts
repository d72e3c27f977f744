/**
 * The router keeps what a bare model id resolved to (plugins/router/model-router.ts plainTargets) while
 * the lists it came from stay the same arrays. A provider whose list changes (discovery) hands out a new
 * array: a model it lists from then on is routed to it, and one it dropped is not, on the next request.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import OpenAI from 'openai';
import {
  definePlugin,
  mock,
  type ChatCompletionChunk,
  type ChatCompletionResponse,
  type ModelInfo,
  type ProviderAdapter,
} from '../../index.js';
import { startGateway } from '../helpers/gateway.js';

/** A provider whose model list is replaced at will, as a discovering adapter's is. */
function shifting(state: { list: ModelInfo[] }): ProviderAdapter {
  const answer = (model: string): ChatCompletionResponse =>
    ({
      id: 'chatcmpl-shift',
      object: 'chat.completion',
      created: 0,
      model,
      choices: [{ index: 0, message: { role: 'assistant', content: 'from shift' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 },
    }) as ChatCompletionResponse;
  return {
    name: 'shift',
    models: () => state.list,
    modelsReady: async () => undefined,
    chat: async (request) => answer(request.model),
    chatStream: async (): Promise<AsyncIterable<ChatCompletionChunk>> => {
      throw new Error('not used');
    },
  };
}

test('a bare id follows a provider list that changes: routed once listed, not found once dropped', async () => {
  const state = { list: [] as ModelInfo[] };
  const provider = definePlugin({
    name: 'shift-provider',
    apply(gw) {
      gw.providers.register(shifting(state));
    },
  });
  const t = await startGateway({ providers: [mock()], plugins: [provider()] });
  const ask = () =>
    t.client.chat.completions
      .create({ model: 'fresh-model', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
  try {
    for (let i = 0; i < 2; i++) {
      const e = await ask().then(
        () => assert.fail('expected 404'),
        (err: unknown) => err,
      );
      assert.ok(e instanceof OpenAI.NotFoundError, String(e));
    }
    state.list = [{ id: 'fresh-model', kind: 'chat' }]; // a new array, as discovery makes
    for (let i = 0; i < 2; i++) {
      const { data, response } = await ask();
      assert.equal(response.headers.get('x-switchyard-provider'), 'shift');
      assert.equal(data.choices[0].message.content, 'from shift');
    }
    state.list = [];
    const gone = await ask().then(
      () => assert.fail('expected 404'),
      (err: unknown) => err,
    );
    assert.ok(gone instanceof OpenAI.NotFoundError, String(gone));
  } finally {
    await t.close();
  }
});
