/**
 * Cohere adapter: Chat API v2 (POST {baseURL}/v2/chat, plain and `stream: true` with typed SSE
 * events) and Embed API v2 (POST {baseURL}/v2/embed), translated to and from the canonical
 * OpenAI shapes (see translate.ts for the request rules).
 *
 * Stream events -> chunks: message-start -> role chunk; content-delta -> content (thinking content
 * -> `reasoning_content`); tool-call-start -> first delta of a tool call (its own index 0,1,2 in
 * order of appearance, id, type, name); tool-call-delta -> argument fragments; tool-plan-delta,
 * content-start/end, tool-call-end and citation events carry nothing OpenAI has and are skipped;
 * message-end -> finish chunk, then the usage chunk. message-end with finish_reason ERROR/TIMEOUT,
 * an `error` event, or a stream that ends before message-end throws a GatewayError.
 *
 * Errors ({message} or {id, message}) map by status: 400 / 422 -> 400 (context too long -> code
 * context_length_exceeded), 401 and 498 (invalid token) -> 401, 402 -> 402 insufficient_quota,
 * 403, 404 (model not found -> model_not_found), 429 (retryable, Retry-After kept), 499 -> 502 upstream_request_cancelled
 * client_closed_request, 5xx retryable (500, 503 ...).
 */
import { GatewayError, errors, isRetryableStatus, type ErrorType } from '../../../core/errors.js';
import { maskSecret } from '../../../core/mask.js';
import type { ProviderAdapter, UpstreamCall } from '../../../core/provider.js';
import { parseSse } from '../../../core/sse.js';
import type {
  ChatCompletionChunk,
  ChatCompletionRequest,
  ChatCompletionResponse,
  EmbeddingsRequest,
  EmbeddingsResponse,
  ModelInfo,
} from '../../../core/types.js';
import { bodyError, readErrorBody, readJsonBody, type UpstreamClient, type UpstreamResponse } from '../../../core/upstream.js';
import {
  fromCohereChat,
  fromCohereEmbed,
  toCohereChat,
  toCohereEmbed,
  toFinishReason,
  toUsage,
  type CohereChatResponse,
  type CohereEmbedResponse,
  type CohereInputType,
  type CohereToolCall,
  type CohereUsage,
} from './translate.js';

export interface CohereSettings {
  name: string;
  /** e.g. https://api.cohere.com (without /v2). */
  baseURL: string;
  apiKey: string;
  models: string[];
  claims?: RegExp;
  /** input_type for embeddings when the request does not give one. */
  embedInputType: CohereInputType;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

const KEPT_ERROR_HEADERS = ['retry-after', 'x-ratelimit-remaining', 'x-ratelimit-limit', 'x-debug-trace-id'];

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

export class CohereAdapter implements ProviderAdapter {
  readonly name: string;
  readonly #s: CohereSettings;
  readonly #http: UpstreamClient;
  readonly #headers: Record<string, string>;
  readonly #models: ModelInfo[];

  constructor(settings: CohereSettings, http: UpstreamClient) {
    this.name = settings.name;
    this.#s = settings;
    this.#http = http;
    this.#headers = {
      'content-type': 'application/json',
      accept: 'application/json',
      authorization: `Bearer ${settings.apiKey}`,
      ...settings.headers,
    };
    this.#models = settings.models.map((id) => ({ id, kind: /^embed/i.test(id) ? 'embeddings' : 'chat' }));
  }

  models(): ModelInfo[] {
    return this.#models;
  }

  claims(model: string): boolean {
    return this.#s.claims?.test(model) ?? false;
  }

  describe(): Record<string, string> {
    return { baseURL: this.#s.baseURL, apiKey: maskSecret(this.#s.apiKey), embedInputType: this.#s.embedInputType };
  }

  get #timeout(): number {
    return this.#s.timeoutMs ?? this.#http.timeoutMs;
  }

  async chat(request: ChatCompletionRequest, call: UpstreamCall): Promise<ChatCompletionResponse> {
    const { body, dropped } = toCohereChat(request, false);
    this.#reportDropped(call, dropped);
    const res = await this.#post('/v2/chat', body, call);
    const parsed = (await this.#json(res, call)) as CohereChatResponse;
    if (!parsed || typeof parsed !== 'object' || typeof parsed.finish_reason !== 'string') {
      throw errors.upstreamBadResponse(this.name, 'the chat response has no finish_reason');
    }
    return fromCohereChat(parsed, request.model, this.name);
  }

  async chatStream(request: ChatCompletionRequest, call: UpstreamCall): Promise<AsyncIterable<ChatCompletionChunk>> {
    const { body, dropped } = toCohereChat(request, true);
    this.#reportDropped(call, dropped);
    const res = await this.#post('/v2/chat', body, call, 'text/event-stream');
    return this.#chunks(res, call, request.model);
  }

  async embeddings(request: EmbeddingsRequest, call: UpstreamCall): Promise<EmbeddingsResponse> {
    const { body, dropped } = toCohereEmbed(request, this.#s.embedInputType);
    this.#reportDropped(call, dropped);
    const res = await this.#post('/v2/embed', body, call);
    const out = fromCohereEmbed((await this.#json(res, call)) as CohereEmbedResponse, request);
    if (!out) throw errors.upstreamBadResponse(this.name, 'the embed response has no float embeddings');
    return out;
  }

  #reportDropped(call: UpstreamCall, dropped: string[]): void {
    if (dropped.length) call.ctx.responseHeaders['x-switchyard-dropped-params'] = dropped.join(',');
  }

  async #post(path: string, body: unknown, call: UpstreamCall, accept?: string): Promise<UpstreamResponse> {
    const res = await this.#http.send(this.name, {
      url: this.#s.baseURL + path,
      headers: accept ? { ...this.#headers, accept } : this.#headers,
      body: JSON.stringify(body),
      signal: call.signal,
      timeoutMs: this.#s.timeoutMs,
    });
    if (res.statusCode >= 400) throw await this.#error(res);
    return res;
  }

  #json(res: UpstreamResponse, call: UpstreamCall): Promise<unknown> {
    return readJsonBody(this.name, res, this.#timeout, call.signal);
  }

  async *#chunks(res: UpstreamResponse, call: UpstreamCall, model: string): AsyncGenerator<ChatCompletionChunk> {
    let id = '';
    const created = Math.floor(Date.now() / 1000);
    let started = false;
    let ended = false;
    let nextTool = 0;
    const toolIndex = new Map<number, number>(); // Cohere event index -> our tool-call index
    const contentType = new Map<number, string>(); // content block index -> 'text' | 'thinking'
    const chunk = (delta: ChatCompletionChunk['choices'][number]['delta'], finish: ChatCompletionChunk['choices'][number]['finish_reason'] = null): ChatCompletionChunk => {
      if (!started) {
        started = true;
        delta = { role: 'assistant', ...delta };
      }
      return { id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finish }] };
    };
    try {
      for await (const sse of parseSse(res.body)) {
        if (!sse.data) continue;
        if (sse.data === '[DONE]') break;
        // After message-end, read what is left (a [DONE] or nothing) so the pooled connection can be reused.
        if (ended) continue;
        let ev: CohereStreamEvent;
        try {
          ev = JSON.parse(sse.data);
        } catch {
          throw errors.upstreamBadResponse(this.name, 'a stream event is not JSON');
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
              tool_calls: [{
                index, id: tc?.id ?? `call_${index}`, type: 'function',
                function: { name: tc?.function?.name ?? '', arguments: tc?.function?.arguments ?? '' },
              }],
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
            const finish = toFinishReason(d.finish_reason, this.name, d.error); // throws on ERROR / TIMEOUT
            yield chunk({}, finish);
            const usage = toUsage(d.usage);
            if (usage) yield { id, object: 'chat.completion.chunk', created, model, choices: [], usage };
            ended = true;
            break;
          }
          case 'error':
            throw new GatewayError(502, ev.message ?? 'Cohere reported an error mid-stream.', {
              type: 'api_error', code: 'upstream_stream_error', retryable: true, upstream: { provider: this.name },
            });
          default:
            // content-end, tool-plan-delta, tool-call-end, citation-start/end, debug: nothing to send.
            break;
        }
      }
    } catch (e) {
      if (ended && !(e instanceof GatewayError)) return; // the answer was complete; a broken tail does not matter
      // A connection that breaks after the stream began is an interrupted stream, not an unreachable host.
      throw bodyError(this.name, e, this.#timeout, call.signal);
    } finally {
      res.body.destroy();
    }
    if (!ended) throw errors.streamInterrupted(this.name, 'the connection closed before message-end');
  }

  /** Map a Cohere error answer ({message} or {id, message}) to a GatewayError. */
  async #error(res: UpstreamResponse): Promise<GatewayError> {
    const text = await readErrorBody(res);
    const upstreamStatus = res.statusCode;
    let message = `The upstream provider "${this.name}" answered ${upstreamStatus}.`;
    try {
      const parsed = JSON.parse(text);
      if (typeof parsed?.message === 'string') message = parsed.message;
      else if (typeof parsed?.error === 'string') message = parsed.error;
      else if (typeof parsed?.error?.message === 'string') message = parsed.error.message;
    } catch {
      if (text.trim() && text.length < 500) message = text.trim();
    }
    const headers: Record<string, string> = {};
    for (const h of KEPT_ERROR_HEADERS) {
      const v = res.headers[h];
      if (typeof v === 'string') headers[h] = v;
    }
    let status = upstreamStatus;
    let type: ErrorType | undefined;
    let code: string | null = null;
    let param: string | null = null;
    switch (upstreamStatus) {
      case 400:
      case 422:
        status = 400;
        type = 'invalid_request_error';
        if (/too many tokens|context length|context window|maximum.*tokens|prompt is too long/i.test(message)) {
          code = 'context_length_exceeded';
          param = 'messages';
        } else code = upstreamStatus === 422 ? 'unprocessable_entity' : 'invalid_request';
        break;
      case 401:
      case 498:
        status = 401;
        type = 'authentication_error';
        code = 'invalid_api_key';
        break;
      case 402:
        type = 'insufficient_quota';
        code = 'insufficient_quota';
        break;
      case 403:
        type = 'permission_error';
        code = 'permission_denied';
        break;
      case 404:
        type = 'invalid_request_error';
        if (/model/i.test(message)) {
          code = 'model_not_found';
          param = 'model';
        } else code = 'not_found';
        break;
      case 429:
        type = 'rate_limit_error';
        code = 'rate_limit_exceeded';
        break;
      case 499:
        // Cohere's 499 means *it* saw the request cancelled; our client is still here, so this is an
        // upstream failure (502), never our own 499 "client went away".
        status = 502;
        type = 'api_error';
        code = 'upstream_request_cancelled';
        break;
      default:
        if (upstreamStatus >= 500) type = upstreamStatus === 504 ? 'timeout_error' : 'api_error';
    }
    return new GatewayError(status, message, {
      type, code, param, headers,
      retryable: isRetryableStatus(upstreamStatus),
      upstream: { provider: this.name, status: upstreamStatus },
    });
  }
}
