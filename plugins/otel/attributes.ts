/**
 * Span attributes: OpenTelemetry GenAI semantic conventions (gen_ai.*, error.type, server.*) and
 * Switchyard's own (switchyard.*). Metadata only; content (messages, instructions, answers) is
 * built here too but only called when the operator opted in (`captureContent`).
 */
import type { Attributes } from '@opentelemetry/api';
import type { RequestContext } from '../../core/context.js';
import type { ChatCompletionResponse, ChatMessage, ContentPart } from '../../core/types.js';
import type { GuardrailVerdict, UsageRecord } from '../../core/usage.js';

/** Our provider names -> the semantic conventions' well-known gen_ai.provider.name values. */
const PROVIDER_NAMES: Record<string, string> = {
  openai: 'openai',
  anthropic: 'anthropic',
  azure: 'azure.ai.openai',
  'azure-openai': 'azure.ai.openai',
  bedrock: 'aws.bedrock',
  gemini: 'gcp.gemini',
  vertex: 'gcp.vertex_ai',
  cohere: 'cohere',
  deepseek: 'deepseek',
  groq: 'groq',
  mistral: 'mistral_ai',
  xai: 'x_ai',
  perplexity: 'perplexity',
};

/** gen_ai.provider.name for a configured provider: the well-known value, else our provider's name. */
export function providerName(provider: string): string {
  return PROVIDER_NAMES[provider] ?? provider;
}

/**
 * gen_ai.operation.name: `chat` for every chat dialect (Chat Completions, Messages, Responses),
 * `text_completion` for legacy completions, else the operation (embeddings, models, media, passthrough,
 * files, batches).
 */
export function operationName(ctx: RequestContext): string {
  if (ctx.operation === 'chat' || ctx.operation === 'count_tokens') {
    return ctx.dialect === 'completions' ? 'text_completion' : 'chat';
  }
  return ctx.operation;
}

const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Request settings known when the request span starts (no content). */
export function requestAttributes(ctx: RequestContext): Attributes {
  const op = operationName(ctx);
  const a: Attributes = {
    'gen_ai.operation.name': op,
    'switchyard.request.id': ctx.id,
    'switchyard.dialect': ctx.dialect,
  };
  if (ctx.requestedModel) a['gen_ai.request.model'] = ctx.requestedModel;
  if (ctx.isShadow) a['switchyard.shadow'] = true;
  if (ctx.operation !== 'chat' || !ctx.request) return a;
  const r = ctx.request;
  a['gen_ai.request.stream'] = ctx.stream;
  const max = r.max_completion_tokens ?? r.max_tokens;
  if (num(max)) a['gen_ai.request.max_tokens'] = max;
  if (num(r.temperature)) a['gen_ai.request.temperature'] = r.temperature;
  if (num(r.top_p)) a['gen_ai.request.top_p'] = r.top_p;
  if (num(r.frequency_penalty)) a['gen_ai.request.frequency_penalty'] = r.frequency_penalty;
  if (num(r.presence_penalty)) a['gen_ai.request.presence_penalty'] = r.presence_penalty;
  if (num(r.seed)) a['gen_ai.request.seed'] = r.seed;
  if (num(r.n) && r.n !== 1) a['gen_ai.request.choice.count'] = r.n;
  const format = r.response_format?.type;
  if (format) a['gen_ai.output.type'] = format === 'text' ? 'text' : 'json';
  return a;
}

/** What is known once the request ended: the meter record, plus the answer's id, model and finish reasons. */
export function outcomeAttributes(record: UsageRecord, ctx: RequestContext): Attributes {
  const a: Attributes = {
    'http.response.status_code': record.status,
    'switchyard.attempts': record.attempts,
    'switchyard.latency_ms': record.latencyMs,
  };
  if (record.provider) {
    a['gen_ai.provider.name'] = providerName(record.provider);
    a['switchyard.provider'] = record.provider;
  }
  if (record.model) a['switchyard.target.model'] = record.model;
  const answer = ctx.answer;
  const responseModel = answer?.model ?? record.model;
  if (responseModel) a['gen_ai.response.model'] = responseModel;
  if (answer?.id) a['gen_ai.response.id'] = answer.id;
  const reasons = answer?.finishReasons.filter((r) => typeof r === 'string');
  if (reasons?.length) a['gen_ai.response.finish_reasons'] = reasons;
  if (record.status < 400 || record.promptTokens || record.completionTokens) {
    a['gen_ai.usage.input_tokens'] = record.promptTokens;
    if (record.operation === 'chat') a['gen_ai.usage.output_tokens'] = record.completionTokens;
    if (record.cachedTokens) a['gen_ai.usage.cache_read.input_tokens'] = record.cachedTokens;
    if (record.cacheWriteTokens) a['gen_ai.usage.cache_creation.input_tokens'] = record.cacheWriteTokens;
    if (record.reasoningTokens) a['gen_ai.usage.reasoning.output_tokens'] = record.reasoningTokens;
  }
  if (record.ttftMs !== undefined && record.stream) a['gen_ai.response.time_to_first_chunk'] = record.ttftMs / 1000;
  if (record.cache) a['switchyard.cache.status'] = record.cache;
  if (record.costUsd !== undefined) a['switchyard.cost_usd'] = record.costUsd;
  if (record.listCostUsd !== undefined) a['switchyard.list_cost_usd'] = record.listCostUsd;
  if (record.costSavedUsd !== undefined) a['switchyard.cost_saved_usd'] = record.costSavedUsd;
  if (record.principalId) a['switchyard.key.id'] = record.principalId;
  if (record.project) a['switchyard.project.id'] = record.project;
  if (record.endUser) a['switchyard.user.id'] = record.endUser;
  if (record.aborted) a['switchyard.aborted'] = true;
  if (record.status >= 400) a['error.type'] = record.errorCode ?? String(record.status);
  if (record.guardrails?.length) Object.assign(a, guardrailAttributes(record.guardrails));
  return a;
}

/** Guardrail actions, higher is stronger: the span names the strongest a request got. */
const ACTION_RANK = { block: 3, redact: 2, flag: 1, log: 0 } as const;

/**
 * Guardrail verdicts (plugins/guardrails) as counts and ids: how often rules fired, which rules and
 * policies, on which sides, and the strongest action. Never the matched text (verdicts hold none).
 */
export function guardrailAttributes(verdicts: readonly GuardrailVerdict[]): Attributes {
  let count = 0;
  let action = verdicts[0].action;
  const rules = new Set<string>();
  const policies = new Set<string>();
  const phases = new Set<string>();
  for (const v of verdicts) {
    count += v.count;
    rules.add(v.rule);
    policies.add(v.policy);
    phases.add(v.phase);
    if (ACTION_RANK[v.action] > ACTION_RANK[action]) action = v.action;
  }
  return {
    'switchyard.guardrails.verdicts': count,
    'switchyard.guardrails.rules': [...rules].sort(),
    'switchyard.guardrails.policies': [...policies].sort(),
    'switchyard.guardrails.phases': [...phases].sort(),
    'switchyard.guardrails.action': action,
  };
}

// --- opt-in content (gen_ai.input.messages, gen_ai.system_instructions, gen_ai.output.messages) ---

type Part = Record<string, unknown>;

function parts(content: ChatMessage['content']): Part[] {
  if (content === undefined || content === null) return [];
  if (typeof content === 'string') return [{ type: 'text', content }];
  return content.map((p: ContentPart) => {
    if (p.type === 'text') return { type: 'text', content: (p as { text: string }).text };
    // Media is not copied into telemetry (size); its kind is kept.
    return { type: p.type === 'image_url' ? 'image' : p.type === 'input_audio' ? 'audio' : String(p.type) };
  });
}

function toolCalls(m: { tool_calls?: ChatMessage['tool_calls'] }): Part[] {
  return (m.tool_calls ?? []).map((c) => ({
    type: 'tool_call',
    id: c.id,
    name: c.function?.name,
    arguments: c.function?.arguments,
  }));
}

/** The request's messages in the conventions' JSON shapes (serialized, as spans take strings). */
export function inputContent(ctx: RequestContext): Attributes {
  if (ctx.operation !== 'chat' || !ctx.request?.messages) return {};
  const system: Part[] = [];
  const messages: Array<{ role: string; parts: Part[] }> = [];
  for (const m of ctx.request.messages) {
    if (m.role === 'system' || m.role === 'developer') {
      system.push(...parts(m.content));
      continue;
    }
    if (m.role === 'tool') {
      const text =
        typeof m.content === 'string'
          ? m.content
          : parts(m.content)
              .map((p) => p.content ?? '')
              .join('');
      messages.push({ role: 'tool', parts: [{ type: 'tool_call_response', id: m.tool_call_id, response: text }] });
      continue;
    }
    messages.push({ role: m.role, parts: [...parts(m.content), ...toolCalls(m)] });
  }
  const a: Attributes = { 'gen_ai.input.messages': JSON.stringify(messages) };
  if (system.length) a['gen_ai.system_instructions'] = JSON.stringify(system);
  return a;
}

export function outputContent(response: ChatCompletionResponse): Attributes {
  const messages = (response.choices ?? []).map((c) => ({
    role: 'assistant',
    parts: [...parts(c.message?.content ?? null), ...toolCalls(c.message ?? {})],
    finish_reason: c.finish_reason ?? undefined,
  }));
  return { 'gen_ai.output.messages': JSON.stringify(messages) };
}
