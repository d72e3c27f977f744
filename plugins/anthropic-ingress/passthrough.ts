/**
 * Native passthrough for the Anthropic Messages ingress.
 *
 * The ingress runs the normal pipeline (auth, route, admit, transforms, cache, attempts with
 * failover, meter) with a view of the gateway whose provider registry wraps every adapter that has
 * `native.anthropicMessages` (core/provider.ts). For each attempt the wrapper decides:
 *
 * - passthrough: the client's original Messages body, with `model` replaced by the target's model
 *   (and the target's `params` merged when they are all Anthropic body fields), goes upstream as-is;
 *   the adapter returns the upstream Message / SSE events together with their canonical translation.
 *   The translation is what the pipeline sees (usage for metering, cache store, first-chunk
 *   failover); the raw answer rides along under the NATIVE_RAW symbol (invisible to JSON) and the
 *   ingress renderer relays it instead of re-rendering, so cache_control, thinking signatures,
 *   citations and every block type survive.
 * - canonical: the attempt goes through `chat`/`chatStream` with the canonical request, exactly
 *   as for other providers. This happens when the request did not come from the Anthropic ingress,
 *   when a `transform.request` tap replaced the canonical request (its rewrite must be honoured),
 *   when a `transform.response` (plain) or `transform.chunk` / `transform.stream` (streams) tap is
 *   installed (they work on canonical objects), or when the target's params include non-Anthropic fields.
 *
 * Because the choice is made per attempt, an alias may mix Anthropic and other targets: failover
 * from one to the other works before the first byte, and the renderer translates whatever arrives.
 */
import type { Gateway } from '../../core/gateway-types.js';
import { errors } from '../../core/errors.js';
import { AdapterView, type ProviderAdapter, type UpstreamCall } from '../../core/provider.js';
import type { ChatCompletionChunk, ChatCompletionResponse } from '../../core/types.js';
import { anthropicOrigin } from './parse.js';

/** The upstream's own answer: a parsed Message on responses, SSE text on chunks. */
export const NATIVE_RAW = Symbol.for('switchyard.anthropic.raw');

export function nativeRaw(x: ChatCompletionResponse | ChatCompletionChunk): unknown {
  return (x as { [NATIVE_RAW]?: unknown })[NATIVE_RAW];
}

/** Target params that may be merged into a passthrough body (they are Messages fields). */
const BODY_PARAMS = new Set([
  'max_tokens',
  'temperature',
  'top_p',
  'top_k',
  'stop_sequences',
  'thinking',
  'metadata',
  'tool_choice',
  'service_tier',
]);

/** The body to send natively for this attempt, or undefined for the canonical route. */
function nativeBody(call: UpstreamCall): Record<string, unknown> | undefined {
  const { ctx, target } = call;
  if (ctx.operation !== 'chat') return undefined;
  const origin = anthropicOrigin(ctx.request);
  if (!origin || origin.canonical !== ctx.request) return undefined;
  const params = target.params;
  if (params && Object.keys(params).some((k) => !BODY_PARAMS.has(k))) return undefined;
  // Spreading keeps `model` where the client put it: the body stays the client's, key for key.
  return { ...origin.body, ...params, model: target.model };
}

function wrap(a: ProviderAdapter, hooks: Gateway['hooks']): ProviderAdapter {
  const native = a.native!;
  return {
    name: a.name,
    native,
    models: () => a.models(),
    ...(a.claims ? { claims: (m: string) => a.claims!(m) } : {}),
    ...(a.embeddings ? { embeddings: (r, c) => a.embeddings!(r, c) } : {}),
    async chat(request, call) {
      const body = hooks.transformResponse.isUsed() ? undefined : nativeBody(call);
      if (!body) return a.chat(request, call);
      const answer = await native.anthropicMessages!(body, call);
      if (answer.kind !== 'json') throw errors.upstreamBadResponse(a.name, 'a stream answered a plain request');
      return Object.assign(answer.response, { [NATIVE_RAW]: answer.raw });
    },
    async chatStream(request, call) {
      const body = hooks.transformChunk.isUsed() || hooks.transformStream.isUsed() ? undefined : nativeBody(call);
      if (!body) return a.chatStream(request, call);
      const answer = await native.anthropicMessages!(body, call);
      if (answer.kind !== 'stream') throw errors.upstreamBadResponse(a.name, 'a JSON body answered a streamed request');
      return (async function* () {
        for await (const { raw, chunk } of answer.events) yield Object.assign(chunk, { [NATIVE_RAW]: raw });
      })();
    },
  };
}

/** The gateway as the Anthropic ingress sees it: same hooks, config and state, passthrough-aware providers. */
export function passthroughGateway(gw: Gateway): Gateway {
  return Object.freeze({
    ...gw,
    providers: new AdapterView(gw.providers, (a) => (a.native?.anthropicMessages ? wrap(a, gw.hooks) : a)),
  });
}
