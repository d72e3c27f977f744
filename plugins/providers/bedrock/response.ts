/** Bedrock Converse response -> canonical chat completion; stop reasons and usage. */
import type { ChatCompletionResponse, FinishReason, ToolCall, Usage } from '../../../core/types.js';

export interface BedrockUsage {
  inputTokens?: number;
  outputTokens?: number;
  totalTokens?: number;
  cacheReadInputTokens?: number;
  cacheWriteInputTokens?: number;
}

export interface ConverseResponse {
  output?: { message?: { role?: string; content?: Array<Record<string, unknown>> } };
  stopReason?: string;
  usage?: BedrockUsage;
  metrics?: { latencyMs?: number };
}

/** Bedrock stopReason -> OpenAI finish_reason. Unknown reasons count as "stop". */
export function finishReason(stop: string | undefined): FinishReason {
  switch (stop) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'guardrail_intervened':
    case 'content_filtered':
      return 'content_filter';
    default:
      return 'stop';
  }
}

/**
 * Bedrock counts cache reads and writes apart from inputTokens; OpenAI's prompt_tokens includes
 * cached tokens, so prompt_tokens = inputTokens + cacheRead + cacheWrite and cached_tokens = cacheRead.
 */
export function toUsage(u: BedrockUsage): Usage {
  const cacheRead = u.cacheReadInputTokens ?? 0;
  const prompt = (u.inputTokens ?? 0) + cacheRead + (u.cacheWriteInputTokens ?? 0);
  const completion = u.outputTokens ?? 0;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: Math.max(u.totalTokens ?? 0, prompt + completion),
    prompt_tokens_details: { cached_tokens: cacheRead },
  };
}

export function fromConverse(res: ConverseResponse, model: string, id: string): ChatCompletionResponse {
  let text = '';
  let hasText = false;
  let reasoning: string | undefined;
  const toolCalls: ToolCall[] = [];
  for (const block of res.output?.message?.content ?? []) {
    if (typeof block.text === 'string') {
      text += block.text;
      hasText = true;
    } else if (block.toolUse && typeof block.toolUse === 'object') {
      const tu = block.toolUse as { toolUseId?: string; name?: string; input?: unknown };
      toolCalls.push({
        id: tu.toolUseId ?? `call_${toolCalls.length}`,
        type: 'function',
        function: { name: tu.name ?? '', arguments: JSON.stringify(tu.input ?? {}) },
      });
    } else if (block.reasoningContent && typeof block.reasoningContent === 'object') {
      const rc = block.reasoningContent as { reasoningText?: { text?: string } };
      if (typeof rc.reasoningText?.text === 'string') reasoning = (reasoning ?? '') + rc.reasoningText.text;
    }
  }
  const message: ChatCompletionResponse['choices'][number]['message'] = {
    role: 'assistant',
    content: hasText || toolCalls.length === 0 ? text : null,
    ...(reasoning !== undefined ? { reasoning_content: reasoning } : {}),
    ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
  };
  return {
    id,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message, finish_reason: finishReason(res.stopReason), logprobs: null }],
    ...(res.usage ? { usage: toUsage(res.usage) } : {}),
  };
}
