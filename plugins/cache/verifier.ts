/**
 * The optional verifier of the semantic tier: for a candidate the guard cannot settle (a similarity
 * between `minScore` and the threshold, or a refusal on the lexical check alone), ask a configured
 * cheap model whether the two requests want the same answer.
 *
 * The question is an ordinary chat request run through the gateway's own pipeline (`runChat`):
 * the caller's credentials (auth), routing of the configured model name, admission (budgets and
 * rate limits of the caller's key), transforms, the attempt loop with failover, and one meter
 * record (`<request id>:cache-verify`), so its cost is metered, priced and counted against the
 * caller's budget like any other request. It skips the cache itself. A verdict is the model's
 * first word, "yes" or "no"; anything else is "no". Verdicts are kept in the Store (per partition
 * and prompt pair) for the verdict TTL. An answer that takes longer than `timeoutMs` is abandoned
 * (the upstream call is aborted) and the lookup is a miss.
 */
import { createHash } from 'node:crypto';
import type { ChatContext } from '../../core/context.js';
import { GatewayError } from '../../core/errors.js';
import type { Gateway } from '../../core/gateway-types.js';
import { finishRequest, runChat } from '../../core/pipeline.js';
import { createContext } from '../../core/request-context.js';
import type { ChatCompletionRequest } from '../../core/types.js';

export interface VerifierOptions {
  /** Model name the gateway routes (an alias, a virtual model or provider/model), e.g. "gpt-4o-mini". */
  model: string;
  /** Least similarity for a candidate to be asked about. Default: the threshold minus 0.15. */
  minScore?: number;
  /** Also ask when the guard refused on the lexical check alone (words the lexicon does not relate). Default true. */
  lexical?: boolean;
  /** Longest wait for a verdict (ms); after it the lookup is a miss. Default 1500. */
  timeoutMs?: number;
  /** How long a verdict is kept (s). Default: the cache's ttlSeconds. */
  verdictTtlSeconds?: number;
}

export type Verdict = 'yes' | 'no' | 'failed';

export const VERIFIER_SYSTEM =
  'You check whether a cached answer can be reused. You see two requests sent to an AI ' +
  'assistant in the same conversation. Reply with exactly one word: "yes" if a single answer would fully and ' +
  'correctly answer both requests (same task, same entities, numbers, units, direction, order of roles, scope, ' +
  'negation and constraints); otherwise "no". When unsure, reply "no".';

export function verifierRequest(model: string, cached: string, incoming: string): ChatCompletionRequest {
  return {
    model,
    temperature: 0,
    max_tokens: 2,
    messages: [
      { role: 'system', content: VERIFIER_SYSTEM },
      {
        role: 'user',
        content:
          `Request A:\n<<<\n${cached}\n>>>\n\n` +
          `Request B:\n<<<\n${incoming}\n>>>\n\nDo A and B want the same answer? yes or no.`,
      },
    ],
  };
}

/** The caller's credentials, and nothing else of its headers (no forced target, no cache headers). */
const CREDENTIALS = ['authorization', 'x-api-key', 'api-key'];

export interface VerifierStats {
  calls: number;
  yes: number;
  no: number;
  failed: number;
  cached: number;
}

export class Verifier {
  readonly stats: VerifierStats = { calls: 0, yes: 0, no: 0, failed: 0, cached: 0 };
  readonly #timeoutMs: number;
  readonly #verdictTtlMs: number;

  constructor(
    private readonly gateway: Gateway,
    readonly o: VerifierOptions,
    cacheTtlMs: number,
  ) {
    this.#timeoutMs = o.timeoutMs ?? 1500;
    this.#verdictTtlMs = (o.verdictTtlSeconds ?? cacheTtlMs / 1000) * 1000;
  }

  #key(partition: string, cached: string, incoming: string): string {
    const h = createHash('sha256').update(`${this.o.model}\0${partition}\0${cached}\0${incoming}`).digest('base64url');
    return `cache:verdict:${h}`;
  }

  /** Ask (or recall) whether `incoming` may be served the answer cached for `cached`. */
  async verify(parent: ChatContext, partition: string, cached: string, incoming: string): Promise<Verdict> {
    const key = this.#key(partition, cached, incoming);
    const known = await this.gateway.store.get<string>(key).catch(() => undefined);
    if (known === 'yes' || known === 'no') {
      this.stats.cached++;
      return known;
    }
    this.stats.calls++;
    const verdict = await this.#ask(parent, cached, incoming);
    this.stats[verdict]++;
    if (verdict !== 'failed') await this.gateway.store.set(key, verdict, this.#verdictTtlMs).catch(() => undefined);
    return verdict;
  }

  async #ask(parent: ChatContext, cached: string, incoming: string): Promise<Verdict> {
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    parent.signal.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => controller.abort(), this.#timeoutMs);
    const headers: Record<string, string | string[]> = {};
    for (const h of CREDENTIALS) {
      const v = parent.headers[h];
      if (v !== undefined) headers[h] = v;
    }
    const request = verifierRequest(this.o.model, cached, incoming);
    const ctx = createContext(this.gateway, 'chat', {
      id: `${parent.id}:cache-verify`,
      dialect: 'internal',
      headers,
      signal: controller.signal,
      request,
      requestedModel: this.o.model,
      stream: false,
    });
    ctx.state.cache = { internal: true };
    let status = 200;
    let error: GatewayError | undefined;
    try {
      const outcome = await runChat(this.gateway, ctx);
      if (outcome.kind !== 'response') return 'failed';
      const text = outcome.response.choices[0]?.message.content;
      const word = (typeof text === 'string' ? text : '')
        .trim()
        .toLowerCase()
        .match(/^[a-z]+/)?.[0];
      return word === 'yes' ? 'yes' : 'no';
    } catch (e) {
      const timedOut = controller.signal.aborted && !parent.signal.aborted;
      error = timedOut
        ? new GatewayError(504, `The cache verifier gave no verdict within ${this.#timeoutMs} ms.`, {
            type: 'server_error',
            code: 'cache_verifier_timeout',
          })
        : e instanceof GatewayError
          ? e
          : new GatewayError(500, 'The cache verifier failed.', { type: 'server_error', code: 'internal_error' });
      status = error.status;
      parent.log.warn({ err: { message: error.message, code: error.code }, status }, 'cache: verifier gave no verdict');
      return 'failed';
    } finally {
      clearTimeout(timer);
      parent.signal.removeEventListener('abort', onAbort);
      finishRequest(this.gateway, ctx, status, error);
    }
  }
}
