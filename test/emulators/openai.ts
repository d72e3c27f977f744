/**
 * The emulated OpenAI API on 127.0.0.1: one server for every OpenAI endpoint the gateway uses, in OpenAI's
 * documented wire formats. Its modules:
 * - ./openai/chat.ts: POST /v1/chat/completions, /v1/embeddings, /v1/moderations; GET /v1/models;
 * - ./openai/media.ts: POST /v1/completions, /v1/images/{generations,edits,variations}, /v1/audio/{speech,
 *   transcriptions,translations};
 * - ./openai/files.ts: /v1/files (upload, list, retrieve, delete, content) and /v1/batches;
 * - ./openai/responses.ts: POST /v1/responses;
 * - and GET /v1/fine_tuning/jobs (an empty list), an endpoint the gateway only passes through.
 * Every request is recorded (`requests`, with `raw` bytes and parsed `body`/`files`); credentials are
 * `Authorization: Bearer <apiKey>`, else 401; an unknown path answers 404 `Invalid URL (<method> <path>)`;
 * errors are `{ error: { message, type, param, code } }` with their statuses and headers. Answers carry a
 * Cloudflare `set-cookie`, as OpenAI's do (the gateway must not relay it).
 *
 * Behaviour by requested model id (any endpoint): 'error-<status>' answers that documented error ('overloaded'
 * a 503, 'context-too-long' OpenAI's context_length_exceeded 400); 'slow' waits 2 s; 'hang' never answers.
 * Chat streams: 'stream-error-midway' sends two chunks then an error event; 'stream-truncated' sends two chunks
 * then drops the connection; 'tiny-chunks' streams its text 3 characters at a time; 'slow-stream' waits 50 ms
 * between chunks; 'stall-before-usage' streams its content chunks, then stalls until the connection closes;
 * 'held-stream' sends its first chunk, then waits for `release()`. Responses streams: 'stream-error-midway'
 * and 'stream-truncated' likewise.
 *
 * Routing controls (`behaviour`, an option and a property a test may change at any time) apply to every
 * request: `reset` destroys the connection, `hang` never answers, `delayMs` waits before answering (for
 * streams, before the first chunk), `status` answers that error with `message` (default `Error <status>`),
 * `code` and, only when given, a `retry-after` header. Counts are `requests.length`; `aborted` holds the
 * requests whose connection closed before the answer finished (cancelled hedges, timeouts).
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { ChatCompletionRequest } from '../../core/types.js';
import { chatRoutes, type ChatState } from './openai/chat.js';
import { type FilesState, filesRoutes } from './openai/files.js';
import {
  CONTEXT_TOO_LONG,
  type Exchange,
  type Handler,
  type RecordedRequest,
  readRequest,
  sendJson,
  sendOpenAIError,
  sendStatusError,
  sleep,
} from './openai/http.js';
import { mediaRoutes } from './openai/media.js';
import { responsesRoutes } from './openai/responses.js';

export type { RecordedRequest, UploadedFile } from './openai/http.js';
export { RESULT_USAGE, type StoredFile } from './openai/files.js';
export { TRANSCRIPT } from './openai/media.js';

/** How the whole server misbehaves, for routing tests (see the header). */
export interface Behaviour {
  /** Delay before answering (ms); for streams, before the first chunk. */
  delayMs?: number;
  /** Answer with this error status. */
  status?: number;
  /** Error message for `status` (default `Error <status>`). */
  message?: string;
  code?: string | null;
  /** A retry-after header for `status`. */
  retryAfter?: string;
  /** Destroy the connection without answering. */
  reset?: boolean;
  /** Never answer. */
  hang?: boolean;
}

export interface OpenAIEmulatorOptions {
  apiKey?: string;
  /** Models GET /v1/models lists (null: it answers 500). */
  models?: string[] | null;
  /** Content of a non-streamed chat answer for this request (undefined: the simulated one). */
  chat?: (body: ChatCompletionRequest) => string | undefined;
  behaviour?: Behaviour;
  /** Listen on this port (0, the default: any free one); a test restarting a server keeps its URL. */
  port?: number;
}

export interface OpenAIEmulator extends FilesState {
  /** Base URL including /v1. */
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** Requests whose connection closed before the emulator finished answering. */
  aborted: RecordedRequest[];
  /** What GET /v1/models lists; null: answer 500. Change it at any time. */
  models: string[] | null;
  /** Routing controls; change them at any time. */
  behaviour: Behaviour;
  /** Request body bytes received so far, all requests together (updated as they arrive). */
  bytesReceived: number;
  /** Let the streams held by model 'held-stream' go on. */
  release(): void;
  close(): Promise<void>;
}

/** The error a model id asks for, if any (answered before any endpoint logic). */
function modelError(res: http.ServerResponse, model: unknown): boolean {
  if (typeof model !== 'string') return false;
  const m = /^error-(\d{3})$/.exec(model);
  if (m) sendStatusError(res, Number(m[1]));
  else if (model === 'overloaded') sendStatusError(res, 503);
  else if (model === 'context-too-long') sendOpenAIError(res, 400, CONTEXT_TOO_LONG);
  else return false;
  return true;
}

function behave(res: http.ServerResponse, b: Behaviour): boolean {
  if (!b.status) return false;
  sendOpenAIError(res, b.status, {
    message: b.message ?? `Error ${b.status}`,
    code: b.code ?? null,
    headers: b.retryAfter ? { 'retry-after': b.retryAfter } : {},
  });
  return true;
}

export async function startOpenAIEmulator(options: OpenAIEmulatorOptions = {}): Promise<OpenAIEmulator> {
  const apiKey = options.apiKey ?? 'test-key';
  const sockets = new Set<Socket>();
  let releaseHeld: () => void = () => undefined;
  let hold = new Promise<void>((r) => {
    releaseHeld = r;
  });
  const self: OpenAIEmulator = {
    url: '',
    port: 0,
    requests: [],
    aborted: [],
    models: options.models === undefined ? ['gpt-4o-mini', 'text-embedding-3-small'] : options.models,
    behaviour: options.behaviour ?? {},
    bytesReceived: 0,
    files: new Map(),
    batches: new Map(),
    release: () => {
      releaseHeld();
      hold = new Promise<void>((r) => {
        releaseHeld = r;
      });
    },
    close: () =>
      new Promise<void>((r) => {
        releaseHeld();
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
  const chat: ChatState = {
    get models() {
      return self.models;
    },
    chat: options.chat,
    held: () => hold,
    moderations: 0,
  };
  const routes: Handler[] = [chatRoutes(chat), mediaRoutes, filesRoutes(self), responsesRoutes, fineTuning];

  const server = http.createServer(async (req, res) => {
    const { rec, invalid } = await readRequest(req, (n) => {
      self.bytesReceived += n;
    });
    self.requests.push(rec);
    res.on('close', () => {
      if (!res.writableFinished) self.aborted.push(rec);
    });
    const b = self.behaviour;
    if (b.reset) return void req.socket.destroy();
    if (b.hang) return;
    if (b.delayMs) await sleep(b.delayMs);
    if (res.destroyed) return;
    res.setHeader('set-cookie', '__cf_bm=emulated; path=/; HttpOnly; Secure; SameSite=None');
    if (req.headers.authorization !== `Bearer ${apiKey}`) return sendStatusError(res, 401);
    if (behave(res, b)) return;
    if (invalid) {
      const message = 'We could not parse the JSON body of your request.';
      return sendOpenAIError(res, 400, { message });
    }
    if (modelError(res, rec.body?.model)) return;
    if (rec.body?.model === 'hang') return;
    if (rec.body?.model === 'slow') await sleep(2000);
    if (res.destroyed) return;
    const x: Exchange = { rec, req, res, method: rec.method, path: rec.path.split('?')[0] };
    for (const route of routes) if (await route(x)) return;
    sendOpenAIError(res, 404, { message: `Invalid URL (${x.method} ${x.path})` });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(options.port ?? 0, '127.0.0.1', r));
  self.port = (server.address() as AddressInfo).port;
  self.url = `http://127.0.0.1:${self.port}/v1`;
  return self;
}

/** GET /v1/fine_tuning/jobs: OpenAI's list format, empty. */
function fineTuning({ res, method, path }: Exchange): boolean {
  if (method !== 'GET' || path !== '/v1/fine_tuning/jobs') return false;
  sendJson(res, 200, { object: 'list', data: [], has_more: false });
  return true;
}
