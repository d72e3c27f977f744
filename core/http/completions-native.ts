/**
 * Native text-completions upstreams, the way plugins/responses-ingress/native.ts does it for the Responses API: the
 * ingress runs the normal chat pipeline with a registry whose adapters are wrapped per request. An
 * adapter with the optional `completions` capability gets the client's body (model set to the target's)
 * and its answer is also translated to a canonical one (usage, cache, failover still work); its raw
 * answer and stream events are kept next to the canonical ones so the ingress relays them unchanged
 * (logprobs, echo, ...). Other adapters get the chat translation, unless it is not faithful (400).
 * Transform taps (e.g. guardrails) are honoured: a rewritten prompt is what the native upstream gets, and
 * answers are then rendered from the canonical ones instead of relayed (see `route`).
 */
import type { ChatContext, Target } from '../context.js';
import { GatewayError, errors } from '../errors.js';
import type { Hooks } from '../hooks.js';
import { AdapterView, type ProviderAdapter, type ProviderRegistry, type UpstreamCall } from '../provider.js';
import type { SseEvent } from '../sse.js';
import type { ChatCompletionChunk, ChatCompletionRequest, ChatCompletionResponse } from '../types.js';
import { fromCompletion, fromCompletionChunk, notFaithful, type CompletionsPlan } from './completions-translate.js';

type Json = Record<string, unknown>;

const nativeAnswers = new WeakMap<object, Json>();
const nativeEvents = new WeakMap<object, string>();

/** The upstream's own text_completion object, when a native upstream answered. */
export const nativeCompletionOf = (r: ChatCompletionResponse): Json | undefined => nativeAnswers.get(r);
/** The upstream's own event text for a chunk of a native stream. */
export const nativeEventOf = (c: ChatCompletionChunk): string | undefined => nativeEvents.get(c);

/** The providers as /v1/completions sees them: native completions where the target can take the body. */
export function completionsView(inner: ProviderRegistry, plan: CompletionsPlan, hooks: Hooks): AdapterView {
  return new AdapterView(inner, (adapter) => wrap(adapter, plan, hooks));
}

/** Target params are chat-shaped: carry over the ones completions share. */
function nativeBody(plan: CompletionsPlan, target: Target, stream: boolean): Json {
  const body: Json = { ...plan.body, model: target.model };
  for (const k of ['temperature', 'top_p', 'max_tokens', 'stop', 'seed', 'presence_penalty', 'frequency_penalty']) {
    if (target.params?.[k] !== undefined) body[k] = target.params[k];
  }
  if (stream) body.stream = true;
  else delete body.stream;
  return body;
}

function wrap(adapter: ProviderAdapter, plan: CompletionsPlan, hooks: Hooks): ProviderAdapter {
  const answersTransformed = (stream: boolean) =>
    stream ? hooks.transformChunk.isUsed() || hooks.transformStream.isUsed() : hooks.transformResponse.isUsed();
  /**
   * The body for a native upstream, or undefined to translate. A request a transform tap rewrote is sent
   * natively when it is still one user message (its text becomes the prompt); the upstream's answer is then
   * rendered from the canonical (transformed) one, never relayed raw, and so it is when taps see answers.
   */
  const route = (request: ChatCompletionRequest, call: UpstreamCall, stream: boolean) => {
    if (!adapter.completions) return translate();
    const untouched = (call.ctx as ChatContext).request === plan.canonical;
    const relay = untouched && !answersTransformed(stream);
    if (plan.nativeOnly.length && !relay) return translate(true);
    let body = nativeBody(plan, call.target, stream);
    if (!untouched) {
      const m = request.messages;
      if (m.length !== 1 || m[0].role !== 'user' || typeof m[0].content !== 'string') return translate();
      body = { ...body, prompt: m[0].content };
    }
    return { body, relay };
  };
  /** Use the chat translation: undefined when it is faithful, else a 400 that says why not. */
  const translate = (transformed = false): undefined => {
    if (!plan.nativeOnly.length) return undefined;
    const err = notFaithful(adapter.name, plan.nativeOnly);
    if (!transformed) throw err;
    const why = "a plugin transforms requests or answers here, so the upstream's answer cannot be relayed";
    throw new GatewayError(400, `${err.message} (${why})`, { code: err.code, param: err.param });
  };
  return {
    name: adapter.name,
    models: () => adapter.models(),
    claims: adapter.claims && ((m) => adapter.claims!(m)),
    async chat(request, call) {
      const how = route(request, call, false);
      if (!how) return adapter.chat(request, call);
      const answer = await adapter.completions!(how.body, call);
      if (answer.kind !== 'json') throw errors.upstreamBadResponse(adapter.name, 'expected a JSON text_completion');
      const response = fromCompletion(answer.body);
      if (how.relay) nativeAnswers.set(response, answer.body);
      return response;
    },
    async chatStream(request, call) {
      const how = route(request, call, true);
      if (!how) return adapter.chatStream(request, call);
      const answer = await adapter.completions!(how.body, call);
      if (answer.kind !== 'stream') throw errors.upstreamBadResponse(adapter.name, 'expected an event stream');
      return nativeChunks(answer.events, adapter.name, how.relay);
    },
  };
}

/**
 * Native stream events -> canonical chunks (with `relay`, each keeps its event text); `[DONE]` ends, an
 * error event throws.
 */
async function* nativeChunks(
  events: AsyncIterable<SseEvent>,
  provider: string,
  relay: boolean,
): AsyncGenerator<ChatCompletionChunk> {
  let finished = false;
  for await (const ev of events) {
    if (!ev.data) continue;
    if (ev.data === '[DONE]') return;
    let data: Json;
    try {
      data = JSON.parse(ev.data);
    } catch {
      throw errors.upstreamBadResponse(provider, 'a stream event is not JSON');
    }
    if (data === null || typeof data !== 'object' || data.error) {
      const e = (data?.error ?? {}) as { message?: string; code?: string };
      const message = typeof e.message === 'string' ? e.message : 'The upstream reported an error mid-stream.';
      throw new GatewayError(502, message, {
        type: 'api_error',
        code: typeof e.code === 'string' ? e.code : 'upstream_stream_error',
        retryable: true,
        upstream: { provider },
      });
    }
    const chunk = fromCompletionChunk(data);
    if (chunk.choices.some((c) => c.finish_reason)) finished = true;
    if (relay) nativeEvents.set(chunk, ev.data);
    yield chunk;
  }
  if (!finished) throw errors.streamInterrupted(provider, 'the connection closed before [DONE]');
}
