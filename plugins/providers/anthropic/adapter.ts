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
import { jsonHeaders, HttpAdapter, refuseAudioOutput, reportDropped } from '../../../core/provider-kit/index.js';
import type { NativeAnswer, NativeCapabilities, ProviderAdapter, UpstreamCall } from '../../../core/provider.js';
import { parseSse, type SseEvent } from '../../../core/sse.js';
import type { ChatCompletionChunk, ChatCompletionRequest, ChatCompletionResponse } from '../../../core/types.js';
import type { UpstreamClient, UpstreamResponse } from '../../../core/upstream.js';
import { errorFromResponse } from './errors.js';
import { toAnthropicRequest, type TranslatedRequest } from './request.js';
import { fromAnthropicMessage } from './response.js';
import { anthropicEventsToChunks } from './stream.js';
import type { AnthropicMessage } from './types.js';
import type { ForwardRequest } from '../../../core/forward.js';
import { anthropicForward } from './forward.js';

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

const MESSAGES = '/v1/messages';

export class AnthropicAdapter extends HttpAdapter<AnthropicSettings> implements ProviderAdapter {
  constructor(settings: AnthropicSettings, http: UpstreamClient) {
    super(settings, http, {
      headers: jsonHeaders({
        'x-api-key': settings.apiKey,
        'anthropic-version': settings.anthropicVersion,
        ...settings.headers,
      }),
      error: (res) => errorFromResponse(settings.name, res),
      embeddings: false,
    });
  }

  readonly native: NativeCapabilities = {
    anthropicMessages: (body, call) => this.#nativeMessages(body, call),
    anthropicCountTokens: (body, call) => this.#nativeCountTokens(body, call),
  };

  /** Passthrough to any endpoint below the base URL (./forward.ts). */
  forward(req: ForwardRequest): Promise<UpstreamResponse> {
    return anthropicForward(this.http.client, this.settings, req);
  }

  describe(): Record<string, string> {
    return {
      baseURL: this.settings.baseURL,
      apiKey: maskSecret(this.settings.apiKey),
      anthropicVersion: this.settings.anthropicVersion,
      defaultMaxTokens: String(this.settings.defaultMaxTokens),
    };
  }

  async chat(request: ChatCompletionRequest, call: UpstreamCall): Promise<ChatCompletionResponse> {
    const t = this.#translate(request, call);
    const msg = await this.#readMessage(await this.#post(MESSAGES, t.body, call), call);
    return fromAnthropicMessage(msg, t.jsonTool);
  }

  async chatStream(request: ChatCompletionRequest, call: UpstreamCall): Promise<AsyncIterable<ChatCompletionChunk>> {
    const t = this.#translate(request, call);
    const res = await this.#post(MESSAGES, { ...t.body, stream: true }, call, 'text/event-stream');
    return this.#chunks(res, t, call);
  }

  #translate(request: ChatCompletionRequest, call: UpstreamCall): TranslatedRequest {
    refuseAudioOutput(request, this.name); // Anthropic answers in text only
    const t = toAnthropicRequest(request, { defaultMaxTokens: this.settings.defaultMaxTokens });
    reportDropped(call, t.dropped);
    return t;
  }

  async #nativeMessages(body: Record<string, unknown>, call: UpstreamCall): Promise<NativeAnswer> {
    const headers = this.#nativeHeaders(call);
    if (body.stream === true) {
      const res = await this.#post(MESSAGES, body, call, 'text/event-stream', headers);
      return { kind: 'stream', events: this.#nativeEvents(res, call) };
    }
    const msg = await this.#readMessage(await this.#post(MESSAGES, body, call, undefined, headers), call);
    return { kind: 'json', raw: msg, response: fromAnthropicMessage(msg) };
  }

  async #nativeCountTokens(body: Record<string, unknown>, call: UpstreamCall): Promise<Record<string, unknown>> {
    const res = await this.#post(`${MESSAGES}/count_tokens`, body, call, undefined, this.#nativeHeaders(call));
    const parsed = this.#parse(await this.http.text(res, call));
    if (
      !parsed ||
      typeof parsed !== 'object' ||
      typeof (parsed as { input_tokens?: unknown }).input_tokens !== 'number'
    ) {
      throw errors.upstreamBadResponse(this.name, 'the answer has no input_tokens');
    }
    return parsed as Record<string, unknown>;
  }

  /** Configured headers plus the client's anthropic-beta values. */
  #nativeHeaders(call: UpstreamCall): Record<string, string> {
    const own = this.http.headers;
    const given = call.ctx.headers['anthropic-beta'];
    const client = (Array.isArray(given) ? given.join(',') : (given ?? ''))
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (!client.length) return own;
    const configured = (own['anthropic-beta'] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    return { ...own, 'anthropic-beta': [...new Set([...configured, ...client])].join(',') };
  }

  #parse(text: string): unknown {
    try {
      return JSON.parse(text);
    } catch {
      throw errors.upstreamBadResponse(this.name, 'the body is not JSON');
    }
  }

  async #readMessage(res: UpstreamResponse, call: UpstreamCall): Promise<AnthropicMessage> {
    const msg = this.#parse(await this.http.text(res, call)) as AnthropicMessage;
    if (!msg || typeof msg !== 'object' || !Array.isArray(msg.content)) {
      throw errors.upstreamBadResponse(this.name, 'the body is not a Message');
    }
    return msg;
  }

  /**
   * Upstream events as (raw SSE text, canonical chunk) pairs; the raw text of events that made no chunk rides on
   * the next one.
   */
  async *#nativeEvents(
    res: UpstreamResponse,
    call: UpstreamCall,
  ): AsyncGenerator<{ raw: string; chunk: ChatCompletionChunk }> {
    let pending = '';
    async function* tee(events: AsyncIterable<SseEvent>): AsyncGenerator<SseEvent> {
      for await (const ev of events) {
        pending +=
          (ev.event ? `event: ${ev.event}\n` : '') +
          ev.data
            .split('\n')
            .map((l) => `data: ${l}\n`)
            .join('') +
          '\n';
        yield ev;
      }
    }
    for await (const chunk of this.#read(res, call, tee, undefined)) {
      const raw = pending;
      pending = '';
      yield { raw, chunk };
    }
  }

  #chunks(res: UpstreamResponse, t: TranslatedRequest, call: UpstreamCall): AsyncGenerator<ChatCompletionChunk> {
    return this.#read(res, call, (events) => events, t.jsonTool);
  }

  /** The canonical chunks of a Messages stream; the body is released unless it ended after message_stop. */
  async *#read(
    res: UpstreamResponse,
    call: UpstreamCall,
    wrap: (e: AsyncIterable<SseEvent>) => AsyncIterable<SseEvent>,
    jsonTool: TranslatedRequest['jsonTool'],
  ): AsyncGenerator<ChatCompletionChunk> {
    let complete = false;
    try {
      const events = wrap(parseSse(res.body, { maxEventBytes: this.http.maxEventBytes }));
      for await (const chunk of anthropicEventsToChunks(events, { provider: this.name, jsonTool })) {
        if (chunk.usage) complete = true; // the last chunk, sent on message_stop
        yield chunk;
      }
    } catch (e) {
      const err = this.http.transportError(e, call);
      // A connection lost after the stream started is an interrupted stream, not an unreachable host.
      if (err.code === 'upstream_unreachable' && !(e instanceof GatewayError)) {
        throw errors.streamInterrupted(this.name, `the connection was lost before message_stop`);
      }
      throw err;
    } finally {
      if (!complete || !res.body.readableEnded) res.body.destroy();
    }
  }

  #post(path: string, body: unknown, call: UpstreamCall, accept?: string, headers?: Record<string, string>) {
    return this.http.post(`${this.settings.baseURL}${path}`, body, call, { accept, headers });
  }
}
