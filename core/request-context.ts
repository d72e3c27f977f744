/**
 * The one entry point for request contexts: every ingress, admin or plugin route, health probe, shadow
 * mirror and listen-time check builds its context with `createContext` (or `forkContext` for a mirror of
 * a running request) and authenticates with `authenticate`. Nothing else assembles a context object, so
 * the request-id rule, the lazy child logger and the empty per-request fields exist once.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type Koa from 'koa';
import type { Logger } from 'pino';
import type {
  ChatContext,
  EmbeddingsContext,
  ForwardContext,
  ForwardOperation,
  MediaContext,
  MediaOperation,
  ModelsContext,
  RequestContext,
  Target,
} from './context.js';
import type { MediaUsage } from './usage.js';
import { errors } from './errors.js';
import type { Gateway } from './gateway-types.js';
import type { ChatCompletionRequest, EmbeddingsRequest } from './types.js';

/**
 * What a context is for. 'chat', 'count_tokens', 'embeddings' and 'models' are the model endpoints
 * (their `operation`); the others run at most the auth hook and carry operation 'models':
 * 'route' a plugin route (e.g. GET /health/targets), 'admin' an admin route, 'probe' a check the
 * gateway runs on itself (e.g. whether the auth hook accepts a request without a key).
 */
export type ContextKind =
  | 'chat'
  | 'count_tokens'
  | 'embeddings'
  | 'media'
  | 'forward'
  | 'models'
  | 'route'
  | 'admin'
  | 'probe';

/** A client's x-request-id is used as the request id when it matches this; otherwise a UUID is made. */
export const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The request id for a client-given x-request-id (kept if sane, else a fresh UUID). */
export function requestId(given: string | undefined): string {
  return given && REQUEST_ID.test(given) ? given : randomUUID();
}

/** What every kind may be given. Defaults: a fresh id, no headers, a signal that never fires, now. */
export interface ContextInit {
  id?: string;
  headers?: IncomingHttpHeaders;
  signal?: AbortSignal;
  /** Wall-clock start (ms since epoch) and monotonic start (performance.now()). */
  time?: number;
  startedAt?: number;
  /** The ingress dialect (default 'openai'). */
  dialect?: string;
}

export interface ChatInit extends ContextInit {
  request: ChatCompletionRequest;
  /** Default: request.model. */
  requestedModel?: string;
  /** Default: request.stream === true. */
  stream?: boolean;
}

export interface EmbeddingsInit extends ContextInit {
  request: EmbeddingsRequest;
}

export interface MediaInit extends ContextInit {
  /** Which media endpoint: completions of images, speech, transcriptions... (core/media.ts). */
  operation: MediaOperation;
  request: MediaContext['request'];
  /** Units the request may use at most (the budget hold). */
  mediaEstimate?: MediaUsage;
}

export interface ForwardInit extends ContextInit {
  /** passthrough, files or batches (core/forward.ts). */
  operation: ForwardOperation;
  /** What allow-lists and the meter see: `provider/model` of a JSON body's model, else `provider/*`. */
  requestedModel: string;
  request: ForwardContext['request'];
  stream?: boolean;
}

type AnyInit = ContextInit & {
  request?: unknown;
  requestedModel?: string;
  stream?: boolean;
  operation?: MediaOperation | ForwardOperation;
  mediaEstimate?: MediaUsage;
};

export function createContext(gw: Gateway, kind: 'chat' | 'count_tokens', init: ChatInit): ChatContext;
export function createContext(gw: Gateway, kind: 'embeddings', init: EmbeddingsInit): EmbeddingsContext;
export function createContext(gw: Gateway, kind: 'media', init: MediaInit): MediaContext;
export function createContext(gw: Gateway, kind: 'forward', init: ForwardInit): ForwardContext;
export function createContext(
  gw: Gateway,
  kind: 'models' | 'route' | 'admin' | 'probe',
  init?: ContextInit,
): ModelsContext;
export function createContext(gw: Gateway, kind: ContextKind, init: AnyInit = {}): RequestContext {
  const id = init.id ?? randomUUID();
  let log: Logger | undefined;
  const fields = {
    id,
    dialect: init.dialect ?? 'openai',
    headers: init.headers ?? {},
    time: init.time ?? Date.now(),
    startedAt: init.startedAt ?? performance.now(),
    signal: init.signal ?? NEVER,
    // The child logger is made on first use: most requests never log (bench/: ~1-2% of CPU).
    get log(): Logger {
      return (log ??= gw.log.child({ reqId: id }));
    },
    targets: [] as Target[],
    attempts: [],
    responseHeaders: {},
    state: {},
  };
  // Object.assign onto the fields keeps the lazy `log` getter (a spread would call it).
  switch (kind) {
    case 'chat':
    case 'count_tokens': {
      const request = init.request as ChatCompletionRequest;
      return Object.assign(fields, {
        operation: kind,
        requestedModel: init.requestedModel ?? request.model,
        request,
        stream: kind === 'chat' && (init.stream ?? request.stream === true),
      });
    }
    case 'embeddings': {
      const request = init.request as EmbeddingsRequest;
      return Object.assign(fields, { operation: kind, requestedModel: request.model, request, stream: false as const });
    }
    case 'media': {
      const request = init.request as MediaContext['request'];
      return Object.assign(fields, {
        operation: init.operation as MediaOperation,
        requestedModel: request.model,
        request,
        stream: false as const,
        mediaEstimate: init.mediaEstimate,
      });
    }
    case 'forward':
      return Object.assign(fields, {
        operation: init.operation as ForwardOperation,
        requestedModel: init.requestedModel ?? '',
        request: init.request as ForwardContext['request'],
        stream: init.stream === true,
      });
    default:
      return Object.assign(fields, {
        operation: 'models' as const,
        requestedModel: '',
        request: {},
        stream: false as const,
      });
  }
}

const NEVER = new AbortController().signal;

/**
 * A context for a mirror of a running chat request (shadow traffic): the parent's request, caller and
 * headers, a fresh id suffix, its own signal and empty per-request fields.
 */
export function forkContext(
  parent: ChatContext,
  init: { idSuffix: string; signal: AbortSignal; target: Target },
): ChatContext {
  return {
    ...parent,
    id: `${parent.id}:${init.idSuffix}`,
    time: Date.now(),
    startedAt: performance.now(),
    signal: init.signal,
    targets: [init.target],
    target: init.target,
    attempts: [],
    responseHeaders: {},
    state: {},
    usage: undefined,
    usageEstimated: undefined,
    answer: undefined,
    ttftMs: undefined,
    cache: undefined,
    shadow: undefined,
    isShadow: true,
    policy: undefined,
  };
}

const authenticated = new WeakSet<RequestContext>();

/**
 * Run the auth hook once per context; when any auth plugin is installed, a request without a principal
 * is refused (401 invalid or missing key). A second call on the same context is a no-op, so a handler
 * that needs the caller early (e.g. Responses' previous_response_id) and the pipeline share one run.
 */
export async function authenticate(gw: Gateway, ctx: RequestContext): Promise<void> {
  if (authenticated.has(ctx) || !gw.hooks.auth.isUsed()) return;
  const principal = await gw.hooks.auth.promise(ctx);
  if (!principal) {
    throw ctx.headers.authorization || ctx.headers['x-api-key'] ? errors.invalidKey() : errors.missingKey();
  }
  ctx.principal = principal;
  authenticated.add(ctx);
}

/** An HTTP request's start: its id (also set as x-request-id) and a signal that fires when the client goes away. */
export interface RequestStart {
  id: string;
  signal: AbortSignal;
  startedAt: number;
  time: number;
  headers: IncomingHttpHeaders;
  /** Abort the request's signal (the upstream call) from the gateway's side: shutdown. */
  abort(): void;
}

/** Start an HTTP request: see RequestStart. Spread it into createContext's init. */
export function startRequest(kctx: Koa.Context): RequestStart {
  const startedAt = performance.now();
  const id = requestId(kctx.get('x-request-id'));
  const controller = new AbortController();
  const res = kctx.res;
  res.once('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  kctx.set('x-request-id', id);
  return {
    id,
    signal: controller.signal,
    startedAt,
    time: Date.now(),
    headers: kctx.headers,
    abort: () => controller.abort(),
  };
}
