/**
 * An emulated Azure OpenAI resource on 127.0.0.1, reproducing its documented wire format:
 *
 * - POST /openai/deployments/{deployment}/chat/completions?api-version=... (and /embeddings), and
 *   the v1 API POST /openai/v1/chat/completions (and /embeddings) with `model` = deployment name;
 * - `api-key` header auth; a wrong key answers 401 `{error: {code: "401", message: "Access denied
 *   due to invalid subscription key or wrong API endpoint. ..."}}`;
 * - a missing api-version on deployment URLs answers 404 `{error: {code: "404", message: "Resource
 *   not found"}}`; an unknown deployment answers 404 DeploymentNotFound;
 * - responses carry `prompt_filter_results` and per-choice `content_filter_results`; streams start
 *   with a `choices: []` event holding only prompt_filter_results (empty id and model), then OpenAI
 *   chunks with content_filter_results, a usage chunk when stream_options.include_usage, `[DONE]`;
 * - audio output (gpt-4o-audio-preview deployments) in OpenAI's format: `modalities` with "audio" and
 *   `audio: {voice, format}` -> `message.audio` {id, data, expires_at, transcript}, streamed as `delta.audio`
 *   pieces after the same filter annotations (simulated audio: simulate-audio.ts);
 * - errors in Azure's shapes: numeric-string codes for 401/403/429 (429 with retry-after and
 *   retry-after-ms), content_filter 400 with innererror ResponsibleAIPolicyViolation,
 *   context_length_exceeded 400, OpenAI-style 500/503.
 *
 * Behaviour by deployment name: normal names answer (content from simulateChat); 'error-<status>',
 * 'overloaded', 'context-too-long', 'content-filter-prompt' (400 content_filter), 'content-filter'
 * (200 with finish_reason content_filter), 'stream-error-midway', 'stream-truncated', 'slow' (2 s),
 * 'missing' (DeploymentNotFound), 'slow-stream' (50 ms between chunks).
 *
 * The other operations a deployment serves, in OpenAI's formats (the OpenAI emulator's modules, mounted here):
 * POST /openai/deployments/{deployment}/{completions, images/generations, images/edits, images/variations,
 * audio/speech, audio/transcriptions, audio/translations}?api-version=... (the recorded request names its
 * `deployment`), and Files and Batches under /openai/files, /openai/batches (and /openai/v1/...).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { responseToChunks } from '../../core/chunks.js';
import { wantsAudioOutput } from '../../core/provider-kit/index.js';
import type { ChatCompletionRequest } from '../../core/types.js';
import { simulateChat, simulateEmbedding, wordPieces } from '../../plugins/providers/mock/simulate.js';
import { addSimulatedAudio, audioRequestProblem } from '../../plugins/providers/mock/simulate-audio.js';
import { type FilesState, filesRoutes } from './openai/files.js';
import { type Exchange, type RecordedRequest, readRequest } from './openai/http.js';
import { mediaRoutes } from './openai/media.js';

export interface AzureOpenAIEmulator extends FilesState {
  url: string;
  requests: RecordedRequest[];
  /** Requests whose connection closed before the emulator finished answering. */
  aborted: RecordedRequest[];
  close(): Promise<void>;
}

/** The underlying model Azure reports in `model` for every deployment here. */
export const AZURE_MODEL = 'gpt-4o-2024-08-06';

const SAFE = { filtered: false, severity: 'safe' };
const promptFilterResults = () => [
  {
    prompt_index: 0,
    content_filter_results: {
      hate: SAFE,
      self_harm: SAFE,
      sexual: SAFE,
      violence: SAFE,
      jailbreak: { filtered: false, detected: false },
    },
  },
];
const choiceFilterResults = () => ({ hate: SAFE, self_harm: SAFE, sexual: SAFE, violence: SAFE });

type Err = { status: number; body: unknown; headers?: Record<string, string> };

function errorFor(kind: string): Err | undefined {
  switch (kind) {
    case 'error-400':
      return {
        status: 400,
        body: {
          error: {
            message: "Invalid value for 'temperature': must be between 0 and 2.",
            type: 'invalid_request_error',
            param: 'temperature',
            code: null,
          },
        },
      };
    case 'error-401':
      return {
        status: 401,
        body: {
          error: {
            code: '401',
            message:
              'Access denied due to invalid subscription key or wrong API endpoint. ' +
              'Make sure to provide a valid key for an active subscription ' +
              'and use a correct regional API endpoint for your resource.',
          },
        },
      };
    case 'error-403':
      return {
        status: 403,
        body: { error: { code: '403', message: 'Access denied due to Virtual Network/Firewall rules.' } },
      };
    case 'error-404':
    case 'missing':
      return {
        status: 404,
        body: {
          error: {
            code: 'DeploymentNotFound',
            message:
              'The API deployment for this resource does not exist. ' +
              'If you created the deployment within the last 5 minutes, please wait a moment and try again.',
          },
        },
      };
    case 'error-429':
      return {
        status: 429,
        headers: { 'retry-after': '1', 'retry-after-ms': '1000', 'x-ratelimit-remaining-requests': '0' },
        body: {
          error: {
            code: '429',
            message:
              'Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 ' +
              'have exceeded token rate limit of your current OpenAI S0 pricing tier. ' +
              'Please retry after 1 second. Please go here: https://aka.ms/oai/quotaincrease ' +
              'if you would like to further increase the default rate limit.',
          },
        },
      };
    case 'error-500':
      return {
        status: 500,
        body: {
          error: {
            message: 'The server had an error while processing your request. Sorry about that!',
            type: 'server_error',
            param: null,
            code: null,
          },
        },
      };
    case 'error-503':
    case 'overloaded':
      return {
        status: 503,
        body: {
          error: {
            code: 'ServiceUnavailable',
            message: 'The service is temporarily unable to process your request. Please try again later.',
          },
        },
      };
    case 'context-too-long':
      return {
        status: 400,
        body: {
          error: {
            message:
              "This model's maximum context length is 128000 tokens. " +
              'However, your messages resulted in 131072 tokens. Please reduce the length of the messages.',
            type: 'invalid_request_error',
            param: 'messages',
            code: 'context_length_exceeded',
          },
        },
      };
    case 'content-filter-prompt':
      return {
        status: 400,
        body: {
          error: {
            message:
              "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. " +
              'Please modify your prompt and retry. ' +
              'To learn more about our content filtering policies please read our documentation: ' +
              'https://go.microsoft.com/fwlink/?linkid=2198766',
            type: null,
            param: 'prompt',
            code: 'content_filter',
            status: 400,
            innererror: {
              code: 'ResponsibleAIPolicyViolation',
              content_filter_result: {
                hate: SAFE,
                jailbreak: { filtered: false, detected: false },
                self_harm: SAFE,
                sexual: SAFE,
                violence: { filtered: true, severity: 'high' },
              },
            },
          },
        },
      };
    default:
      return undefined;
  }
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'content-type': 'application/json',
    'apim-request-id': 'a1b2c3d4-0000-4000-8000-000000000000',
    'x-ms-region': 'East US',
    ...headers,
  });
  res.end(JSON.stringify(body));
}

export async function startAzureOpenAIEmulator(options: { apiKey?: string } = {}): Promise<AzureOpenAIEmulator> {
  const apiKey = options.apiKey ?? 'test-key';
  const requests: RecordedRequest[] = [];
  const aborted: RecordedRequest[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const state: FilesState = { files: new Map(), batches: new Map() };
  const files = filesRoutes(state);

  const server = http.createServer(async (req, res) => {
    const { rec, invalid } = await readRequest(req);
    requests.push(rec);
    res.on('close', () => {
      if (!res.writableFinished) aborted.push(rec);
    });
    if (invalid) return send(res, 400, { error: { code: 'BadRequest', message: 'The request body is invalid.' } });

    const url = new URL(req.url ?? '/', 'http://localhost');
    const body = rec.body ?? {};
    const exchange = (path: string): Exchange => ({ rec, req, res, method: rec.method, path });
    const filesPath = /^\/openai(?:\/v1)?(\/(?:files|batches)(?:\/.*)?)$/.exec(url.pathname);
    if (filesPath) {
      if (req.headers['api-key'] !== apiKey) return send(res, 401, errorFor('error-401')!.body);
      if (!files(exchange(`/v1${filesPath[1]}`)))
        send(res, 404, { error: { code: '404', message: 'Resource not found' } });
      return;
    }
    const media = /^\/openai\/deployments\/([^/]+)\/(completions|images\/\w+|audio\/\w+)$/.exec(url.pathname);
    if (media) {
      if (!url.searchParams.get('api-version'))
        return send(res, 404, { error: { code: '404', message: 'Resource not found' } });
      if (req.headers['api-key'] !== apiKey) return send(res, 401, errorFor('error-401')!.body);
      rec.deployment = decodeURIComponent(media[1]);
      const err = errorFor(rec.deployment);
      if (err) return send(res, err.status, err.body, err.headers);
      if (!mediaRoutes(exchange(`/v1/${media[2]}`)))
        send(res, 404, { error: { code: '404', message: 'Resource not found' } });
      return;
    }
    let deployment: string;
    let op: string;
    const dep = /^\/openai\/deployments\/([^/]+)\/(chat\/completions|embeddings)$/.exec(url.pathname);
    const v1 = /^\/openai\/v1\/(chat\/completions|embeddings)$/.exec(url.pathname);
    if (dep) {
      if (!url.searchParams.get('api-version'))
        return send(res, 404, { error: { code: '404', message: 'Resource not found' } });
      deployment = decodeURIComponent(dep[1]);
      op = dep[2];
    } else if (v1) {
      deployment = String(body.model ?? '');
      op = v1[1];
    } else {
      return send(res, 404, { error: { code: '404', message: 'Resource not found' } });
    }
    if (req.method !== 'POST') return send(res, 405, { error: { code: '405', message: 'Method not allowed' } });
    if (req.headers['api-key'] !== apiKey) return send(res, 401, errorFor('error-401')!.body);
    const err = errorFor(deployment);
    if (err) return send(res, err.status, err.body, err.headers);
    if (deployment === 'slow') await new Promise((r) => setTimeout(r, 2000));
    if (res.destroyed) return;

    if (op === 'embeddings') {
      const inputs: string[] = typeof body.input === 'string' ? [body.input] : body.input;
      return send(res, 200, {
        object: 'list',
        data: inputs.map((t, index) => ({
          object: 'embedding',
          index,
          embedding: simulateEmbedding(t, body.dimensions ?? 8),
        })),
        model: 'text-embedding-3-small',
        usage: { prompt_tokens: inputs.length * 3, total_tokens: inputs.length * 3 },
      });
    }

    const answer = simulateChat({ ...(body as ChatCompletionRequest), model: AZURE_MODEL }, { created: 1_700_000_000 });
    if (wantsAudioOutput(body)) {
      const problem = audioRequestProblem(body as ChatCompletionRequest);
      if (problem)
        return send(res, 400, {
          error: { message: problem.message, type: 'invalid_request_error', param: problem.param, code: null },
        });
      addSimulatedAudio(answer, body as ChatCompletionRequest);
    }
    const filtered = deployment === 'content-filter';
    if (filtered) {
      answer.choices[0].message.content = null;
      answer.choices[0].finish_reason = 'content_filter';
    }
    if (!body.stream) {
      return send(res, 200, {
        ...answer,
        choices: answer.choices.map((c) => ({
          ...c,
          content_filter_results: filtered
            ? { ...choiceFilterResults(), violence: { filtered: true, severity: 'medium' } }
            : choiceFilterResults(),
        })),
        prompt_filter_results: promptFilterResults(),
      });
    }

    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'apim-request-id': 'a1b2c3d4-0000-4000-8000-000000000001',
    });
    const write = (o: unknown) => res.write(`data: ${JSON.stringify(o)}\n\n`);
    // Azure's first event: prompt filter annotations only.
    write({ choices: [], created: 0, id: '', model: '', object: '', prompt_filter_results: promptFilterResults() });
    let chunks = responseToChunks(answer, wordPieces).filter((c) => c.choices.length > 0);
    if (filtered)
      chunks = [chunks[0], { ...chunks[0], choices: [{ index: 0, delta: {}, finish_reason: 'content_filter' }] }];
    const decorate = (c: (typeof chunks)[number]) => ({
      ...c,
      system_fingerprint: 'fp_azure',
      choices: c.choices.map((ch) => ({
        ...ch,
        ...(ch.delta.role
          ? {}
          : {
              content_filter_results:
                ch.finish_reason === 'content_filter'
                  ? { violence: { filtered: true, severity: 'medium' } }
                  : choiceFilterResults(),
            }),
      })),
      ...(body.stream_options?.include_usage ? { usage: null } : {}),
    });
    if (deployment === 'stream-error-midway' || deployment === 'stream-truncated') {
      write(decorate(chunks[0]));
      write(decorate(chunks[1]));
      await new Promise((r) => setTimeout(r, 20));
      if (deployment === 'stream-truncated') return void res.socket?.destroy();
      write({
        error: {
          message: 'The server had an error while processing your request. Sorry about that!',
          type: 'server_error',
          param: null,
          code: null,
        },
      });
      return void res.end();
    }
    for (const c of chunks) {
      write(decorate(c));
      // Azure's asynchronous filter may annotate a finished range with an event that has no delta.
      if (c === chunks[1])
        write({
          ...c,
          choices: [
            {
              index: 0,
              finish_reason: null,
              delta: {},
              content_filter_offsets: { check_offset: 0, start_offset: 0, end_offset: 5 },
              content_filter_results: choiceFilterResults(),
            },
          ],
        });
      if (deployment === 'slow-stream') await new Promise((r) => setTimeout(r, 50));
      if (res.destroyed) return;
    }
    if (body.stream_options?.include_usage)
      write({ ...chunks[0], choices: [], usage: answer.usage, system_fingerprint: 'fp_azure' });
    res.end('data: [DONE]\n\n');
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    ...state,
    url: `http://127.0.0.1:${port}`,
    requests,
    aborted,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
