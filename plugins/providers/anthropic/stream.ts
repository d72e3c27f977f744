/**
 * Anthropic Messages SSE events -> canonical chat completion chunks.
 *
 * Event flow: message_start (Message with empty content and initial usage), per content block
 * content_block_start / content_block_delta (text_delta, input_json_delta, thinking_delta,
 * signature_delta) / content_block_stop, message_delta (stop_reason, cumulative usage), message_stop.
 * `ping` is ignored; `event: error` throws a GatewayError; unknown events are ignored (Anthropic may
 * add new ones). A stream that ends before message_stop throws `upstream_stream_interrupted`.
 *
 * Chunks: the first carries `delta.role: 'assistant'`; text -> `delta.content`; thinking ->
 * `delta.reasoning_content` (and the block signature in `delta.reasoning_signature`); each tool_use
 * block -> tool call deltas with a stable `index` (0, 1, 2 in order of appearance), the first with
 * id/type/name and empty arguments, then the argument fragments; the json_schema tool's input
 * fragments are streamed as `delta.content` instead. message_stop -> a finish chunk and a usage chunk
 * (`choices: []`).
 */
import { errors } from '../../../core/errors.js';
import type { SseEvent } from '../../../core/sse.js';
import type { ChatCompletionChunk, FinishReason, Usage } from '../../../core/types.js';
import { errorFromEvent } from './errors.js';
import type { JsonToolInfo } from './request.js';
import { mapStopReason, mapUsage } from './response.js';
import type { AnthropicContentBlock, AnthropicUsage } from './types.js';

type Delta = ChatCompletionChunk['choices'][number]['delta'];

type BlockKind =
  | { kind: 'text' }
  | { kind: 'thinking' }
  | { kind: 'tool'; index: number }
  | { kind: 'json'; buffered: string }
  | { kind: 'other' };

export interface StreamOptions {
  provider: string;
  jsonTool?: JsonToolInfo;
  created?: number;
}

export async function* anthropicEventsToChunks(
  events: AsyncIterable<SseEvent>,
  options: StreamOptions,
): AsyncGenerator<ChatCompletionChunk> {
  const { provider, jsonTool } = options;
  const created = options.created ?? Math.floor(Date.now() / 1000);
  let id = '';
  let model = '';
  let started = false;
  let usage: AnthropicUsage = {};
  let stopReason: string | null = null;
  let toolCount = 0;
  let jsonUsed = false;
  let thinkingText = '';
  const blocks = new Map<number, BlockKind>();

  const chunk = (delta: Delta, finish: FinishReason = null): ChatCompletionChunk => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
  });
  const bad = (detail: string) => errors.upstreamBadResponse(provider, detail);

  let stopped = false;
  for await (const ev of events) {
    // After message_stop, read the body to its end so the pooled connection can be reused.
    if (stopped) continue;
    const name = ev.event;
    if (name === 'ping') continue;
    if (name === 'error') throw errorFromEvent(provider, ev.data);
    if (!ev.data) continue;
    let data: any;
    try {
      data = JSON.parse(ev.data);
    } catch {
      throw bad(`a "${name ?? 'message'}" stream event is not JSON`);
    }
    const type: string | undefined = name ?? data?.type;
    if (data?.type === 'error') throw errorFromEvent(provider, ev.data);

    switch (type) {
      case 'message_start': {
        const msg = data.message ?? {};
        id = typeof msg.id === 'string' ? msg.id : id;
        model = typeof msg.model === 'string' ? msg.model : model;
        usage = { ...usage, ...(msg.usage ?? {}) };
        if (!started) {
          started = true;
          yield chunk({ role: 'assistant', content: '' });
        }
        break;
      }
      case 'content_block_start': {
        if (!started) throw bad('content_block_start before message_start');
        const index: number = data.index;
        const block = (data.content_block ?? {}) as AnthropicContentBlock;
        if (block.type === 'text') {
          blocks.set(index, { kind: 'text' });
          if (block.text) yield chunk({ content: block.text });
        } else if (block.type === 'thinking') {
          blocks.set(index, { kind: 'thinking' });
          if (block.thinking) {
            thinkingText += block.thinking;
            yield chunk({ reasoning_content: block.thinking });
          }
        } else if (block.type === 'tool_use') {
          if (jsonTool && block.name === jsonTool.name) {
            blocks.set(index, { kind: 'json', buffered: '' });
            jsonUsed = true;
          } else {
            const toolIndex = toolCount++;
            blocks.set(index, { kind: 'tool', index: toolIndex });
            yield chunk({
              tool_calls: [
                { index: toolIndex, id: block.id, type: 'function', function: { name: block.name, arguments: '' } },
              ],
            });
          }
        } else {
          blocks.set(index, { kind: 'other' });
        }
        break;
      }
      case 'content_block_delta': {
        const kind = blocks.get(data.index);
        if (!kind) throw bad('content_block_delta for a block that was not started');
        const d = data.delta ?? {};
        if (d.type === 'text_delta' && kind.kind === 'text') {
          if (d.text) yield chunk({ content: d.text });
        } else if (d.type === 'thinking_delta' && kind.kind === 'thinking') {
          if (d.thinking) {
            thinkingText += d.thinking;
            yield chunk({ reasoning_content: d.thinking });
          }
        } else if (d.type === 'signature_delta' && kind.kind === 'thinking') {
          if (d.signature) yield chunk({ reasoning_signature: d.signature });
        } else if (d.type === 'input_json_delta') {
          if (!d.partial_json) break;
          if (kind.kind === 'tool') {
            yield chunk({ tool_calls: [{ index: kind.index, function: { arguments: d.partial_json } }] });
          } else if (kind.kind === 'json') {
            if (jsonTool?.wrapped)
              kind.buffered += d.partial_json; // unwrap {value: ...} at the end
            else yield chunk({ content: d.partial_json });
          }
        }
        break;
      }
      case 'content_block_stop': {
        const kind = blocks.get(data.index);
        if (kind?.kind === 'json' && jsonTool?.wrapped) {
          let value: unknown = null;
          try {
            value = (JSON.parse(kind.buffered || '{}') as { value?: unknown }).value ?? null;
          } catch {
            throw bad('the structured answer is not valid JSON');
          }
          yield chunk({ content: JSON.stringify(value) });
        }
        break;
      }
      case 'message_delta': {
        if (data.delta && 'stop_reason' in data.delta) stopReason = data.delta.stop_reason;
        if (data.usage) {
          for (const [k, v] of Object.entries(data.usage as AnthropicUsage))
            if (v !== null && v !== undefined) usage[k] = v;
        }
        break;
      }
      case 'message_stop': {
        if (!started) throw bad('message_stop before message_start');
        let finish = mapStopReason(stopReason);
        if (jsonUsed && finish === 'tool_calls' && toolCount === 0) finish = 'stop';
        yield chunk({}, finish);
        const u: Usage = mapUsage(usage, thinkingText);
        yield { id, object: 'chat.completion.chunk', created, model, choices: [], usage: u };
        stopped = true;
        break;
      }
      default:
        break; // unknown event types are ignored, as Anthropic's versioning policy asks
    }
  }
  if (!stopped) throw errors.streamInterrupted(provider, 'the connection closed before message_stop');
}
