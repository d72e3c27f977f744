/**
 * The mock adapter: answers in-process from simulate.ts (deterministic replies, word-piece streams,
 * hashed bag-of-words embeddings), after `latencyMs`, failing a `failureRate` share with a retryable 503.
 * Images and audio clips in the request are counted in the reply; an empty `input_audio` part is a 400.
 * `modalities` with "audio" and `audio: {voice, format}` get a spoken answer (simulate-audio.ts): `message.audio`
 * plain, `delta.audio` pieces streamed, as OpenAI sends them.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { responseToChunks } from '../../../core/chunks.js';
import { GatewayError } from '../../../core/errors.js';
import { checkInputAudio, wantsAudioOutput } from '../../../core/provider-kit/index.js';
import type { ProviderAdapter, UpstreamCall } from '../../../core/provider.js';
import type {
  ChatCompletionChunk,
  ChatCompletionRequest,
  EmbeddingsRequest,
  EmbeddingsResponse,
} from '../../../core/types.js';
import { clientClosed } from '../../../core/upstream.js';
import { countTokens, simulateChat, simulateEmbedding, wordPieces } from './simulate.js';
import { addSimulatedAudio, audioRequestProblem } from './simulate-audio.js';

export interface MockOptions {
  name?: string;
  /** Models advertised. Default: mock-small, mock-large, mock-embed. */
  models?: string[];
  /** Delay before the answer (or its first chunk), ms. Default 0. */
  latencyMs?: number;
  /** Delay between stream chunks, ms. Default 0. */
  chunkDelayMs?: number;
  /** Share of requests that fail with a retryable 503, 0..1. Default 0. */
  failureRate?: number;
  /** Embedding dimensions when the request does not say. Default 256. */
  dimensions?: number;
}

const DEFAULT_MODELS = ['mock-small', 'mock-large', 'mock-embed'];

export class MockAdapter implements ProviderAdapter {
  constructor(
    readonly name: string,
    private readonly o: MockOptions,
  ) {}

  models() {
    return (this.o.models ?? DEFAULT_MODELS).map((id) => ({
      id,
      kind: /embed/.test(id) ? ('embeddings' as const) : ('chat' as const),
    }));
  }

  claims(model: string) {
    return model.startsWith('mock-');
  }

  async #begin(call: UpstreamCall) {
    if (this.o.latencyMs)
      await sleep(this.o.latencyMs, undefined, { signal: call.signal }).catch(() => {
        throw clientClosed();
      });
    if (this.o.failureRate && Math.random() < this.o.failureRate) {
      throw new GatewayError(503, 'Simulated upstream failure (mock provider failureRate).', {
        type: 'api_error',
        code: 'mock_failure',
        retryable: true,
        upstream: { provider: this.name, status: 503 },
      });
    }
  }

  async chat(request: ChatCompletionRequest, call: UpstreamCall) {
    this.#check(request);
    await this.#begin(call);
    return this.#answer(request);
  }

  async chatStream(request: ChatCompletionRequest, call: UpstreamCall): Promise<AsyncIterable<ChatCompletionChunk>> {
    this.#check(request);
    await this.#begin(call);
    const chunks = responseToChunks(this.#answer(request), wordPieces);
    const delay = this.o.chunkDelayMs ?? 0;
    return (async function* () {
      for (const c of chunks) {
        if (delay)
          await sleep(delay, undefined, { signal: call.signal }).catch(() => {
            throw clientClosed();
          });
        yield c;
      }
    })();
  }

  /** Refuse what a real upstream would refuse: an empty audio clip, incomplete audio output parameters. */
  #check(request: ChatCompletionRequest): void {
    checkInputAudio(request.messages);
    const problem = wantsAudioOutput(request) ? audioRequestProblem(request) : undefined;
    if (problem) throw new GatewayError(400, problem.message, { code: 'invalid_request', param: problem.param });
  }

  #answer(request: ChatCompletionRequest) {
    const res = simulateChat(request);
    return wantsAudioOutput(request) ? addSimulatedAudio(res, request) : res;
  }

  async embeddings(request: EmbeddingsRequest, call: UpstreamCall): Promise<EmbeddingsResponse> {
    await this.#begin(call);
    const inputs =
      typeof request.input === 'string'
        ? [request.input]
        : (request.input as unknown[]).map((x) =>
            Array.isArray(x) || typeof x === 'number' ? JSON.stringify(x) : String(x),
          );
    const texts =
      typeof request.input === 'string' || typeof (request.input as unknown[])[0] !== 'number'
        ? inputs
        : [JSON.stringify(request.input)];
    const dims = request.dimensions ?? this.o.dimensions ?? 256;
    const tokens = texts.reduce((n, t) => n + countTokens(t), 0);
    return {
      object: 'list',
      data: texts.map((t, index) => {
        const v = simulateEmbedding(t, dims);
        return {
          object: 'embedding' as const,
          index,
          embedding:
            request.encoding_format === 'base64' ? Buffer.from(new Float32Array(v).buffer).toString('base64') : v,
        };
      }),
      model: request.model,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    };
  }
}
