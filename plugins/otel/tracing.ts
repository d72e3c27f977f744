/**
 * The spans of a request, built from the pipeline's hooks:
 *
 *   chat {model}                 SERVER  from the request's arrival to its meter record (streams: the end)
 *   ├─ cache lookup              INTERNAL each cacheLookup tap (result: hit, semantic-hit, miss)
 *   ├─ guardrail {plugin}        INTERNAL each tap named *guardrail* on admit/transformRequest/transformResponse
 *   └─ attempt {provider/model}  INTERNAL each attempt: reason (initial, retry, next, switch, hedge), outcome
 *      └─ chat {target model}    CLIENT  each upstream HTTP call, until its response headers; its
 *                                        `traceparent` goes upstream
 *
 * The request span continues the client's W3C trace (traceparent) when it sent one. A mirrored
 * (shadow) request's spans hang under the original request's span. Times are the pipeline's own
 * (performance.now() at arrival, attempt latencies), so spans created late still start on time.
 */
import type { Context, Span, SpanOptions, TextMapPropagator } from '@opentelemetry/api';
import type { RequestContext, Target } from '../../core/context.js';
import type { Gateway } from '../../core/gateway-types.js';
import type { AttemptEnd, AttemptStart, CachedAnswer } from '../../core/hooks.js';
import type { UpstreamObservation, UpstreamRequest } from '../../core/upstream.js';
import type { ChatCompletionResponse } from '../../core/types.js';
import type { UsageRecord } from '../../core/usage.js';
import {
  inputContent,
  operationName,
  outcomeAttributes,
  outputContent,
  providerName,
  requestAttributes,
} from './attributes.js';
import type { TracerSetup } from './setup.js';
import type { OtelOptions } from './types.js';

const STATE = 'otel';

interface RequestSpans {
  span: Span;
  /** The context whose active span is the request span: the parent of every child span. */
  context: Context;
  attempts: Map<number, Span>;
  /** Opt-in content: the complete answer (non-streams and finished streams, or a cache hit). */
  output?: ChatCompletionResponse;
  ended: boolean;
}

interface AttemptScope {
  context: Context;
  target: Target;
  operation: string;
}

/** Epoch milliseconds of a performance.now() reading. */
const epoch = (t: number) => performance.timeOrigin + t;

/** Hooks whose taps named *guardrail* get a span each (never transformChunk: it runs per chunk). */
const GUARDED = ['admit', 'transformRequest', 'transformResponse'] as const;
const GUARDRAIL = /guardrail/i;

export class RequestTracing {
  readonly #api: TracerSetup['api'];
  readonly #tracer: TracerSetup['tracer'];
  readonly #propagator: TextMapPropagator;
  /** Upstream calls carry their attempt's signal: signal -> the attempt's span context. */
  readonly #bySignal = new WeakMap<object, AttemptScope>();
  /** A mirrored request shares its original's headers object: headers -> the original's spans. */
  readonly #byHeaders = new WeakMap<object, RequestSpans>();

  constructor(
    setup: TracerSetup,
    private readonly o: OtelOptions,
  ) {
    this.#api = setup.api;
    this.#tracer = setup.tracer;
    this.#propagator = new setup.core.W3CTraceContextPropagator();
  }

  /** Tap the hooks (the plugin is configured: this is the only place that costs anything per request). */
  install(gateway: Gateway): void {
    const { hooks, Stage } = gateway;
    // Requests with mirrors: the request span must exist before the mirrors start.
    hooks.route.tap({ name: 'otel', stage: Stage.LAST }, (targets, ctx) => {
      if (ctx.shadow?.length) this.#spans(ctx);
      return targets;
    });
    hooks.attemptStart.tap('otel', (info) => this.#attemptStart(info));
    hooks.attemptEnd.tap('otel', (info) => this.#attemptEnd(info));
    hooks.meter.tap({ name: 'otel', stage: Stage.LAST }, (record, ctx) => this.#end(record, ctx));
    if (this.o.captureContent) {
      // Complete answers reach cacheStore (after the client got them): the only copy we keep is on the span.
      hooks.cacheStore.tap('otel', (ctx, response) => {
        const s = ctx.state[STATE] as RequestSpans | undefined;
        if (s) s.output = response;
      });
    }
    gateway.upstream.observe((provider, req) => this.#upstream(provider, req));
    // Wrap taps once every plugin has tapped; a hook gets an interceptor only when it has a tap to wrap
    // (an interceptor alone would make an unused hook run, e.g. turn off the Anthropic passthrough).
    hooks.ready.tap('otel', () => {
      if (hooks.cacheLookup.taps.length) {
        hooks.cacheLookup.intercept({
          name: 'otel',
          register: (tap) => ({
            ...tap,
            fn: this.#wrap(tap.fn as (...a: unknown[]) => unknown, tap.type, 'cache lookup', tap.name),
          }),
        });
      }
      for (const name of GUARDED) {
        const hook = hooks[name] as unknown as { taps: Array<{ name: string }>; intercept(i: object): void };
        if (!hook.taps.some((t) => GUARDRAIL.test(t.name))) continue;
        hook.intercept({
          name: 'otel',
          register: (tap: { name: string; type: string; fn: (...a: unknown[]) => unknown }) =>
            GUARDRAIL.test(tap.name)
              ? { ...tap, fn: this.#wrap(tap.fn, tap.type, `guardrail ${tap.name}`, tap.name) }
              : tap,
        });
      }
    });
  }

  /** The request span, created on first need with the request's own start time. */
  #spans(ctx: RequestContext): RequestSpans {
    const existing = ctx.state[STATE] as RequestSpans | undefined;
    if (existing) return existing;
    const api = this.#api;
    let parent = api.ROOT_CONTEXT;
    const original = ctx.isShadow ? this.#byHeaders.get(ctx.headers) : undefined;
    if (original) parent = original.context;
    else if (this.o.acceptTraceparent !== false)
      parent = this.#propagator.extract(api.ROOT_CONTEXT, ctx.headers, api.defaultTextMapGetter);
    const options: SpanOptions = {
      kind: ctx.isShadow ? api.SpanKind.INTERNAL : api.SpanKind.SERVER,
      startTime: epoch(ctx.startedAt),
      attributes: requestAttributes(ctx),
    };
    const span = this.#tracer.startSpan(`${operationName(ctx)} ${ctx.requestedModel}`.trim(), options, parent);
    const s: RequestSpans = { span, context: api.trace.setSpan(parent, span), attempts: new Map(), ended: false };
    ctx.state[STATE] = s;
    if (!ctx.isShadow) this.#byHeaders.set(ctx.headers, s);
    return s;
  }

  #attemptStart(info: AttemptStart): void {
    const s = this.#spans(info.ctx);
    const { target } = info;
    const attributes: Record<string, string | boolean> = {
      'switchyard.attempt.reason': info.reason,
      'switchyard.provider': target.provider,
      'gen_ai.provider.name': providerName(target.provider),
      'gen_ai.request.model': target.model,
    };
    if (info.after) attributes['switchyard.attempt.after_error'] = info.after;
    if (info.reason === 'hedge') attributes['switchyard.attempt.hedge'] = true;
    const span = this.#tracer.startSpan(
      `attempt ${target.provider}/${target.model}`,
      { kind: this.#api.SpanKind.INTERNAL, attributes },
      s.context,
    );
    s.attempts.set(info.seq, span);
    this.#bySignal.set(info.signal, {
      context: this.#api.trace.setSpan(s.context, span),
      target,
      operation: operationName(info.ctx),
    });
  }

  #attemptEnd(info: AttemptEnd): void {
    const s = info.ctx.state[STATE] as RequestSpans | undefined;
    const span = info.seq === undefined ? undefined : s?.attempts.get(info.seq);
    if (!s || !span) return;
    s.attempts.delete(info.seq!);
    span.setAttribute('switchyard.attempt.latency_ms', Math.round(info.latencyMs * 1000) / 1000);
    if (info.cancelled) {
      // A hedge that lost: neither a success nor a failure of its target.
      span.setAttribute('switchyard.attempt.cancelled', true);
    } else if (!info.ok && info.error) {
      span.setAttributes({
        'error.type': info.error.code ?? String(info.error.status),
        'http.response.status_code': info.error.status,
      });
      span.setStatus({ code: this.#api.SpanStatusCode.ERROR, message: info.error.code ?? undefined });
    }
    span.end();
  }

  #upstream(provider: string, req: UpstreamRequest): UpstreamObservation | undefined {
    const scope = this.#bySignal.get(req.signal);
    if (!scope) return undefined; // not an attempt's call (e.g. a token exchange): nothing to trace or propagate
    const api = this.#api;
    const attributes: Record<string, string | number> = {
      'gen_ai.operation.name': scope.operation,
      'gen_ai.provider.name': providerName(provider),
      'gen_ai.request.model': scope.target.model,
      'http.request.method': req.method ?? 'POST',
    };
    // The URL itself is not recorded: some providers put credentials in the query (e.g. ?key=).
    const server = hostAndPort(req.url);
    if (server) Object.assign(attributes, { 'server.address': server.host, 'server.port': server.port });
    const span = this.#tracer.startSpan(
      `${scope.operation} ${scope.target.model}`,
      { kind: api.SpanKind.CLIENT, attributes },
      scope.context,
    );
    let headers: Record<string, string> | undefined;
    if (this.o.propagate !== false) {
      headers = {};
      this.#propagator.inject(api.trace.setSpan(scope.context, span), headers, api.defaultTextMapSetter);
    }
    return {
      headers,
      end: ({ status, error }) => {
        if (status !== undefined) span.setAttribute('http.response.status_code', status);
        if (error || (status !== undefined && status >= 400)) {
          span.setAttribute('error.type', error?.code ?? String(status));
          span.setStatus({ code: api.SpanStatusCode.ERROR, message: error?.code ?? undefined });
        }
        span.end();
      },
    };
  }

  #end(record: UsageRecord, ctx: RequestContext): void {
    const s = this.#spans(ctx);
    if (s.ended) return;
    s.ended = true;
    const { span } = s;
    if (span.isRecording()) {
      span.setAttributes(outcomeAttributes(record, ctx));
      if (record.status >= 400)
        span.setStatus({ code: this.#api.SpanStatusCode.ERROR, message: record.errorCode ?? undefined });
      if (this.o.captureContent) {
        span.setAttributes(inputContent(ctx));
        if (s.output) span.setAttributes(outputContent(s.output));
      }
    }
    span.end();
    s.output = undefined;
  }

  /** Wrap one tap so that each call is a child span of the request (any tap type: sync, promise, callback). */
  #wrap(fn: (...a: unknown[]) => unknown, type: string, name: string, plugin: string): (...a: unknown[]) => unknown {
    const start = (args: unknown[]) => {
      const ctx = args.find(isRequestContext);
      if (!ctx) return undefined;
      const s = this.#spans(ctx);
      return {
        s,
        span: this.#tracer.startSpan(
          name,
          { kind: this.#api.SpanKind.INTERNAL, attributes: { 'switchyard.plugin': plugin } },
          s.context,
        ),
      };
    };
    const finish = (t: ReturnType<typeof start>, err: unknown, result: unknown) => {
      if (!t) return;
      if (name === 'cache lookup' && !err) {
        const hit = result as CachedAnswer | null | undefined;
        t.span.setAttribute('switchyard.cache.result', hit?.kind ?? 'miss');
        if (hit && this.o.captureContent) t.s.output = hit.response;
      }
      if (err) {
        const e = err as { code?: unknown; status?: unknown };
        t.span.setAttribute('error.type', typeof e.code === 'string' ? e.code : String(e.status ?? 'error'));
        t.span.setStatus({ code: this.#api.SpanStatusCode.ERROR });
      }
      t.span.end();
    };
    if (type === 'promise') {
      return (...args) => {
        const t = start(args);
        return (fn(...args) as Promise<unknown>).then(
          (r) => {
            finish(t, undefined, r);
            return r;
          },
          (e) => {
            finish(t, e, undefined);
            throw e;
          },
        );
      };
    }
    if (type === 'async') {
      return (...args) => {
        const cb = args.pop() as (err?: unknown, r?: unknown) => void;
        const t = start(args);
        return fn(...args, (err?: unknown, r?: unknown) => {
          finish(t, err, r);
          cb(err, r);
        });
      };
    }
    return (...args) => {
      const t = start(args);
      try {
        const r = fn(...args);
        finish(t, undefined, r);
        return r;
      } catch (e) {
        finish(t, e, undefined);
        throw e;
      }
    };
  }
}

function isRequestContext(v: unknown): v is RequestContext {
  return typeof v === 'object' && v !== null && 'state' in v && 'startedAt' in v && 'operation' in v;
}

function hostAndPort(url: string): { host: string; port: number } | undefined {
  try {
    const u = new URL(url);
    return { host: u.hostname, port: u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80 };
  } catch {
    return undefined;
  }
}
