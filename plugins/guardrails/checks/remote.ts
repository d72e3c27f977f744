/**
 * Remote checks: a provider's moderation endpoint (OpenAI's POST /moderations format, through the
 * configured provider adapter, so its base URL and key) and an HTTP hook to an external service (URL
 * from the configuration only). Both are bounded by a timeout; a failure is reported as a thrown
 * RemoteCheckError and the policy's fail mode decides what happens.
 */
import type { RequestContext } from '../../../core/context.js';
import { GatewayError } from '../../../core/errors.js';
import type { Gateway } from '../../../core/gateway-types.js';
import { readJsonBody } from '../../../core/upstream.js';
import type { GuardrailPhase, ModerationCheck, WebhookCheck } from '../types.js';

export interface RemoteCall {
  ctx: RequestContext;
  phase: GuardrailPhase;
  policy: string;
}

export interface RemoteCheck {
  readonly type: 'moderation' | 'webhook';
  /** Rule ids that the texts triggered (empty: passed). Throws RemoteCheckError when the check could not run. */
  run(texts: string[], call: RemoteCall): Promise<string[]>;
}

export class RemoteCheckError extends Error {
  constructor(
    readonly check: 'moderation' | 'webhook',
    readonly reason: 'timeout' | 'error',
    detail: string,
  ) {
    super(`the ${check} check ${reason === 'timeout' ? 'timed out' : 'failed'} (${detail})`);
    this.name = 'RemoteCheckError';
  }
}

/** A rule id from a remote answer: metadata-shaped, bounded, never free text. */
const RULE = /^[A-Za-z0-9_./:-]{1,64}$/;
const MAX_RULES = 16;
/** Text sent per remote call: pieces of at most this many characters, at most MAX_PIECES of them. */
const PIECE = 16_000;
const MAX_PIECES = 16;

/** The texts as at most MAX_PIECES pieces of at most PIECE characters (longer inputs are checked in part). */
export function pieces(texts: string[]): string[] {
  const out: string[] = [];
  for (const t of texts) {
    for (let i = 0; i < t.length && out.length < MAX_PIECES; i += PIECE) out.push(t.slice(i, i + PIECE));
  }
  return out;
}

/** Run `fn` under a signal that fires on the client leaving or after `timeoutMs`. */
async function bounded<T>(
  check: 'moderation' | 'webhook',
  ctx: RequestContext,
  timeoutMs: number,
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const timer = new AbortController();
  const t = setTimeout(() => timer.abort(), timeoutMs);
  const signal = AbortSignal.any([ctx.signal, timer.signal]);
  try {
    return await fn(signal);
  } catch (e) {
    if (ctx.signal.aborted) throw e; // the client left: not a check failure
    if (timer.signal.aborted) throw new RemoteCheckError(check, 'timeout', `${timeoutMs} ms`);
    const detail = e instanceof GatewayError ? `${e.status} ${e.code ?? e.type}` : ((e as Error)?.name ?? 'error');
    throw new RemoteCheckError(check, 'error', detail);
  } finally {
    clearTimeout(t);
  }
}

interface ModerationResult {
  flagged?: boolean;
  categories?: Record<string, boolean>;
  category_scores?: Record<string, number>;
}

export function moderationCheck(gateway: Gateway, o: ModerationCheck): RemoteCheck {
  const model = o.model ?? 'omni-moderation-latest';
  const wanted = o.categories ? new Set(o.categories) : undefined;
  return {
    type: 'moderation',
    async run(texts, { ctx }) {
      const input = pieces(texts);
      if (!input.length) return [];
      const adapter = gateway.providers.get(o.provider);
      if (!adapter?.moderations) {
        throw new RemoteCheckError('moderation', 'error', `provider "${o.provider}" has no moderations endpoint`);
      }
      const answer = await bounded('moderation', ctx, o.timeoutMs ?? 2000, (signal) =>
        adapter.moderations!({ model, input }, { target: { provider: o.provider, model }, signal, ctx }),
      );
      const results = (answer as { results?: unknown }).results;
      if (!Array.isArray(results)) throw new RemoteCheckError('moderation', 'error', 'the answer has no results');
      const rules = new Set<string>();
      for (const r of results as ModerationResult[]) {
        const threshold = o.threshold;
        const names =
          threshold === undefined
            ? Object.entries(r.categories ?? {})
                .filter(([, on]) => on === true)
                .map(([c]) => c)
            : Object.entries(r.category_scores ?? {})
                .filter(([, v]) => typeof v === 'number' && v >= threshold)
                .map(([c]) => c);
        for (const c of names) if ((!wanted || wanted.has(c)) && RULE.test(c)) rules.add(`moderation.${c}`);
        // flagged without a category we can name: still a finding (unless the caller narrowed what counts)
        if (!names.length && r.flagged === true && !wanted && threshold === undefined) rules.add('moderation.flagged');
      }
      return [...rules].slice(0, MAX_RULES);
    },
  };
}

/** The name webhook transport errors carry (as a provider name would). */
const WEBHOOK = 'guardrails-webhook';

export function webhookCheck(gateway: Gateway, o: WebhookCheck): RemoteCheck {
  const headers = { 'content-type': 'application/json', accept: 'application/json', ...o.headers };
  const timeoutMs = o.timeoutMs ?? 2000;
  return {
    type: 'webhook',
    async run(texts, { ctx, phase, policy }) {
      const input = pieces(texts);
      if (!input.length) return [];
      const body = JSON.stringify({ phase, policy, requestId: ctx.id, model: ctx.requestedModel, texts: input });
      const answer = await bounded('webhook', ctx, timeoutMs, async (signal) => {
        const res = await gateway.upstream.send(WEBHOOK, { url: o.url, headers, body, signal, timeoutMs });
        if (res.statusCode !== 200) {
          res.body.destroy();
          throw new GatewayError(502, 'webhook status', { code: `status_${res.statusCode}` });
        }
        return readJsonBody(WEBHOOK, res, timeoutMs, signal) as Promise<{ flagged?: unknown; rules?: unknown }>;
      });
      if (!answer || typeof answer !== 'object' || typeof answer.flagged !== 'boolean') {
        throw new RemoteCheckError('webhook', 'error', 'the answer has no boolean "flagged"');
      }
      if (!answer.flagged) return [];
      const given: unknown[] = Array.isArray(answer.rules) ? answer.rules : [];
      const rules = given.filter((r): r is string => typeof r === 'string' && RULE.test(r));
      return rules.length ? rules.slice(0, MAX_RULES).map((r) => `webhook.${r}`) : ['webhook.flagged'];
    },
  };
}
