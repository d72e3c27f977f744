/**
 * Native Responses upstreams. The ingress runs the normal pipeline (auth, route, cache, failover,
 * meter) with a provider registry whose adapters are wrapped per request: an adapter with the optional
 * `responses` capability gets the client's Responses body as is (model set to the target's); its answer
 * is also translated to a canonical one so usage, caching and transform hooks still work, and its raw
 * stream events travel with the canonical chunks (NativeQueue) so the encoder relays them unchanged.
 * Other adapters get the translated canonical request, and so do native ones when a transform tap
 * rewrote the request or works on answers (as for the Anthropic passthrough): its work must be honoured.
 */
import type { ChatContext, Target } from '../../core/context.js';
import { GatewayError, errors } from '../../core/errors.js';
import type { Hooks } from '../../core/hooks.js';
import { AdapterView, type ProviderAdapter, type ProviderRegistry, type UpstreamCall } from '../../core/provider.js';
import type { SseEvent } from '../../core/sse.js';
import type { ChatCompletionChunk, ChatCompletionResponse, FinishReason } from '../../core/types.js';
import { fromResponsesObject, fromResponsesUsage } from './translate.js';

type Json = Record<string, unknown>;

/** Raw upstream events waiting to be written, shared by the chunks of one native stream. */
export interface NativeQueue {
  events: Array<{ event: string; data: string }>;
  lastSeq: number;
  /** The latest Response snapshot (from response.created / in_progress). */
  snapshot?: Json;
  /** The final Response (from response.completed / response.incomplete). */
  completed?: Json;
}

const queues = new WeakMap<object, NativeQueue>();
const nativeAnswers = new WeakMap<object, Json>();

export const nativeQueueOf = (chunk: ChatCompletionChunk): NativeQueue | undefined => queues.get(chunk);
/** The upstream's own Responses object when the answer came from a native upstream. */
export const nativeAnswerOf = (response: ChatCompletionResponse): Json | undefined => nativeAnswers.get(response);

export interface ResponsesPlan {
  /** The Responses body for native upstreams (history expanded, previous_response_id removed). */
  body: Json;
  /** Non-function tools: only native upstreams can serve them. */
  builtinTools: string[];
  /** The canonical translation the ingress made; a transform that replaced it rules the native route out. */
  canonical: object;
}

/** The providers as /v1/responses sees them: adapters that dispatch per the plan. */
export function responsesView(inner: ProviderRegistry, plan: ResponsesPlan, hooks: Hooks): AdapterView {
  return new AdapterView(inner, (adapter) => wrap(adapter, plan, hooks));
}

/** Target params are chat-shaped: carry over the ones the Responses API shares. */
function nativeBody(plan: ResponsesPlan, target: Target, stream: boolean): Json {
  const body: Json = { ...plan.body, model: target.model, stream };
  const p = target.params ?? {};
  if (p.temperature !== undefined) body.temperature = p.temperature;
  if (p.top_p !== undefined) body.top_p = p.top_p;
  const max = p.max_completion_tokens ?? p.max_tokens;
  if (max !== undefined) body.max_output_tokens = max;
  if (!stream) delete body.stream;
  return body;
}

function wrap(adapter: ProviderAdapter, plan: ResponsesPlan, hooks: Hooks): ProviderAdapter {
  const translatedOnly = () => {
    if (plan.builtinTools.length) {
      const why = adapter.responses
        ? 'a plugin transforms requests or answers here (e.g. guardrails), so the native route is off'
        : `provider "${adapter.name}" only has function tools`;
      const tools = plan.builtinTools.join(', ');
      throw new GatewayError(400, `Built-in tools (${tools}) need a native Responses upstream; ${why}.`, {
        code: 'unsupported_tool',
        param: 'tools',
      });
    }
  };
  /** Native only while no transform tap has to see the canonical request or answer. */
  const native = (call: UpstreamCall, stream: boolean) =>
    adapter.responses !== undefined &&
    (call.ctx as ChatContext).request === plan.canonical &&
    !(stream ? hooks.transformChunk.isUsed() || hooks.transformStream.isUsed() : hooks.transformResponse.isUsed());
  return {
    name: adapter.name,
    models: () => adapter.models(),
    claims: adapter.claims && ((m) => adapter.claims!(m)),
    async chat(request, call) {
      if (!native(call, false)) {
        translatedOnly();
        return adapter.chat(request, call);
      }
      const answer = await adapter.responses!(nativeBody(plan, call.target, false), call);
      if (answer.kind !== 'json') throw errors.upstreamBadResponse(adapter.name, 'expected a JSON Responses object');
      const response = fromResponsesObject(answer.body);
      nativeAnswers.set(response, answer.body);
      return response;
    },
    async chatStream(request, call) {
      if (!native(call, true)) {
        translatedOnly();
        return adapter.chatStream(request, call);
      }
      const answer = await adapter.responses!(nativeBody(plan, call.target, true), call);
      if (answer.kind !== 'stream') throw errors.upstreamBadResponse(adapter.name, 'expected an event stream');
      return nativeChunks(answer.events, adapter.name, call);
    },
  };
}

/**
 * Upstream Responses events -> canonical chunks (one per event, so the raw events are written as they
 * come). `error` and `response.failed` events throw; a stream without a terminal event throws.
 */
async function* nativeChunks(
  events: AsyncIterable<SseEvent>,
  provider: string,
  call: UpstreamCall,
): AsyncGenerator<ChatCompletionChunk> {
  const q: NativeQueue = { events: [], lastSeq: -1 };
  let id = '';
  let model = call.target.model;
  const created = Math.floor(Date.now() / 1000);
  const toolIndex = new Map<number, number>();
  const make = (
    delta: ChatCompletionChunk['choices'][0]['delta'],
    finish: FinishReason = null,
  ): ChatCompletionChunk => {
    const chunk: ChatCompletionChunk = {
      id,
      object: 'chat.completion.chunk',
      created,
      model,
      choices: [{ index: 0, delta, finish_reason: finish }],
    };
    queues.set(chunk, q);
    return chunk;
  };
  let ended = false;
  for await (const ev of events) {
    if (!ev.data) continue;
    let data: Json;
    try {
      data = JSON.parse(ev.data);
    } catch {
      throw errors.upstreamBadResponse(provider, 'a stream event is not JSON');
    }
    const type = String(data.type ?? ev.event ?? '');
    if (type === 'error' || type === 'response.failed') {
      const e = (type === 'error' ? data : ((data.response as Json | undefined)?.error ?? {})) as {
        code?: string | null;
        message?: string;
      };
      throw new GatewayError(502, e.message ?? 'The upstream reported an error mid-stream.', {
        type: 'api_error',
        code: e.code ?? 'upstream_stream_error',
        retryable: true,
        upstream: { provider },
      });
    }
    q.events.push({ event: ev.event ?? type, data: ev.data });
    if (typeof data.sequence_number === 'number') q.lastSeq = data.sequence_number;
    const response = data.response as Json | undefined;
    switch (type) {
      case 'response.created':
      case 'response.in_progress':
        q.snapshot = response;
        id = String(response?.id ?? id);
        model = String(response?.model ?? model);
        yield make({ role: 'assistant', content: '' });
        break;
      case 'response.output_text.delta':
        yield make({ content: String(data.delta ?? '') });
        break;
      case 'response.output_item.added': {
        const item = data.item as Json;
        if (item?.type === 'function_call') {
          const index = toolIndex.size;
          toolIndex.set(Number(data.output_index), index);
          yield make({
            tool_calls: [
              {
                index,
                id: String(item.call_id),
                type: 'function',
                function: { name: String(item.name), arguments: '' },
              },
            ],
          });
        } else yield make({});
        break;
      }
      case 'response.function_call_arguments.delta': {
        const index = toolIndex.get(Number(data.output_index));
        yield make(
          index === undefined ? {} : { tool_calls: [{ index, function: { arguments: String(data.delta ?? '') } }] },
        );
        break;
      }
      case 'response.completed':
      case 'response.incomplete': {
        q.completed = response;
        const canonical = fromResponsesObject(response ?? {});
        yield make({}, canonical.choices[0].finish_reason);
        const usage = fromResponsesUsage(response?.usage);
        if (usage) {
          const last: ChatCompletionChunk = { id, object: 'chat.completion.chunk', created, model, choices: [], usage };
          queues.set(last, q);
          yield last;
        }
        ended = true;
        break;
      }
      default:
        yield make({});
    }
    if (ended) break;
  }
  if (!ended) throw errors.streamInterrupted(provider, 'the stream ended before response.completed');
}
