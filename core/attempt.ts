/**
 * The attempt loop: try ctx.targets in order, each attempt under its own AbortController (per-attempt
 * timeout, first-chunk timeout for streams, the request's overall deadline, client disconnect), ask
 * the `failover` hook after each failure, and optionally hedge: when an attempt has not answered
 * within policy.hedgeDelayMs, start the next target too, keep the first answer, cancel the other.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { RequestContext, Target } from './context.js';
import { GatewayError, errors } from './errors.js';
import type { GatewayInternals } from './gateway-types.js';
import type { AttemptReason } from './hooks.js';
import { type ProviderAdapter, type UpstreamCall, upstreamCall } from './provider.js';
import { abortSourceOf, firstAttemptHeader, isContext } from './request-context.js';
import { onAbort, signalOf } from './abort.js';
import { clientClosed } from './upstream.js';

/** Response header in which provider adapters list the request fields they could not send. */
export const DROPPED_HEADER = 'x-switchyard-dropped-params';

export type AttemptCall<T> = (adapter: ProviderAdapter, target: Target, call: UpstreamCall) => Promise<T>;

/** Release a result that lost a hedge race after it resolved (e.g. close its stream). */
export type Release<T> = (result: T) => void;

interface Settled<T> {
  ok: boolean;
  value?: T;
  error?: GatewayError;
  target: Target;
  controller?: AbortController;
  hedge: boolean;
  cancelled?: boolean;
  seq: number;
}

export const deadlineExceeded = (ms: number) =>
  new GatewayError(504, `The request did not complete within its deadline of ${ms} ms.`, {
    type: 'timeout_error',
    code: 'deadline_exceeded',
  });

/**
 * What an ingress already reported as dropped before any attempt (e.g. Responses-only fields): kept in
 * the context itself (a WeakMap entry per request cost ~1% of CPU in bench/); a context assembled by
 * hand (tests) keeps it here.
 */
const handMade = new WeakMap<RequestContext, string | undefined>();
function droppedBaselineOf(ctx: RequestContext): string | undefined {
  if (isContext(ctx)) return firstAttemptHeader(ctx, DROPPED_HEADER);
  if (!handMade.has(ctx)) handMade.set(ctx, ctx.responseHeaders[DROPPED_HEADER]);
  return handMade.get(ctx);
}

/** The policy of a request that has none (not allocated per request). */
const NO_POLICY: NonNullable<RequestContext['policy']> = Object.freeze({});

/** Numbers attempts process-wide, so attemptStart and attemptEnd taps can pair them. */
let attemptSeq = 0;

/** Why the next attempt runs, and the error code of the one before it. */
interface Why {
  reason: AttemptReason;
  after?: string;
}

const INITIAL: Why = Object.freeze({ reason: 'initial' });

/**
 * Run `call` on ctx.targets with failover (attemptLoop). The first attempt of a request that does not
 * hedge is started here without the loop: while the upstream answers, no suspended frame of the loop is
 * kept (what lives while a request waits is what each scavenge copies: bench/profile-notes.md, ninth
 * round); a failed first attempt continues in the loop, which asks the failover hook about it.
 */
export function attempt<T>(
  gw: GatewayInternals,
  ctx: RequestContext,
  call: AttemptCall<T>,
  release?: Release<T>,
): Promise<T> {
  const policy = ctx.policy ?? NO_POLICY;
  if (policy.hedgeDelayMs !== undefined && ctx.targets.length > 1) return attemptLoop(gw, ctx, call, release);
  try {
    droppedBaselineOf(ctx); // recorded before the first attempt
    const deadline = policy.deadlineMs ? ctx.startedAt + policy.deadlineMs : Infinity;
    if (performance.now() >= deadline) throw deadlineExceeded(policy.deadlineMs!);
    const target = ctx.targets[0];
    ctx.target = target;
    const run = start(gw, ctx, call, target, deadline, false, INITIAL);
    return run.promise.then((r) => {
      record(gw, ctx, r, performance.now() - run.t0);
      if (r.ok) return r.value as T;
      if (r.error!.code === 'client_closed_request') throw r.error;
      return attemptLoop(gw, ctx, call, release, r);
    });
  } catch (e) {
    return Promise.reject(e);
  }
}

/** The attempt loop; `first`: the outcome of a first attempt already made (failed, recorded). */
async function attemptLoop<T>(
  gw: GatewayInternals,
  ctx: RequestContext,
  call: AttemptCall<T>,
  release?: Release<T>,
  first?: Settled<T>,
): Promise<T> {
  droppedBaselineOf(ctx); // recorded before the first attempt
  const { targets } = ctx;
  const policy = ctx.policy ?? NO_POLICY;
  const deadline = policy.deadlineMs ? ctx.startedAt + policy.deadlineMs : Infinity;
  let index = 0;
  let targetAttempts = 0;
  let why: Why = INITIAL;
  let done = first;
  for (;;) {
    let outcome: Settled<T>;
    if (done) {
      outcome = done;
      done = undefined;
    } else {
      if (performance.now() >= deadline) throw deadlineExceeded(policy.deadlineMs!);
      const target = targets[index];
      ctx.target = target;
      const canHedge = policy.hedgeDelayMs !== undefined && index + 1 < targets.length && targetAttempts === 0;
      if (canHedge) {
        const r = await hedged(
          gw,
          ctx,
          call,
          release,
          targets[index],
          targets[index + 1],
          policy.hedgeDelayMs!,
          deadline,
          why,
        );
        if (r.ok) return r.value as T;
        outcome = r;
        if (r.hedge) index++; // both ran and failed: continue after the hedge target (else it is next in line)
      } else {
        outcome = await settle(gw, ctx, call, start(gw, ctx, call, target, deadline, false, why));
        if (outcome.ok) return outcome.value as T;
      }
    }
    const err = outcome.error!;
    targetAttempts++;
    const hasNext = index + 1 < targets.length;
    const decision = gw.hooks.failover.isUsed()
      ? await gw.hooks.failover.promise({
          ctx,
          error: err,
          target: targets[index],
          targetIndex: index,
          targetAttempts,
          hasNext,
          remainingMs: deadline - performance.now(),
        })
      : undefined;
    if (!decision || decision.action === 'fail') throw err;
    if (decision.action === 'next') {
      if (!hasNext) throw err;
      index++;
      targetAttempts = 0;
    } else if (decision.action === 'switch') {
      // A switch to a target this request already tried cannot help and could loop until the deadline.
      const t = decision.target;
      if (ctx.attempts.some((a) => a.provider === t.provider && a.model === t.model)) throw err;
      targets.splice(index + 1, 0, decision.target);
      index++;
      targetAttempts = 0;
    }
    why = { reason: decision.action, after: err.code ?? String(err.status) };
    ctx.log.debug(
      { provider: outcome.target.provider, status: err.status, code: err.code, action: decision.action },
      'attempt failed',
    );
    const delay = Math.min(decision.delayMs ?? 0, deadline - performance.now());
    if (delay > 0)
      await sleep(delay, undefined, { signal: ctx.signal }).catch(() => {
        throw clientClosed();
      });
  }
}

interface Running<T> {
  promise: Promise<Settled<T>>;
  controller?: AbortController;
  target: Target;
  t0: number;
  seq: number;
}

/** Start one attempt under its own controller; never rejects. */
function start<T>(
  gw: GatewayInternals,
  ctx: RequestContext,
  call: AttemptCall<T>,
  target: Target,
  deadline: number,
  hedge: boolean,
  why: Why,
): Running<T> {
  const policy = ctx.policy ?? NO_POLICY;
  const stream = ctx.operation === 'chat' && ctx.stream;
  const perAttempt =
    target.timeoutMs ?? (stream ? (policy.firstChunkTimeoutMs ?? policy.attemptTimeoutMs) : policy.attemptTimeoutMs);
  const budget = Math.min(perAttempt ?? Infinity, deadline - performance.now());
  // An attempt needs its own controller only when something other than the client can cancel it (a
  // timeout, or losing a hedge race); otherwise the request's signal is used as is (hot path).
  const controller = Number.isFinite(budget) || policy.hedgeDelayMs !== undefined ? new AbortController() : undefined;
  const requestAbort = abortSourceOf(ctx);
  const stopFollowing = controller ? onAbort(requestAbort, () => controller.abort()) : undefined;
  // attemptStart taps are told the signal the attempt's upstream calls carry (tracing pairs them by it):
  // then the calls carry a real one.
  const source = controller?.signal ?? (gw.hooks.attemptStart.isUsed() ? signalOf(requestAbort) : requestAbort);
  let timedOut = false;
  const timer =
    controller && Number.isFinite(budget)
      ? setTimeout(
          () => {
            timedOut = true;
            controller.abort();
          },
          Math.max(0, budget),
        )
      : undefined;
  const t0 = performance.now();
  // Adapters report what they dropped for *this* attempt; an earlier failed attempt's list must not
  // describe the answer of another target. (Hedged attempts run together: the last writer wins.)
  if (!hedge) {
    const baseline = droppedBaselineOf(ctx);
    if (baseline === undefined) delete ctx.responseHeaders[DROPPED_HEADER];
    else ctx.responseHeaders[DROPPED_HEADER] = baseline;
  }
  const adapter = gw.providers.get(target.provider);
  const seq = ++attemptSeq;
  const upstream = upstreamCall(target, ctx, source);
  if (gw.hooks.attemptStart.isUsed()) {
    const signal = upstream.signal;
    gw.hooks.attemptStart.call({ ctx, target, reason: why.reason, after: why.after, signal, seq });
  }
  // A promise chain, not an async function: while the upstream answers, the two callbacks are all that
  // is kept of this attempt besides its answer's promise (bench/profile-notes.md, ninth round).
  const settled = (): void => {
    clearTimeout(timer);
    stopFollowing?.();
  };
  let called: Promise<T>;
  try {
    if (!adapter) throw errors.modelNotFound(`${target.provider}/${target.model}`);
    called = Promise.resolve(call(adapter, target, upstream));
  } catch (e) {
    called = Promise.reject(e);
  }
  const promise = called.then(
    (value): Settled<T> => {
      settled();
      return { ok: true, value, target, controller, hedge, seq };
    },
    (e): Settled<T> => {
      settled();
      let error: GatewayError;
      if (requestAbort.aborted) error = clientClosed();
      else if (timedOut) {
        error =
          perAttempt !== undefined && perAttempt <= budget + 1
            ? errors.upstreamTimeout(target.provider, Math.round(perAttempt))
            : deadlineExceeded(policy.deadlineMs ?? 0);
      } else error = asError(e, ctx);
      return { ok: false, error, target, controller, hedge, seq };
    },
  );
  return { promise, controller, target, t0, seq };
}

/** Wait for a running attempt and record it. */
async function settle<T>(
  gw: GatewayInternals,
  ctx: RequestContext,
  _call: AttemptCall<T>,
  run: Running<T>,
): Promise<Settled<T>> {
  const r = await run.promise;
  record(gw, ctx, r, performance.now() - run.t0);
  if (!r.ok && r.error!.code === 'client_closed_request') throw r.error;
  return r;
}

function record<T>(gw: GatewayInternals, ctx: RequestContext, r: Settled<T>, latencyMs: number): void {
  const { target } = r;
  const status = r.ok ? 200 : r.cancelled ? 499 : r.error!.status;
  ctx.attempts.push({
    provider: target.provider,
    model: target.model,
    status,
    code: r.ok ? undefined : r.cancelled ? 'hedge_cancelled' : r.error!.code,
    latencyMs,
    ...(r.hedge ? { hedge: true } : {}),
    ...(r.cancelled ? { cancelled: true } : {}),
  });
  if (gw.hooks.attemptEnd.isUsed()) {
    gw.hooks.attemptEnd.call({
      ctx,
      seq: r.seq,
      target,
      ok: r.ok,
      error: r.ok ? undefined : r.error,
      cancelled: r.cancelled,
      latencyMs,
      stream: ctx.operation === 'chat' && ctx.stream,
    });
  }
}

/** Run `first`; if it has not settled after `delayMs`, run `second` too; the first success wins. */
async function hedged<T>(
  gw: GatewayInternals,
  ctx: RequestContext,
  call: AttemptCall<T>,
  release: Release<T> | undefined,
  first: Target,
  second: Target,
  delayMs: number,
  deadline: number,
  why: Why,
): Promise<Settled<T>> {
  const a = start(gw, ctx, call, first, deadline, false, why);
  let timer: NodeJS.Timeout | undefined;
  const early = await Promise.race([
    a.promise,
    new Promise<undefined>((r) => {
      timer = setTimeout(() => r(undefined), delayMs);
    }),
  ]);
  clearTimeout(timer);
  if (early) return settle(gw, ctx, call, a); // answered (or failed) before the hedge delay
  if (abortSourceOf(ctx).aborted) return settle(gw, ctx, call, a);
  const b = start(gw, ctx, call, second, deadline, true, { reason: 'hedge' });
  const runs = [a, b];
  const pending = new Set(runs);
  let winner: Settled<T> | undefined;
  const failed = new Map<Running<T>, Settled<T>>();
  while (pending.size && !winner) {
    const r = await Promise.race([...pending].map((run) => run.promise.then((s) => ({ run, s }))));
    pending.delete(r.run);
    record(gw, ctx, r.s, performance.now() - r.run.t0);
    if (r.s.ok) winner = r.s;
    else {
      if (r.s.error!.code === 'client_closed_request') throw r.s.error;
      failed.set(r.run, r.s);
    }
  }
  for (const loser of pending) {
    loser.controller?.abort();
    const t = performance.now() - loser.t0;
    void loser.promise.then((s) => {
      if (s.ok && release) release(s.value as T);
      record(gw, ctx, { ...s, ok: false, cancelled: true }, t);
    });
  }
  if (winner) {
    ctx.target = winner.target;
    return winner;
  }
  return failed.get(b)!; // both failed: the loop continues after the hedge target
}

function asError(e: unknown, ctx: RequestContext): GatewayError {
  if (e instanceof GatewayError) return e;
  ctx.log.error({ err: { type: (e as Error)?.name, message: (e as Error)?.message } }, 'unexpected error');
  return errors.internal(ctx.id);
}
