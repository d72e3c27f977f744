/**
 * Cohere v2 chat stream events -> canonical chunks. message-start -> role chunk; content-delta ->
 * content (thinking content -> `reasoning_content`); tool-call-start -> first delta of a tool call
 * (its own index 0,1,2 in order of appearance, id, type, name); tool-call-delta -> argument
 * fragments; tool-plan-delta, content-start/end, tool-call-end and citation events carry nothing
 * OpenAI has and are skipped; message-end -> finish chunk, then the usage chunk. message-end with
 * finish_reason ERROR/TIMEOUT, an `error` event, or a stream that ends before message-end throws.
 */
import { GatewayError, errors } from '../../../core/errors.js';
import type { ProviderHttp } from '../../../core/provider-kit/index.js';
import type { UpstreamCall } from '../../../core/provider.js';
import { parseSse } from '../../../core/sse.js';
import type { ChatCompletionChunk } from '../../../core/types.js';
import type { UpstreamResponse } from '../../../core/upstream.js';
import { toFinishReason, toUsage, type CohereToolCall, type CohereUsage } from './response.js';

type Delta = ChatCompletionChunk['choices'][number]['delta'];
type Finish = ChatCompletionChunk['choices'][number]['finish_reason'];

interface CohereStreamEvent {
  type?: string;
  id?: string;
  index?: number;
  message?: string;
  delta?: {
    error?: string;
    finish_reason?: string;
    usage?: CohereUsage;
    message?: {
      role?: string;
      content?: { type?: string; text?: string; thinking?: string };
      tool_plan?: string;
      tool_calls?: CohereToolCall;
    };
  };
}

export async function* cohereChunks(
  http: ProviderHttp,
  res: UpstreamResponse,
  call: UpstreamCall,
  model: string,
): AsyncGenerator<ChatCompletionChunk> {
  const provider = http.provider;
  let id = '';
  const created = Math.floor(Date.now() / 1000);
  let started = false;
  let ended = false;
  let nextTool = 0;
  const toolIndex = new Map<number, number>(); // Cohere event index -> our tool-call index
  const contentType = new Map<number, string>(); // content block index -> 'text' | 'thinking'
  const chunk = (delta: Delta, finish: Finish = null): ChatCompletionChunk => {
    if (!started) {
      started = true;
      delta = { role: 'assistant', ...delta };
    }
    return {
      id,
      object: 'chat.completion.chunk',
      created,
      model,
      choices: [{ index: 0, delta, finish_reason: finish }],
    };
  };
  try {
    for await (const sse of parseSse(res.body, { maxEventBytes: http.maxEventBytes })) {
      if (!sse.data) continue;
      if (sse.data === '[DONE]') break;
      // After message-end, read what is left (a [DONE] or nothing) so the pooled connection can be reused.
      if (ended) continue;
      let ev: CohereStreamEvent;
      try {
        ev = JSON.parse(sse.data);
      } catch {
        throw errors.upstreamBadResponse(provider, 'a stream event is not JSON');
      }
      const type = ev.type ?? sse.event;
      switch (type) {
        case 'message-start':
          id = ev.id ?? id;
          yield chunk({ role: 'assistant', content: '' });
          break;
        case 'content-start': {
          const c = ev.delta?.message?.content;
          contentType.set(ev.index ?? 0, c?.type ?? 'text');
          const text = c?.type === 'thinking' ? c.thinking : c?.text;
          if (text) yield chunk(c?.type === 'thinking' ? { reasoning_content: text } : { content: text });
          break;
        }
        case 'content-delta': {
          const c = ev.delta?.message?.content;
          const thinking = contentType.get(ev.index ?? 0) === 'thinking' || typeof c?.thinking === 'string';
          const text = thinking ? (c?.thinking ?? c?.text) : c?.text;
          if (text) yield chunk(thinking ? { reasoning_content: text } : { content: text });
          break;
        }
        case 'tool-call-start': {
          const tc = ev.delta?.message?.tool_calls;
          const index = nextTool++;
          toolIndex.set(ev.index ?? index, index);
          yield chunk({
            tool_calls: [
              {
                index,
                id: tc?.id ?? `call_${index}`,
                type: 'function',
                function: { name: tc?.function?.name ?? '', arguments: tc?.function?.arguments ?? '' },
              },
            ],
          });
          break;
        }
        case 'tool-call-delta': {
          const args = ev.delta?.message?.tool_calls?.function?.arguments;
          const index = toolIndex.get(ev.index ?? -1) ?? nextTool - 1;
          if (args && index >= 0) yield chunk({ tool_calls: [{ index, function: { arguments: args } }] });
          break;
        }
        case 'message-end': {
          const d = ev.delta ?? {};
          const finish = toFinishReason(d.finish_reason, provider, d.error); // throws on ERROR / TIMEOUT
          yield chunk({}, finish);
          const usage = toUsage(d.usage);
          if (usage) yield { id, object: 'chat.completion.chunk', created, model, choices: [], usage };
          ended = true;
          break;
        }
        case 'error':
          throw new GatewayError(502, ev.message ?? 'Cohere reported an error mid-stream.', {
            type: 'api_error',
            code: 'upstream_stream_error',
            retryable: true,
            upstream: { provider: provider },
          });
        default:
          // content-end, tool-plan-delta, tool-call-end, citation-start/end, debug: nothing to send.
          break;
      }
    }
  } catch (e) {
    if (ended && !(e instanceof GatewayError)) return; // the answer was complete; a broken tail does not matter
    // A connection that breaks after the stream began is an interrupted stream, not an unreachable host.
    throw http.bodyError(e, call);
  } finally {
    res.body.destroy();
  }
  if (!ended) throw errors.streamInterrupted(provider, 'the connection closed before message-end');
}
