/**
 * streamGenerateContent?alt=sse -> canonical chunks.
 *
 * Each SSE `data:` is a complete GenerateContentResponse holding the next piece of every candidate;
 * there is no terminator event: the stream is complete when the connection closes after every
 * candidate seen has had a finishReason. A close before that is a truncation (502
 * upstream_stream_interrupted). `{error: {...}}` in the stream (as data, or as a bare JSON body) is
 * thrown as the mapped GatewayError. Function calls arrive whole: each becomes one tool-call delta
 * (index, id, type, name and the complete arguments). Thought parts become `reasoning_content`
 * deltas. The last usageMetadata seen is emitted as a final `{choices: [], usage}` chunk.
 */
import { errors } from '../../../core/errors.js';
import { parseSse } from '../../../core/sse.js';
import type { ChatCompletionChunk } from '../../../core/types.js';
import { transportError, type UpstreamResponse } from '../../../core/upstream.js';
import { gatewayErrorFromGoogle, googleErrorOf } from './errors.js';
import {
  checkPromptBlocked,
  mapFinishReason,
  mapUsage,
  responseIdOf,
  toolCallOf,
  type GeminiResponse,
  type GeminiUsage,
} from './response.js';

interface CandidateState {
  started: boolean;
  calls: number;
  finished: boolean;
}

export async function* geminiChunks(
  provider: string,
  res: UpstreamResponse,
  model: string,
  signal: AbortSignal,
  timeoutMs: number,
  maxEventBytes?: number,
): AsyncGenerator<ChatCompletionChunk> {
  const created = Math.floor(Date.now() / 1000);
  let id: string | undefined;
  let usage: GeminiUsage | undefined;
  const states = new Map<number, CandidateState>();
  let complete = false;
  try {
    for await (const ev of parseSse(bodyWithBareJsonErrors(res.body), { maxEventBytes })) {
      const data = ev.data.trim();
      if (!data) continue;
      let parsed: GeminiResponse | GeminiResponse[];
      try {
        parsed = JSON.parse(data);
      } catch {
        throw errors.upstreamBadResponse(provider, 'a stream event is not JSON');
      }
      const gErr = googleErrorOf(parsed);
      if (gErr) {
        throw gatewayErrorFromGoogle(provider, gErr, undefined);
      }
      const chunk = parsed as GeminiResponse;
      if (chunk.usageMetadata) usage = chunk.usageMetadata;
      if (!id) {
        checkPromptBlocked(provider, chunk);
        id = responseIdOf(chunk, data);
      }
      for (const [pos, c] of (chunk.candidates ?? []).entries()) {
        const index = c.index ?? pos;
        let st = states.get(index);
        if (!st) states.set(index, (st = { started: false, calls: 0, finished: false }));
        const delta: ChatCompletionChunk['choices'][number]['delta'] = {};
        if (!st.started) {
          delta.role = 'assistant';
          st.started = true;
        }
        let text = '';
        let reasoning = '';
        const toolDeltas: NonNullable<typeof delta.tool_calls> = [];
        for (const part of c.content?.parts ?? []) {
          if (part.functionCall) {
            const tc = toolCallOf(part, `${id}|${index}|${st.calls}`);
            toolDeltas.push({
              index: st.calls++,
              id: tc.id,
              type: 'function',
              function: { name: tc.function.name, arguments: tc.function.arguments },
            });
          } else if (typeof part.text === 'string') {
            if (part.thought) reasoning += part.text;
            else text += part.text;
          }
        }
        if (reasoning) delta.reasoning_content = reasoning;
        if (text || (delta.role && !toolDeltas.length)) delta.content = text;
        if (toolDeltas.length) delta.tool_calls = toolDeltas;
        const finish = st.finished ? null : mapFinishReason(c.finishReason, st.calls > 0);
        if (finish) st.finished = true;
        if (Object.keys(delta).length || finish) {
          yield {
            id,
            object: 'chat.completion.chunk',
            created,
            model,
            choices: [{ index, delta, finish_reason: finish, logprobs: null }],
          };
        }
      }
      complete = states.size > 0 && [...states.values()].every((s) => s.finished);
    }
  } catch (e) {
    const err = transportError(provider, e, timeoutMs, signal);
    // A socket that breaks after the stream started is a truncated stream, not an unreachable host.
    throw err.code === 'upstream_unreachable'
      ? errors.streamInterrupted(provider, `the connection broke (${(e as { code?: string }).code ?? 'network error'})`)
      : err;
  } finally {
    res.body.destroy();
  }
  if (!complete) {
    throw errors.streamInterrupted(
      provider,
      states.size ? 'the connection closed before a finishReason' : 'the stream carried no candidates',
    );
  }
  const u = mapUsage(usage);
  if (u) yield { id: id!, object: 'chat.completion.chunk', created, model, choices: [], usage: u };
}

/**
 * An error sent as a bare JSON body (not SSE-framed) would otherwise be one undelimited "event":
 * parseSse yields nothing for it. Re-frame a body that starts with "{" or "[" as one data event.
 */
async function* bodyWithBareJsonErrors(body: AsyncIterable<Uint8Array | string>): AsyncGenerator<Uint8Array | string> {
  let first = true;
  let bare = false;
  let buf = '';
  const decoder = new TextDecoder();
  for await (const piece of body) {
    if (first) {
      first = false;
      const s = typeof piece === 'string' ? piece : decoder.decode(piece, { stream: true });
      bare = /^\s*[[{]/.test(s);
      if (bare) {
        buf += s;
        continue;
      }
      yield piece;
      continue;
    }
    if (bare) buf += typeof piece === 'string' ? piece : decoder.decode(piece, { stream: true });
    else yield piece;
  }
  if (bare) yield `data: ${buf.replace(/\r?\n/g, ' ')}\n\n`;
}
