/**
 * Canonical answers -> Anthropic Messages answers: the Message JSON, the SSE event sequence and the
 * error shape. Answers that carry the upstream's own Message or events (NATIVE_RAW, see
 * passthrough.ts) are relayed as they came.
 *
 * - content: reasoning_content -> a `thinking` block (signature from reasoning_signature, else ''),
 *   text -> a `text` block, tool_calls -> `tool_use` blocks (arguments parsed; invalid JSON -> {}).
 * - stop_reason: stop -> end_turn, length -> max_tokens, tool_calls/function_call -> tool_use,
 *   content_filter -> refusal; stop_sequence is null (the canonical format does not say which
 *   sequence matched).
 * - usage: input_tokens = prompt - cached - cache creation, cache_read_input_tokens = cached,
 *   cache_creation_input_tokens, output_tokens = completion.
 * - streams: message_start (usage known at the end is sent in message_delta, as Anthropic does for
 *   cumulative counts), one content block per run of text / thinking / each tool call, with
 *   text_delta / thinking_delta / signature_delta / input_json_delta, then message_delta and
 *   message_stop. A failure after the stream started is `event: error` with the error body.
 * - errors: `{type:"error", error:{type, message}, request_id}` (core/http/anthropic-error.ts, shared with
 *   the passthrough); the type is the upstream's Anthropic error type when there is one (kept in the
 *   GatewayError's code), else derived from the status. The HTTP status is the GatewayError's: an
 *   overloaded Anthropic upstream (529) arrives as 503 with type `overloaded_error` (the anthropic
 *   provider's documented mapping), not as 529.
 */
import type { ChatContext } from '../../core/context.js';
import { anthropicErrorBody } from '../../core/http/anthropic-error.js';
import { sseData } from '../../core/sse.js';
import type { ChatCompletionChunk, ChatCompletionResponse, FinishReason, Usage } from '../../core/types.js';
import type { StreamEncoder } from '../../core/http/dialect.js';
import { nativeRaw } from './passthrough.js';

export function stopReason(finish: FinishReason | undefined): string {
  switch (finish) {
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
    case 'function_call':
      return 'tool_use';
    case 'content_filter':
      return 'refusal';
    default:
      return 'end_turn';
  }
}

export function anthropicUsage(u: Usage | null | undefined) {
  const cached = u?.prompt_tokens_details?.cached_tokens ?? 0;
  const creation = Number(u?.prompt_tokens_details?.cache_creation_tokens ?? 0) || 0;
  return {
    input_tokens: Math.max(0, (u?.prompt_tokens ?? 0) - cached - creation),
    cache_creation_input_tokens: creation,
    cache_read_input_tokens: cached,
    output_tokens: u?.completion_tokens ?? 0,
  };
}

const messageId = (id: string | undefined) =>
  id && id.startsWith('msg_') ? id : `msg_${(id ?? '').replace(/[^A-Za-z0-9_-]/g, '') || Date.now().toString(36)}`;

function toolInput(args: string | undefined): unknown {
  if (!args || !args.trim()) return {};
  try {
    const v = JSON.parse(args);
    return v && typeof v === 'object' && !Array.isArray(v) ? v : {};
  } catch {
    return {};
  }
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .filter((p) => p?.type === 'text')
    .map((p) => String(p.text ?? ''))
    .join('');
}

export function renderMessage(response: ChatCompletionResponse, ctx: ChatContext): unknown {
  const raw = nativeRaw(response);
  if (raw !== undefined) return raw;
  const choice = response.choices[0];
  const msg = choice?.message;
  const content: unknown[] = [];
  if (typeof msg?.reasoning_content === 'string' && msg.reasoning_content) {
    content.push({
      type: 'thinking',
      thinking: msg.reasoning_content,
      signature: typeof msg.reasoning_signature === 'string' ? msg.reasoning_signature : '',
    });
  }
  const text = textOf(msg?.content);
  if (text) content.push({ type: 'text', text });
  for (const tc of msg?.tool_calls ?? []) {
    content.push({ type: 'tool_use', id: tc.id, name: tc.function.name, input: toolInput(tc.function.arguments) });
  }
  return {
    id: messageId(response.id),
    type: 'message',
    role: 'assistant',
    model: response.model || ctx.requestedModel,
    content,
    stop_reason: stopReason(choice?.finish_reason),
    stop_sequence: null,
    usage: anthropicUsage(response.usage),
  };
}

const event = (name: string, data: unknown) => sseData(JSON.stringify(data), name);

type Open = { kind: 'text' | 'thinking' } | { kind: 'tool'; toolIndex: number };

/** Canonical chunks -> Anthropic SSE events (or the upstream's own events, when relayed). */
export function anthropicStreamEncoder(ctx: ChatContext): StreamEncoder {
  let started = false;
  let relayed = false;
  let index = -1;
  let open: Open | undefined;
  let finish: FinishReason | undefined;
  let usage: Usage | null | undefined;

  const start = (c: ChatCompletionChunk) => {
    started = true;
    return event('message_start', {
      type: 'message_start',
      message: {
        id: messageId(c.id),
        type: 'message',
        role: 'assistant',
        model: c.model || ctx.requestedModel,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 0, output_tokens: 0 },
      },
    });
  };
  const close = () => {
    if (!open) return '';
    open = undefined;
    return event('content_block_stop', { type: 'content_block_stop', index });
  };
  const begin = (next: Open, block: unknown) => {
    const out = close();
    open = next;
    index++;
    return out + event('content_block_start', { type: 'content_block_start', index, content_block: block });
  };
  const delta = (d: unknown) => event('content_block_delta', { type: 'content_block_delta', index, delta: d });

  return {
    chunk(c) {
      const raw = nativeRaw(c);
      if (typeof raw === 'string') {
        relayed = true;
        return raw;
      }
      let out = started ? '' : start(c);
      if (c.usage) usage = c.usage;
      for (const choice of c.choices) {
        if (choice.index !== 0) continue;
        const d = choice.delta ?? {};
        if (typeof d.reasoning_content === 'string' && d.reasoning_content) {
          if (open?.kind !== 'thinking')
            out += begin({ kind: 'thinking' }, { type: 'thinking', thinking: '', signature: '' });
          out += delta({ type: 'thinking_delta', thinking: d.reasoning_content });
        }
        if (typeof d.reasoning_signature === 'string' && d.reasoning_signature) {
          if (open?.kind !== 'thinking')
            out += begin({ kind: 'thinking' }, { type: 'thinking', thinking: '', signature: '' });
          out += delta({ type: 'signature_delta', signature: d.reasoning_signature });
        }
        if (typeof d.content === 'string' && d.content) {
          if (open?.kind !== 'text') out += begin({ kind: 'text' }, { type: 'text', text: '' });
          out += delta({ type: 'text_delta', text: d.content });
        }
        for (const tc of d.tool_calls ?? []) {
          const same = open?.kind === 'tool' && open.toolIndex === tc.index;
          if (!same) {
            out += begin(
              { kind: 'tool', toolIndex: tc.index },
              {
                type: 'tool_use',
                id: tc.id ?? `toolu_${ctx.id.replace(/[^A-Za-z0-9]/g, '').slice(0, 16)}_${tc.index}`,
                name: tc.function?.name ?? '',
                input: {},
              },
            );
          }
          if (tc.function?.arguments) out += delta({ type: 'input_json_delta', partial_json: tc.function.arguments });
        }
        if (choice.finish_reason) finish = choice.finish_reason;
      }
      return out;
    },
    end() {
      if (relayed) return '';
      let out = started ? '' : start({ id: ctx.id, model: ctx.requestedModel } as ChatCompletionChunk);
      out += close();
      out += event('message_delta', {
        type: 'message_delta',
        delta: { stop_reason: stopReason(finish), stop_sequence: null },
        usage: anthropicUsage(usage),
      });
      return out + event('message_stop', { type: 'message_stop' });
    },
    error(err) {
      return event('error', anthropicErrorBody(err, ctx.id));
    },
  };
}
