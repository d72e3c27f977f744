/**
 * OpenAI's endpoints beyond chat and embeddings, for OpenAI and compatible servers (Groq, Azure's v1 API,
 * vLLM, ...): legacy completions (JSON or SSE), image generations (JSON), image edits and variations and
 * transcriptions/translations (multipart, streamed up as the client sends it), speech (binary, streamed back).
 */
import { Readable } from 'node:stream';
import type {
  BinaryAnswer,
  MultipartBody,
  NativeResponsesAnswer,
  TextAnswer,
  UpstreamCall,
} from '../../../core/provider.js';
import type { SseEvent } from '../../../core/sse.js';
import { bodyError, readBodyText, type UpstreamResponse } from '../../../core/upstream.js';

/** What these calls need of an adapter (its key and headers stay inside it). */
export interface MediaUpstream {
  name(): string;
  streamUsage(): boolean;
  /** POST {baseURL}{path}; error statuses are thrown as GatewayErrors. */
  send(
    path: string,
    body: string | Readable,
    call: UpstreamCall,
    headers?: Record<string, string>,
  ): Promise<UpstreamResponse>;
  json(res: UpstreamResponse, call: UpstreamCall): Promise<unknown>;
  events(res: UpstreamResponse, call: UpstreamCall): AsyncGenerator<SseEvent>;
  timeoutMs(): number;
}

type Json = Record<string, unknown>;

export async function completions(up: MediaUpstream, body: Json, call: UpstreamCall): Promise<NativeResponsesAnswer> {
  if (body.stream !== true) {
    const res = await up.send('/completions', JSON.stringify(body), call);
    return { kind: 'json', body: (await up.json(res, call)) as Json };
  }
  // Usage arrives in a last chunk only when asked for (metering needs it).
  const streamed = up.streamUsage()
    ? { ...body, stream_options: { ...(body.stream_options as Json | undefined), include_usage: true } }
    : body;
  const res = await up.send('/completions', JSON.stringify(streamed), call, { accept: 'text/event-stream' });
  return { kind: 'stream', events: up.events(res, call) };
}

export async function imageGenerations(up: MediaUpstream, body: Json, call: UpstreamCall): Promise<Json> {
  const res = await up.send('/images/generations', JSON.stringify(body), call);
  return (await up.json(res, call)) as Json;
}

/** POST {base}/images/edits or /images/variations: the multipart form streamed up, the JSON answer. */
export async function imageUpload(
  up: MediaUpstream,
  kind: 'edits' | 'variations',
  form: MultipartBody,
  call: UpstreamCall,
): Promise<Json> {
  const res = await up.send(`/images/${kind}`, Readable.from(form.body), call, { 'content-type': form.contentType });
  return (await up.json(res, call)) as Json;
}

export async function speech(up: MediaUpstream, body: Json, call: UpstreamCall): Promise<BinaryAnswer> {
  const res = await up.send('/audio/speech', JSON.stringify(body), call, { accept: '*/*' });
  const type = res.headers['content-type'];
  return {
    contentType: typeof type === 'string' ? type : 'application/octet-stream',
    body: bytes(up, res, call),
    close: () => res.body.destroy(),
  };
}

async function* bytes(up: MediaUpstream, res: UpstreamResponse, call: UpstreamCall): AsyncGenerator<Uint8Array> {
  try {
    for await (const chunk of res.body) yield chunk as Uint8Array;
  } catch (e) {
    throw bodyError(up.name(), e, up.timeoutMs(), call.signal);
  } finally {
    res.body.destroy();
  }
}

export async function audio(
  up: MediaUpstream,
  kind: 'transcriptions' | 'translations',
  form: MultipartBody,
  call: UpstreamCall,
): Promise<TextAnswer> {
  const headers = { 'content-type': form.contentType, accept: '*/*' };
  const res = await up.send(`/audio/${kind}`, Readable.from(form.body), call, headers);
  const type = res.headers['content-type'];
  return {
    contentType: typeof type === 'string' ? type : 'application/json',
    text: await readBodyText(up.name(), res, up.timeoutMs(), call.signal),
  };
}
