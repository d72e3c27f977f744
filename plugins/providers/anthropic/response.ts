/**
 * Anthropic Messages response -> canonical chat completion.
 *
 * - text blocks are joined into `message.content`; `tool_use` blocks become `tool_calls` (input as a
 *   JSON string), except the response_format json_schema tool, whose input becomes the content.
 * - thinking blocks are surfaced as `message.reasoning_content` (a documented extension, as used by
 *   other OpenAI-compatible APIs) with the block's signature in `message.reasoning_signature`, which
 *   the request translation sends back so a conversation with thinking can continue.
 * - stop_reason: end_turn / stop_sequence / pause_turn -> stop, max_tokens and
 *   model_context_window_exceeded -> length, tool_use -> tool_calls, refusal -> content_filter.
 * - usage: prompt_tokens = input + cache read + cache creation tokens, cached_tokens = cache read.
 *   Anthropic counts thinking inside output_tokens without a separate number; when thinking was
 *   returned, completion_tokens_details.reasoning_tokens is an estimate (about 4 characters per
 *   token, at most output_tokens) and `reasoning_tokens_estimated: true` says so.
 */
import type { ChatCompletionResponse, FinishReason, ToolCall, Usage } from '../../../core/types.js';
import type { JsonToolInfo } from './request.js';
import type { AnthropicMessage, AnthropicStopReason, AnthropicUsage } from './types.js';

export function mapStopReason(reason: AnthropicStopReason | string | null | undefined): FinishReason {
  switch (reason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default: // end_turn, stop_sequence, pause_turn, unknown
      return 'stop';
  }
}

/** Rough token estimate of thinking text (Anthropic does not report thinking tokens separately). */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

export function mapUsage(u: AnthropicUsage | undefined, thinkingText = ''): Usage {
  const input = num(u?.input_tokens);
  const cacheRead = num(u?.cache_read_input_tokens);
  const cacheWrite = num(u?.cache_creation_input_tokens);
  const output = num(u?.output_tokens);
  const prompt = input + cacheRead + cacheWrite;
  const usage: Usage = {
    prompt_tokens: prompt,
    completion_tokens: output,
    total_tokens: prompt + output,
    prompt_tokens_details: { cached_tokens: cacheRead, cache_creation_tokens: cacheWrite },
    completion_tokens_details: { reasoning_tokens: 0 },
  };
  if (thinkingText) {
    usage.completion_tokens_details = {
      reasoning_tokens: Math.min(output, estimateTokens(thinkingText)),
      reasoning_tokens_estimated: true,
    };
  }
  return usage;
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** The structured answer carried by the json_schema tool, as message content. */
export function jsonToolContent(input: unknown, info: JsonToolInfo): string {
  const value = info.wrapped && input && typeof input === 'object' ? (input as { value?: unknown }).value : input;
  return JSON.stringify(value ?? {});
}

export function fromAnthropicMessage(
  msg: AnthropicMessage,
  jsonTool?: JsonToolInfo,
  created = Math.floor(Date.now() / 1000),
): ChatCompletionResponse {
  let text = '';
  let hasText = false;
  let jsonContent: string | undefined;
  let reasoning = '';
  let signature: string | undefined;
  const toolCalls: ToolCall[] = [];
  for (const block of msg.content ?? []) {
    switch (block.type) {
      case 'text':
        text += block.text;
        hasText = true;
        break;
      case 'thinking':
        reasoning += block.thinking;
        if (block.signature) signature = block.signature;
        break;
      case 'tool_use':
        if (jsonTool && block.name === jsonTool.name) jsonContent = jsonToolContent(block.input, jsonTool);
        else
          toolCalls.push({
            id: block.id,
            type: 'function',
            function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) },
          });
        break;
      default:
        break; // redacted_thinking, server tool blocks: nothing to show
    }
  }
  let finish = mapStopReason(msg.stop_reason);
  if (jsonContent !== undefined && finish === 'tool_calls' && !toolCalls.length) finish = 'stop';
  const content = jsonContent ?? (hasText || !toolCalls.length ? text : null);
  return {
    id: msg.id,
    object: 'chat.completion',
    created,
    model: msg.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content,
          ...(reasoning ? { reasoning_content: reasoning } : {}),
          ...(signature ? { reasoning_signature: signature } : {}),
          ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
          refusal: null,
        },
        finish_reason: finish,
        logprobs: null,
      },
    ],
    usage: mapUsage(msg.usage, reasoning),
  };
}
