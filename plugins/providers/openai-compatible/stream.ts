/**
 * OpenAI-format streams: chat completion chunks (until `data: [DONE]`, or until every choice has
 * finished for servers that omit it) and the raw typed events of the Responses API.
 */
import { RAW_JSON, type WithRaw } from '../../../core/chunks.js';
import { GatewayError, errors } from '../../../core/errors.js';
import type { ProviderHttp, StreamingAnswer } from '../../../core/provider-kit/index.js';
import type { UpstreamCall } from '../../../core/provider.js';
import { parseSse, type SseEvent, SseReader } from '../../../core/sse.js';
import type { ChatCompletionChunk } from '../../../core/types.js';
import type { UpstreamResponse } from '../../../core/upstream.js';

type StreamError = { message?: unknown; type?: string; code?: string };

/**
 * The chat chunks of an OpenAI-format SSE answer; each keeps its JSON text (RAW_JSON) for relaying.
 * Events are handled in this generator's own loop over the body (core/sse.ts SseReader), not through
 * parseSse's: one async step less per chunk.
 */
export async function* openAIChunks(
  http: ProviderHttp,
  res: StreamingAnswer,
  call: UpstreamCall,
): AsyncGenerator<ChatCompletionChunk> {
  const name = http.provider;
  let done = false;
  let finished = false;
  const reader = new SseReader(res.body, { maxEventBytes: http.maxEventBytes });
  /** One event: a chunk to deliver, DONE at `data: [DONE]`, undefined for an event without data. */
  const chunkOf = (ev: SseEvent): ChatCompletionChunk | typeof DONE | undefined => {
    if (ev.data === '[DONE]') return DONE;
    if (!ev.data) return undefined;
    let parsed: ChatCompletionChunk & { error?: StreamError };
    try {
      parsed = JSON.parse(ev.data);
    } catch {
      throw errors.upstreamBadResponse(name, 'a stream event is not JSON');
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw errors.upstreamBadResponse(name, 'a stream event is not a JSON object');
    }
    if (parsed.error || ev.event === 'error') {
      const e = typeof parsed.error === 'object' && parsed.error ? parsed.error : {};
      const message = typeof e.message === 'string' ? e.message : 'The upstream reported an error mid-stream.';
      throw new GatewayError(502, message, {
        type: e.type ?? 'api_error',
        code: e.code ?? 'upstream_stream_error',
        retryable: true,
        upstream: { provider: name },
      });
    }
    if (parsed.choices?.some((c) => c.finish_reason)) finished = true;
    (parsed as WithRaw)[RAW_JSON] = ev.data; // relayed as is when nothing changes the chunk
    return parsed;
  };
  try {
    read: for await (const piece of reader.source) {
      for (const ev of reader.events(piece)) {
        const chunk = chunkOf(ev);
        if (chunk === DONE) {
          done = true; // the rest of the body is drained: the connection is kept
          break read;
        }
        if (chunk) yield chunk;
      }
    }
    if (!done) {
      for (const ev of reader.rest()) {
        const chunk = chunkOf(ev);
        if (chunk === DONE) {
          done = true;
          break;
        }
        if (chunk) yield chunk;
      }
    }
  } catch (e) {
    throw http.bodyError(e, call);
  } finally {
    reader.release(done); // drained after [DONE] (the connection is kept), else the call is cut
  }
  // Some compatible servers omit [DONE]; a stream whose choices all finished is still complete.
  if (!done && !finished) throw errors.streamInterrupted(name, 'the connection closed before [DONE]');
}

const DONE = Symbol('[DONE]');

/** The raw typed SSE events of a streamed Responses API answer. */
export async function* responsesEvents(
  http: ProviderHttp,
  res: UpstreamResponse,
  call: UpstreamCall,
): AsyncGenerator<SseEvent> {
  try {
    yield* parseSse(res.body, { maxEventBytes: http.maxEventBytes });
  } catch (e) {
    throw http.bodyError(e, call);
  } finally {
    res.body.destroy();
  }
}
