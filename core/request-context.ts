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
import { runBail } from './hooks.js';
import { type AbortSource, RequestAbort, signalOf } from './abort.js';
import { DirectContext } from './http/direct.js';
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
  return given && REQUEST_ID.test(given) ? given : freshId();
}

/**
 * A UUID as one flat string. Node's randomUUID() joins 20 pieces with `+`, which V8 keeps as a tree of
 * ~16 concatenation nodes (~0.5 KB) until something flattens it; the id lives as long as its request, so
 * every scavenge copied the tree. Reading a character flattens it at once.
 */
function freshId(): string {
  const id = randomUUID();
  id.charCodeAt(0);
  return id;
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
  /** The request's abort source (RequestStart's, spread in); `signal`, when given, takes precedence. */
  abortSource?: AbortSource;
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
  const ctx = new Context(gw.log, init);
  switch (kind) {
    case 'chat':
    case 'count_tokens': {
      const request = init.request as ChatCompletionRequest;
      ctx.operation = kind;
      ctx.requestedModel = init.requestedModel ?? request.model;
      ctx.request = request;
      ctx.stream = kind === 'chat' && (init.stream ?? request.stream === true);
      break;
    }
    case 'embeddings': {
      const request = init.request as EmbeddingsRequest;
      ctx.operation = kind;
      ctx.requestedModel = request.model;
      ctx.request = request;
      break;
    }
    case 'media': {
      const request = init.request as MediaContext['request'];
      ctx.operation = init.operation as MediaOperation;
      ctx.requestedModel = request.model;
      ctx.request = request;
      // Only media contexts have these (`'mediaEstimate' in ctx` tells a media request apart).
      (ctx as unknown as MediaContext).mediaEstimate = init.mediaEstimate;
      (ctx as unknown as MediaContext).media = undefined;
      break;
    }
    case 'forward':
      ctx.operation = init.operation as ForwardOperation;
      ctx.requestedModel = init.requestedModel ?? '';
      ctx.request = init.request as ForwardContext['request'];
      ctx.stream = init.stream === true;
      break;
    default:
      break;
  }
  return ctx as unknown as RequestContext;
}

/**
 * A request's context. A class, so that every context has the same shape from its first line: the
 * object literal it replaced, with its lazy `log` getter and the kind's fields added by Object.assign,
 * was a dictionary-mode object (every property read in every hook a hash lookup). Every field a
 * request may get later is declared here, so setting one does not change the shape either. `log` and
 * `signal` are made on first read: most requests never log, and never have their signal read.
 */
class Context {
  readonly id: string;
  readonly dialect: string;
  readonly headers: IncomingHttpHeaders;
  readonly time: number;
  readonly startedAt: number;
  operation: RequestContext['operation'] = 'models';
  requestedModel = '';
  request: unknown = EMPTY_REQUEST;
  stream = false;
  targets: Target[] = [];
  attempts: RequestContext['attempts'] = [];
  responseHeaders: Record<string, string> = {};
  state: Record<string, unknown> = {};
  principal: RequestContext['principal'] = undefined;
  target: Target | undefined = undefined;
  cache: RequestContext['cache'] = undefined;
  usage: RequestContext['usage'] = undefined;
  usageEstimated: boolean | undefined = undefined;
  answer: RequestContext['answer'] = undefined;
  endUser: string | undefined = undefined;
  ttftMs: number | undefined = undefined;
  policy: RequestContext['policy'] = undefined;
  shadow: Target[] | undefined = undefined;
  isShadow: boolean | undefined = undefined;
  costEstimateUsd: number | undefined = undefined;
  costUsd: number | undefined = undefined;
  batch: boolean | undefined = undefined;
  readonly #root: Logger;
  #log: Logger | undefined = undefined;
  readonly #abort: AbortSource;
  /** What the first attempt found in a response header (see firstAttemptHeader); UNSET until then. */
  #firstAttemptHeader: string | undefined | typeof UNSET = UNSET;
  /** Whether the auth hook has run for this context (authenticate runs it once). */
  #authenticated = false;

  constructor(root: Logger, init: ContextInit) {
    this.id = init.id ?? randomUUID();
    this.dialect = init.dialect ?? 'openai';
    this.headers = init.headers ?? {};
    this.time = init.time ?? Date.now();
    this.startedAt = init.startedAt ?? performance.now();
    this.#root = root;
    this.#abort = init.signal ?? init.abortSource ?? NEVER;
  }

  /** Child logger carrying the request id, made on first use (bench/: ~1-2% of CPU when eager). */
  get log(): Logger {
    return (this.#log ??= this.#root.child({ reqId: this.id }));
  }

  /** Aborted when the client goes away (a real AbortSignal, made on first read). */
  get signal(): AbortSignal {
    return signalOf(this.#abort);
  }

  /** The context's abort source as the gateway keeps it (read by the attempt loop without making a signal). */
  static abortOf(ctx: object): AbortSource | undefined {
    return #abort in ctx ? (ctx as Context).#abort : undefined;
  }

  /** A response header's value when the context's first attempt began (recorded on the first call). */
  static firstAttemptHeader(ctx: object, name: string): string | undefined {
    if (!(#firstAttemptHeader in ctx)) return undefined;
    const c = ctx as Context;
    if (c.#firstAttemptHeader === UNSET) c.#firstAttemptHeader = c.responseHeaders[name];
    return c.#firstAttemptHeader;
  }

  /**
   * Mark a context authenticated; whether it was before. A field of the context, not a WeakSet entry per
   * request (a weak collection's entry per request costs the scavenger): contexts assembled by hand
   * (tests) are tracked in `handMadeAuthenticated`.
   */
  static authenticatedBefore(ctx: object, mark: boolean): boolean {
    if (!(#authenticated in ctx)) {
      const was = handMadeAuthenticated.has(ctx);
      if (mark) handMadeAuthenticated.add(ctx);
      return was;
    }
    const c = ctx as Context;
    const was = c.#authenticated;
    if (mark) c.#authenticated = true;
    return was;
  }

  /** The logger contexts forked from this one derive theirs from. */
  static rootLogOf(ctx: object): Logger | undefined {
    return #root in ctx ? (ctx as Context).#root : undefined;
  }
}

const EMPTY_REQUEST = Object.freeze({});
const UNSET = Symbol('unset');

/**
 * The value response header `name` had when the context's first attempt began: what an ingress put
 * there before any attempt (the attempt loop keeps it across attempts). Only for contexts made by
 * createContext (`isContext`).
 */
export function firstAttemptHeader(ctx: RequestContext, name: string): string | undefined {
  return Context.firstAttemptHeader(ctx, name);
}

/** Whether a context was made by createContext (the one entry point), not assembled by hand. */
export function isContext(ctx: object): boolean {
  return Context.abortOf(ctx) !== undefined;
}
const NEVER = new AbortController().signal;

/** The abort source of a context: its own (cheap) for a context made by createContext, else its signal. */
export function abortSourceOf(ctx: RequestContext): AbortSource {
  return Context.abortOf(ctx) ?? ctx.signal;
}

/**
 * A context for a mirror of a running chat request (shadow traffic): the parent's request, caller,
 * headers, policy fields and plugin-visible settings, a fresh id suffix, its own signal and empty
 * per-request fields.
 */
export function forkContext(
  parent: ChatContext,
  init: { idSuffix: string; signal: AbortSignal; target: Target },
): ChatContext {
  const root = Context.rootLogOf(parent) ?? parent.log;
  const child = new Context(root, {
    id: `${parent.id}:${init.idSuffix}`,
    dialect: parent.dialect,
    headers: parent.headers,
    signal: init.signal,
  });
  // Whatever the parent carries (a plugin's extra field too), then the fields a mirror starts afresh.
  for (const key of Object.keys(parent)) {
    if (!(key in FRESH))
      (child as unknown as Record<string, unknown>)[key] = (parent as unknown as Record<string, unknown>)[key];
  }
  child.targets = [init.target];
  child.target = init.target;
  child.isShadow = true;
  return child as unknown as ChatContext;
}

/** Fields a forked context does not take from its parent (its own, or empty for a fresh request). */
const FRESH: Record<string, true> = {
  id: true,
  dialect: true,
  headers: true,
  time: true,
  startedAt: true,
  targets: true,
  target: true,
  attempts: true,
  responseHeaders: true,
  state: true,
  usage: true,
  usageEstimated: true,
  answer: true,
  ttftMs: true,
  cache: true,
  shadow: true,
  isShadow: true,
  policy: true,
};

/** Contexts assembled by hand (not by createContext) that authenticate has run for. */
const handMadeAuthenticated = new WeakSet<object>();

/**
 * Run the auth hook once per context; when any auth plugin is installed, a request without a principal
 * is refused (401 invalid or missing key). A second call on the same context is a no-op, so a handler
 * that needs the caller early (e.g. Responses' previous_response_id) and the pipeline share one run.
 */
export function authenticate(gw: Gateway, ctx: RequestContext): Promise<void> {
  if (!needsAuth(gw, ctx)) return AUTHENTICATED;
  return runBail(gw.hooks.auth, ctx).then((principal) => {
    if (!principal) {
      throw ctx.headers.authorization || ctx.headers['x-api-key'] ? errors.invalidKey() : errors.missingKey();
    }
    ctx.principal = principal;
    Context.authenticatedBefore(ctx, true);
  });
}

/** Whether `authenticate` has work to do for this context (an auth plugin, and no run yet). */
export function needsAuth(gw: Gateway, ctx: RequestContext): boolean {
  return gw.hooks.auth.isUsed() && !Context.authenticatedBefore(ctx, false);
}

const AUTHENTICATED: Promise<void> = Promise.resolve();

/**
 * An HTTP request's start: its id (also set as x-request-id), its start times, and an abort source that
 * fires when the client goes away (`signal`, a real AbortSignal made on first read). Spread it into
 * createContext's init: the spread carries `abortSource`, so the context shares it.
 */
export class RequestStart {
  readonly startedAt = performance.now();
  readonly id: string;
  readonly time = Date.now();
  readonly headers: IncomingHttpHeaders;
  readonly abortSource = new RequestAbort();

  constructor(id: string, headers: IncomingHttpHeaders) {
    this.id = id;
    this.headers = headers;
  }

  get signal(): AbortSignal {
    return this.abortSource.signal;
  }

  /** Abort the request's signal (the upstream call) from the gateway's side: shutdown. */
  abort(): void {
    this.abortSource.abort();
  }
}

/** Start an HTTP request: see RequestStart. Spread it into createContext's init. */
export function startRequest(kctx: Koa.Context): RequestStart {
  const start = new RequestStart(requestId(kctx.get('x-request-id')), kctx.headers);
  const res = kctx.res;
  const source = start.abortSource;
  // 'close' fires once: `on` spares once()'s wrapper objects, which lived as long as the request.
  res.on('close', () => {
    if (!res.writableFinished) source.abort();
  });
  if (kctx instanceof DirectContext) kctx.requestId = start.id;
  else kctx.set('x-request-id', start.id);
  return start;
}
