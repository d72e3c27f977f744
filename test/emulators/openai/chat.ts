/**
 * The OpenAI emulator's chat module: POST /v1/chat/completions (JSON; SSE `data: {...}` chunks, a usage
 * chunk when stream_options.include_usage, `data: [DONE]`), POST /v1/embeddings, POST /v1/moderations
 * (keyword flags) and GET /v1/models. Stream behaviour by model id is listed in ../openai.ts.
 *
 * Audio output as OpenAI documents it: `modalities` with "audio" needs `audio: {voice, format}` (else 400
 * naming the missing field); the answer's text becomes `message.audio` {id, data, expires_at, transcript}
 * with `content: null`, and streams carry it as `delta.audio` pieces (id and transcript, then data, then
 * expires_at alone). The audio itself is simulated (simulate-audio.ts: wav and pcm16 only).
 */
import { fixedPieces, responseToChunks } from '../../../core/chunks.js';
import { wantsAudioOutput } from '../../../core/provider-kit/index.js';
import type { ChatCompletionRequest } from '../../../core/types.js';
import { simulateChat, simulateEmbedding, wordPieces } from '../../../plugins/providers/mock/simulate.js';
import { addSimulatedAudio, audioRequestProblem } from '../../../plugins/providers/mock/simulate-audio.js';
import { type Exchange, sendJson, sendOpenAIError, sendStatusError, sleep } from './http.js';

export interface ChatState {
  /** What GET /v1/models lists; null: answer 500. */
  models: string[] | null;
  /** Content of a non-streamed chat answer for this request (undefined: the simulated one). */
  chat?: (body: ChatCompletionRequest) => string | undefined;
  /** Resolves when the test releases a 'held-stream' stream. */
  held(): Promise<void>;
  /** Number of moderation requests answered (ids). */
  moderations: number;
}

const MODERATION: Record<string, RegExp> = {
  violence: /\b(?:kill|murder|stab|shoot)\b/i,
  hate: /\bhate\b/i,
  harassment: /\b(?:idiot|moron)\b/i,
  'self-harm': /\bhurt myself\b/i,
};

const MODERATION_CATEGORIES = [
  'harassment',
  'harassment/threatening',
  'hate',
  'hate/threatening',
  'illicit',
  'illicit/violent',
  'self-harm',
  'self-harm/intent',
  'self-harm/instructions',
  'sexual',
  'sexual/minors',
  'violence',
  'violence/graphic',
];

/** One moderation result in OpenAI's format, by keywords. */
function moderate(text: string) {
  const categories: Record<string, boolean> = {};
  const scores: Record<string, number> = {};
  for (const c of MODERATION_CATEGORIES) {
    const hit = MODERATION[c]?.test(text) ?? false;
    categories[c] = hit;
    scores[c] = hit ? 0.91 : 0.0004;
  }
  return { flagged: Object.values(categories).some(Boolean), categories, category_scores: scores };
}

export function chatRoutes(state: ChatState) {
  return async ({ rec, res, method, path }: Exchange): Promise<boolean> => {
    if (method === 'GET' && path === '/v1/models') {
      if (!state.models) sendStatusError(res, 500);
      else {
        const data = state.models.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'emulator' }));
        sendJson(res, 200, { object: 'list', data });
      }
      return true;
    }
    if (method !== 'POST') return false;
    const body = rec.body ?? {};
    const inputs = (): string[] => (typeof body.input === 'string' ? [body.input] : body.input);
    if (path === '/v1/embeddings') {
      const data = inputs().map((t, index) => ({
        object: 'embedding',
        index,
        embedding: simulateEmbedding(t, body.dimensions ?? 8),
      }));
      const tokens = data.length * 3;
      sendJson(res, 200, {
        object: 'list',
        data,
        model: body.model,
        usage: { prompt_tokens: tokens, total_tokens: tokens },
      });
      return true;
    }
    if (path === '/v1/moderations') {
      sendJson(res, 200, { id: `modr-${++state.moderations}`, model: body.model, results: inputs().map(moderate) });
      return true;
    }
    if (path !== '/v1/chat/completions') return false;
    await completeChat(state, body, res);
    return true;
  };
}

async function completeChat(state: ChatState, body: any, res: Exchange['res']): Promise<void> {
  if (!Array.isArray(body.messages)) {
    // OpenAI's answer to a body without a messages array (a JSON array or scalar body included).
    return sendOpenAIError(res, 400, {
      message: "Missing required parameter: 'messages'.",
      param: 'messages',
      code: 'missing_required_parameter',
    });
  }
  const model: string = body.model ?? '';
  const answer = simulateChat(body as ChatCompletionRequest, { created: 1_700_000_000 });
  const scripted = body.stream ? undefined : state.chat?.(body as ChatCompletionRequest);
  if (scripted !== undefined) answer.choices[0].message.content = scripted;
  if (wantsAudioOutput(body)) {
    const problem = audioRequestProblem(body as ChatCompletionRequest);
    if (problem) return sendOpenAIError(res, 400, { message: problem.message, param: problem.param });
    addSimulatedAudio(answer, body as ChatCompletionRequest);
  }
  if (!body.stream) return sendJson(res, 200, answer, { 'x-request-id': 'req_ok' });
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const split = model === 'tiny-chunks' ? fixedPieces(3) : wordPieces;
  const chunks = responseToChunks(answer, split).filter((c) => c.choices.length > 0);
  const send = (o: unknown) => res.write(`data: ${JSON.stringify(o)}\n\n`);
  if (model === 'stream-error-midway' || model === 'stream-truncated') {
    send(chunks[0]);
    send(chunks[1]);
    await sleep(20);
    if (model === 'stream-truncated') return void res.socket?.destroy();
    const message = 'The server had an error while processing your request.';
    send({ error: { message, type: 'server_error', param: null, code: null } });
    return void res.end();
  }
  const usage = Boolean(body.stream_options?.include_usage);
  for (const [i, c] of chunks.entries()) {
    send(usage ? { ...c, usage: null } : c);
    if (i === 0 && model === 'held-stream') await state.held();
    if (model === 'slow-stream') await sleep(50);
    if (res.destroyed) return;
  }
  if (model === 'stall-before-usage') return void (res.destroyed || (await new Promise((r) => res.once('close', r))));
  if (usage) send({ ...chunks[0], choices: [], usage: answer.usage });
  res.end('data: [DONE]\n\n');
}
