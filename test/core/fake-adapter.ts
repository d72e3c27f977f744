/**
 * An in-test provider (no HTTP upstream) whose behaviour is chosen by the model name, and a plugin that
 * records the hooks a request passes, a governance-like hold taken at admit and released by the meter,
 * and every release of an upstream stream. For the pipeline and attempt-loop tests in test/core/.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  definePlugin,
  GatewayError,
  type ChatCompletionChunk,
  type ChatCompletionResponse,
  type ProviderAdapter,
  type UsageRecord,
} from '../../index.js';

/** ok: answers; flaky: 503 (retryable); bad: 400 (not retryable); breaks: a stream that fails after
 * its first chunk; hangs: a stream that sends one chunk and then waits until its attempt is aborted. */
export const MODELS = ['ok', 'flaky', 'bad', 'breaks', 'hangs'] as const;

export interface Trace {
  /** Hook names in the order they ran (auth, route, admit, transformRequest, attemptStart:<model>, ...). */
  hooks: string[];
  records: UsageRecord[];
  /** Holds taken at admit minus holds released by the meter, per request id. */
  holds: Map<string, number>;
  /** Upstream streams the gateway released (return() or aborted), per request id. */
  streamsReleased: Map<string, number>;
  calls: string[];
}

export function newTrace(): Trace {
  return { hooks: [], records: [], holds: new Map(), streamsReleased: new Map(), calls: [] };
}

const bump = (m: Map<string, number>, k: string, by: number) => m.set(k, (m.get(k) ?? 0) + by);

function response(model: string): ChatCompletionResponse {
  return {
    id: 'chatcmpl-fake',
    object: 'chat.completion',
    created: 0,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: 'fine' }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
  } as ChatCompletionResponse;
}

function chunk(model: string, content: string, usage = false): ChatCompletionChunk {
  return {
    id: 'chatcmpl-fake',
    object: 'chat.completion.chunk',
    created: 0,
    model,
    choices: usage ? [] : [{ index: 0, delta: { content }, finish_reason: null }],
    ...(usage ? { usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } } : {}),
  } as ChatCompletionChunk;
}

function fail(model: string): GatewayError | undefined {
  if (model === 'flaky') return new GatewayError(503, 'fake overloaded', { type: 'api_error', retryable: true });
  if (model === 'bad') return new GatewayError(400, 'fake refuses', { type: 'invalid_request_error' });
  return undefined;
}

export function fakeAdapter(trace: Trace): ProviderAdapter {
  return {
    name: 'fake',
    models: () => MODELS.map((id) => ({ id })),
    async chat(request) {
      trace.calls.push(`chat:${request.model}`);
      const err = fail(request.model);
      if (err) throw err;
      return response(request.model);
    },
    async chatStream(request, call) {
      trace.calls.push(`stream:${request.model}`);
      const err = fail(request.model);
      if (err) throw err;
      const id = call.ctx.id;
      const { model } = request;
      const signal = call.signal;
      return (async function* () {
        let finished = false;
        try {
          yield chunk(model, 'one');
          if (model === 'breaks') throw new GatewayError(502, 'fake stream broke', { code: 'stream_interrupted' });
          if (model === 'hangs') {
            await sleep(60_000, undefined, { signal }).catch(() => undefined);
            throw new GatewayError(499, 'aborted', { code: 'client_closed_request' });
          }
          yield chunk(model, ' two');
          yield chunk(model, '', true);
          finished = true;
        } finally {
          if (!finished) bump(trace.streamsReleased, id, 1);
        }
      })();
    },
  };
}

export const fakeProvider = definePlugin<{ trace: Trace }>({
  name: 'fake-provider',
  apply(gateway, { trace }) {
    gateway.providers.register(fakeAdapter(trace));
  },
});

/** Taps every stage at the end of its queue (auth first: it is a bail hook) and records what runs. */
export const recorder = definePlugin<{ trace: Trace }>({
  name: 'recorder',
  apply(gateway, { trace }) {
    const { hooks, Stage } = gateway;
    const last = { name: 'recorder', stage: Stage.LAST };
    hooks.auth.tapPromise({ name: 'recorder', stage: Stage.FIRST }, async () => void trace.hooks.push('auth'));
    hooks.route.tapPromise(last, async (targets) => {
      trace.hooks.push('route');
      return targets;
    });
    hooks.admit.tapPromise(last, async (ctx) => {
      trace.hooks.push('admit');
      bump(trace.holds, ctx.id, 1);
    });
    hooks.transformRequest.tapPromise(last, async (request) => {
      trace.hooks.push('transformRequest');
      return request;
    });
    hooks.attemptStart.tap('recorder', (a) => void trace.hooks.push(`attemptStart:${a.target.model}`));
    hooks.attemptEnd.tap('recorder', (a) => {
      trace.hooks.push(`attemptEnd:${a.target.model}:${a.ok ? 'ok' : a.error?.status}`);
    });
    hooks.failover.tapPromise({ name: 'recorder', stage: Stage.FIRST }, async () => {
      trace.hooks.push('failover');
      return undefined;
    });
    hooks.meter.tapPromise(last, async (record, ctx) => {
      trace.hooks.push('meter');
      trace.records.push(record);
      if (trace.holds.has(ctx.id)) bump(trace.holds, ctx.id, -1);
    });
  },
});
