/**
 * The Anthropic adapter: POST {baseURL}/v1/messages with x-api-key and anthropic-version, translating
 * the canonical request out (request.ts) and the answer back (response.ts, stream.ts, errors.ts).
 * Embeddings are not offered (Anthropic has no embeddings endpoint).
 *
 * Native passthrough (`native`, used by the Anthropic Messages ingress): the client's Messages or
 * count_tokens body is posted as-is and the upstream answer relayed, with its canonical translation
 * alongside for metering and caching. The client's `anthropic-beta` header is forwarded (merged with
 * configured `headers`), since beta body fields only work with it; `anthropic-version` and the key
 * are always the provider's own.
 */
import { GatewayError, errors } from '../../../core/errors.js';
import { maskSecret } from '../../../core/mask.js';
import type { NativeAnswer, NativeCapabilities, ProviderAdapter, UpstreamCall } from '../../../core/provider.js';
import { parseSse, type SseEvent } from '../../../core/sse.js';
import type { ChatCompletionChunk, ChatCompletionRequest, ChatCompletionResponse, ModelInfo } from '../../../core/types.js';
import { bodyError, transportError, type UpstreamClient, type UpstreamResponse } from '../../../core/upstream.js';
import { errorFromResponse } from './errors.js';
import { toAnthropicRequest, type TranslatedRequest } from './request.js';
import { fromAnthropicMessage } from './response.js';
import { anthropicEventsToChunks } from './stream.js';
import type { AnthropicMessage } from './types.js';

export const ANTHROPIC_VERSION = '2023-06-01';

export interface AnthropicSettings {
  name: string;
  /** Origin of the API, without /v1 (e.g. https://api.anthropic.com). */
  baseURL: string;
  apiKey: string;
  models: string[];
  claims?: RegExp;
  defaultMaxTokens: number;
  anthropicVersion: string;
  /** Extra headers for every request (e.g. anthropic-beta). */
  headers?: Record<string, string>;
  timeoutMs?: number;
}

export class AnthropicAdapter implements ProviderAdapter {
  readonly name: string;
  readonly #s: AnthropicSettings;
  readonly #http: UpstreamClient;
  readonly #headers: Record<string, string>;
  readonly #models: ModelInfo[];

  constructor(settings: AnthropicSettings, http: UpstreamClient) {
    this.name = settings.name;
    this.#s = settings;
    this.#http = http;
    this.#headers = {
      'content-type': 'application/json',
      accept: 'application/json',
      'x-api-key': settings.apiKey,
      'anthropic-version': settings.anthropicVersion,
      ...settings.headers,
    };
    this.#models = settings.models.map((id) => ({ id, kind: 'chat' as const }));
  }

  readonly native: NativeCapabilities = {
    anthropicMessages: (body, call) => this.#nativeMessages(body, call),
    anthropicCountTokens: (body, call) => this.#nativeCountTokens(body, call),
  };

  models(): ModelInfo[] {
    return this.#models;
  }

  claims(model: string): boolean {
    return this.#s.claims?.test(model) ?? false;
  }

  describe(): Record<string, string> {
    return {
      baseURL: this.#s.baseURL,
      apiKey: maskSecret(this.#s.apiKey),
      anthropicVersion: this.#s.anthropicVersion,
      defaultMaxTokens: String(this.#s.defaultMaxTokens),
    };
  }

  async chat(request: ChatCompletionRequest, call: UpstreamCall): Promise<ChatCompletionResponse> {
    const t = this.#translate(request, call);
    const res = await this.#post(t.body, call);
    let text: string;
    try {
      text = await res.body.text();
    } catch (e) {
      throw bodyError(this.name, e, this.#timeout, call.signal);
    }
    let msg: AnthropicMessage;
    try {
      msg = JSON.parse(text);
    } catch {
      throw errors.upstreamBadResponse(this.name, 'the body is not JSON');
    }
    if (!msg || typeof msg !== 'object' || !Array.isArray(msg.content)) {
      throw errors.upstreamBadResponse(this.name, 'the body is not a Message');
    }
    return fromAnthropicMessage(msg, t.jsonTool);
  }

  async chatStream(request: ChatCompletionRequest, call: UpstreamCall): Promise<AsyncIterable<ChatCompletionChunk>> {
    const t = this.#translate(request, call);
    const res = await this.#post({ ...t.body, stream: true }, call, 'text/event-stream');
    return this.#chunks(res, t, call);
  }

  get #timeout(): number {
    return this.#s.timeoutMs ?? this.#http.timeoutMs;
  }

  #translate(request: ChatCompletionRequest, call: UpstreamCall): TranslatedRequest {
    const t = toAnthropicRequest(request, { defaultMaxTokens: this.#s.defaultMaxTokens });
    if (t.dropped.length) {
      const prev = call.ctx.responseHeaders['x-switchyard-dropped-params'];
      const all = new Set([...(prev ? prev.split(',') : []), ...t.dropped]);
      call.ctx.responseHeaders['x-switchyard-dropped-params'] = [...all].join(',');
    }
    return t;
  }

  async #nativeMessages(body: Record<string, unknown>, call: UpstreamCall): Promise<NativeAnswer> {
    const headers = this.#nativeHeaders(call);
    if (body.stream === true) {
      const res = await this.#post(body, call, 'text/event-stream', '/v1/messages', headers);
      return { kind: 'stream', events: this.#nativeEvents(res, call) };
    }
    const msg = await this.#readMessage(await this.#post(body, call, undefined, '/v1/messages', headers), call);
    return { kind: 'json', raw: msg, response: fromAnthropicMessage(msg) };
  }

  async #nativeCountTokens(body: Record<string, unknown>, call: UpstreamCall): Promise<Record<string, unknown>> {
    const res = await this.#post(body, call, undefined, '/v1/messages/count_tokens', this.#nativeHeaders(call));
    let parsed: unknown;
    try {
      parsed = JSON.parse(await res.body.text());
    } catch (e) {
      if (e instanceof SyntaxError) throw errors.upstreamBadResponse(this.name, 'the body is not JSON');
      throw bodyError(this.name, e, this.#timeout, call.signal);
    }
    if (!parsed || typeof parsed !== 'object' || typeof (parsed as { input_tokens?: unknown }).input_tokens !== 'number') {
      throw errors.upstreamBadResponse(this.name, 'the answer has no input_tokens');
    }
    return parsed as Record<string, unknown>;
  }

  /** Configured headers plus the client's anthropic-beta values. */
  #nativeHeaders(call: UpstreamCall): Record<string, string> {
    const given = call.ctx.headers['anthropic-beta'];
    const client = (Array.isArray(given) ? given.join(',') : given ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    if (!client.length) return this.#headers;
    const own = (this.#headers['anthropic-beta'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    return { ...this.#headers, 'anthropic-beta': [...new Set([...own, ...client])].join(',') };
  }

  async #readMessage(res: UpstreamResponse, call: UpstreamCall): Promise<AnthropicMessage> {
    let text: string;
    try {
      text = await res.body.text();
    } catch (e) {
      throw bodyError(this.name, e, this.#timeout, call.signal);
    }
    let msg: AnthropicMessage;
    try {
      msg = JSON.parse(text);
    } catch {
      throw errors.upstreamBadResponse(this.name, 'the body is not JSON');
    }
    if (!msg || typeof msg !== 'object' || !Array.isArray(msg.content)) {
      throw errors.upstreamBadResponse(this.name, 'the body is not a Message');
    }
    return msg;
  }

  /** Upstream events as (raw SSE text, canonical chunk) pairs; the raw text of events that made no chunk rides on the next one. */
  async *#nativeEvents(res: UpstreamResponse, call: UpstreamCall): AsyncGenerator<{ raw: string; chunk: ChatCompletionChunk }> {
    let pending = '';
    async function* tee(events: AsyncIterable<SseEvent>): AsyncGenerator<SseEvent> {
      for await (const ev of events) {
        pending += (ev.event ? `event: ${ev.event}\n` : '') + ev.data.split('\n').map((l) => `data: ${l}\n`).join('') + '\n';
        yield ev;
      }
    }
    let complete = false;
    try {
      for await (const chunk of anthropicEventsToChunks(tee(parseSse(res.body)), { provider: this.name })) {
        if (chunk.usage) complete = true;
        const raw = pending;
        pending = '';
        yield { raw, chunk };
      }
    } catch (e) {
      const err = transportError(this.name, e, this.#timeout, call.signal);
      if (err.code === 'upstream_unreachable' && !(e instanceof GatewayError)) {
        throw errors.streamInterrupted(this.name, `the connection was lost before message_stop`);
      }
      throw err;
    } finally {
      if (!complete || !res.body.readableEnded) res.body.destroy();
    }
  }

  async #post(body: unknown, call: UpstreamCall, accept?: string, path = '/v1/messages', base = this.#headers): Promise<UpstreamResponse> {
    const res = await this.#http.send(this.name, {
      url: `${this.#s.baseURL}${path}`,
      headers: accept ? { ...base, accept } : base,
      body: JSON.stringify(body),
      signal: call.signal,
      timeoutMs: this.#s.timeoutMs,
    });
    if (res.statusCode >= 400) throw await errorFromResponse(this.name, res);
    return res;
  }

  async *#chunks(res: UpstreamResponse, t: TranslatedRequest, call: UpstreamCall): AsyncGenerator<ChatCompletionChunk> {
    let complete = false;
    try {
      for await (const chunk of anthropicEventsToChunks(parseSse(res.body), { provider: this.name, jsonTool: t.jsonTool })) {
        if (chunk.usage) complete = true; // the last chunk, sent on message_stop
        yield chunk;
      }
    } catch (e) {
      const err = transportError(this.name, e, this.#timeout, call.signal);
      // A connection lost after the stream started is an interrupted stream, not an unreachable host.
      if (err.code === 'upstream_unreachable' && !(e instanceof GatewayError)) {
        throw errors.streamInterrupted(this.name, `the connection was lost before message_stop`);
      }
      throw err;
    } finally {
      if (!complete || !res.body.readableEnded) res.body.destroy();
    }
  }
}
