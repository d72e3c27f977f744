/**
 * Azure streams: the first event carries only `prompt_filter_results` (`choices: []`, empty id and
 * model) and async-filter events may carry only `content_filter_results`; those are dropped so the
 * client sees a canonical stream (role first, then deltas, finish, usage). A delta that carries only
 * `audio` (a spoken answer's id, transcript, data or expiry) is kept. Empty id, created and
 * model are filled in. `finish_reason: "content_filter"` passes through (it is OpenAI's value).
 */
import { dropRaw } from '../../../core/chunks.js';
import { GatewayError, errors } from '../../../core/errors.js';
import type { ChatCompletionChunk } from '../../../core/types.js';
import { azureError } from './errors.js';

/** Drop Azure's filter-annotation-only events; fill in the id/model Azure leaves empty. */
export async function* azureChunks(
  provider: string,
  inner: AsyncIterable<ChatCompletionChunk>,
  model: string,
): AsyncGenerator<ChatCompletionChunk> {
  let id = '';
  let created = 0;
  const it = inner[Symbol.asyncIterator]();
  try {
    for (;;) {
      let next: IteratorResult<ChatCompletionChunk>;
      try {
        next = await it.next();
      } catch (e) {
        // A connection that breaks after the stream began is an interrupted stream.
        if (e instanceof GatewayError && e.code === 'upstream_unreachable') {
          throw errors.streamInterrupted(provider, 'the connection broke before [DONE]');
        }
        throw azureError(e);
      }
      if (next.done) return;
      const chunk = next.value;
      if (chunk.choices.length === 0 && !chunk.usage) continue; // prompt_filter_results only
      const choices = chunk.choices.filter((c) => c.finish_reason || hasDelta(c.delta));
      if (chunk.choices.length && choices.length === 0 && !chunk.usage) continue; // content_filter_results only
      if (chunk.id) id = chunk.id;
      if (chunk.created) created = chunk.created;
      yield dropRaw({
        ...chunk,
        id: chunk.id || id,
        created: chunk.created || created || Math.floor(Date.now() / 1000),
        model: chunk.model || model,
        object: 'chat.completion.chunk' as const,
        choices,
      });
    }
  } finally {
    await it.return?.();
  }
}

function hasDelta(delta: ChatCompletionChunk['choices'][number]['delta'] | undefined): boolean {
  if (!delta) return false;
  return (
    delta.role !== undefined ||
    typeof delta.content === 'string' ||
    Boolean(delta.tool_calls?.length) ||
    typeof delta.refusal === 'string' ||
    Boolean(delta.audio) || // a spoken answer's pieces (modalities with "audio")
    Boolean((delta as { function_call?: unknown }).function_call)
  );
}
