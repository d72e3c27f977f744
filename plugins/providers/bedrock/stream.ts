/**
 * ConverseStream (binary event-stream) -> canonical chunks.
 * Events (`:event-type`): messageStart {role}; contentBlockStart {contentBlockIndex, start:{toolUse:
 * {toolUseId, name}}}; contentBlockDelta {contentBlockIndex, delta:{text} | {toolUse:{input}} |
 * {reasoningContent:{text}}}; contentBlockStop; messageStop {stopReason}; metadata {usage, metrics}.
 * Exceptions (`:message-type: exception`, `:exception-type`) and `:message-type: error` throw.
 * The stream is complete once messageStop arrived (metadata follows it when Bedrock reports usage).
 */
import { GatewayError, errors } from '../../../core/errors.js';
import type { ChatCompletionChunk, ToolCallDelta } from '../../../core/types.js';
import { transportError } from '../../../core/upstream.js';
import { bedrockError } from './errors.js';
import { EventStreamError, decodeEventStream } from './eventstream.js';
import { finishReason, toUsage, type BedrockUsage } from './response.js';

export interface StreamContext {
  provider: string;
  id: string;
  model: string;
  timeoutMs: number;
  signal: AbortSignal;
}

type Delta = ChatCompletionChunk['choices'][number]['delta'];

export async function* converseChunks(
  body: AsyncIterable<Uint8Array | string> & { destroy(err?: Error): unknown },
  c: StreamContext,
): AsyncGenerator<ChatCompletionChunk> {
  const created = Math.floor(Date.now() / 1000);
  const chunk = (
    delta: Delta,
    finish: ChatCompletionChunk['choices'][number]['finish_reason'] = null,
  ): ChatCompletionChunk => ({
    id: c.id,
    object: 'chat.completion.chunk',
    created,
    model: c.model,
    choices: [{ index: 0, delta, finish_reason: finish }],
  });
  let roleSent = false;
  let stopped = false;
  let ended = false;
  const withRole = (d: Delta): Delta => {
    if (roleSent) return d;
    roleSent = true;
    return { role: 'assistant', ...d };
  };
  // contentBlockIndex -> tool call index (0, 1, 2 in order of appearance)
  const toolIndex = new Map<number, number>();
  let trailing = 0;
  const text = new TextDecoder();

  try {
    for await (const msg of decodeEventStream(body, (n) => {
      trailing = n;
    })) {
      const messageType = msg.headers[':message-type'];
      if (messageType === 'exception') {
        const name = String(msg.headers[':exception-type'] ?? 'internalServerException');
        let message: string | undefined;
        try {
          const p = JSON.parse(text.decode(msg.payload)) as { message?: string; Message?: string };
          message = p.message ?? p.Message;
        } catch {
          /* keep undefined */
        }
        throw bedrockError({
          provider: c.provider,
          name,
          message: message ?? `Amazon Bedrock stream exception: ${name}.`,
        });
      }
      if (messageType === 'error') {
        const code = String(msg.headers[':error-code'] ?? 'InternalFailure');
        throw new GatewayError(502, String(msg.headers[':error-message'] ?? `Amazon Bedrock stream error ${code}.`), {
          type: 'api_error',
          code: 'upstream_stream_error',
          retryable: true,
          upstream: { provider: c.provider },
        });
      }
      if (messageType !== 'event') continue;
      const eventType = String(msg.headers[':event-type'] ?? '');
      let ev: Record<string, unknown>;
      try {
        ev = msg.payload.length ? JSON.parse(text.decode(msg.payload)) : {};
      } catch {
        throw errors.upstreamBadResponse(c.provider, `the ${eventType || 'stream'} event payload is not JSON`);
      }
      switch (eventType) {
        case 'messageStart':
          yield chunk(withRole({ content: '' }));
          break;
        case 'contentBlockStart': {
          const start = ev.start as { toolUse?: { toolUseId?: string; name?: string } } | undefined;
          if (start?.toolUse) {
            const blockIndex = Number(ev.contentBlockIndex ?? 0);
            const index = toolIndex.size;
            toolIndex.set(blockIndex, index);
            const tc: ToolCallDelta = {
              index,
              id: start.toolUse.toolUseId,
              type: 'function',
              function: { name: start.toolUse.name ?? '', arguments: '' },
            };
            yield chunk(withRole({ tool_calls: [tc] }));
          }
          break;
        }
        case 'contentBlockDelta': {
          const delta = (ev.delta ?? {}) as {
            text?: string;
            toolUse?: { input?: string };
            reasoningContent?: { text?: string };
          };
          if (typeof delta.text === 'string') {
            if (delta.text) yield chunk(withRole({ content: delta.text }));
          } else if (delta.toolUse) {
            const blockIndex = Number(ev.contentBlockIndex ?? 0);
            const index = toolIndex.get(blockIndex);
            if (index === undefined)
              throw errors.upstreamBadResponse(c.provider, 'a toolUse delta arrived for a block that never started');
            if (delta.toolUse.input) {
              yield chunk(withRole({ tool_calls: [{ index, function: { arguments: delta.toolUse.input } }] }));
            }
          } else if (typeof delta.reasoningContent?.text === 'string' && delta.reasoningContent.text) {
            yield chunk(withRole({ reasoning_content: delta.reasoningContent.text }));
          }
          break;
        }
        case 'messageStop':
          stopped = true;
          yield chunk(withRole({}), finishReason(ev.stopReason as string | undefined));
          break;
        case 'metadata': {
          const usage = ev.usage as BedrockUsage | undefined;
          if (usage)
            yield {
              id: c.id,
              object: 'chat.completion.chunk',
              created,
              model: c.model,
              choices: [],
              usage: toUsage(usage),
            };
          break;
        }
        default:
          break; // contentBlockStop and unknown events carry nothing we need
      }
    }
    ended = true;
  } catch (e) {
    if (e instanceof EventStreamError)
      throw errors.upstreamBadResponse(c.provider, `corrupt event stream: ${e.message}`);
    throw transportError(c.provider, e, c.timeoutMs, c.signal);
  } finally {
    if (!ended) body.destroy();
  }
  if (!stopped) {
    throw errors.streamInterrupted(
      c.provider,
      trailing
        ? `the connection closed in the middle of an event (${trailing} bytes left)`
        : 'the connection closed before messageStop',
    );
  }
}
