/**
 * Exact-match response cache. The key is a SHA-256 of the tenant (project, else key id), the
 * resolved first target, the messages, tools, response format and every sampling parameter; entries
 * live in the gateway store with a TTL. Streams are stored once complete and replayed as streams.
 *
 * Not cached: errors, aborted or truncated streams, answers with tool calls, `n` > 1, requests with
 * temperature above maxTemperature, and requests sending `Cache-Control: no-store`.
 * `Cache-Control: no-cache` skips the lookup but stores the fresh answer.
 */
import { createHash } from 'node:crypto';
import type { ChatContext } from '../../core/context.js';
import { definePlugin } from '../../core/plugin.js';
import type { ChatCompletionResponse } from '../../core/types.js';

export interface ExactCacheOptions {
  ttlSeconds?: number;
  maxTemperature?: number;
}

/** Fields that do not change the answer and so stay out of the key. */
const IGNORED = new Set(['stream', 'stream_options', 'user', 'model', 'metadata', 'store']);

export function cacheKey(ctx: ChatContext): string {
  const h = createHash('sha256');
  const tenant = ctx.principal?.project ?? ctx.principal?.id ?? '';
  const t = ctx.targets[0];
  h.update(`v1\0${tenant}\0${t.provider}\0${t.model}\0`);
  const req = ctx.request;
  for (const k of Object.keys(req).sort()) {
    if (IGNORED.has(k) || req[k] === undefined) continue;
    h.update(k).update('\0').update(JSON.stringify(req[k])).update('\0');
  }
  return `cache:exact:${h.digest('hex')}`;
}

function directives(ctx: ChatContext): string {
  const cc = ctx.headers['cache-control'];
  return typeof cc === 'string' ? cc.toLowerCase() : '';
}

export const exactCache = definePlugin<ExactCacheOptions>({
  name: 'exact-cache',
  defaults: { ttlSeconds: 300 },
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: { ttlSeconds: { type: 'integer', minimum: 1 }, maxTemperature: { type: 'number', minimum: 0 } },
  },
  apply(gateway, opts) {
    const ttlMs = opts.ttlSeconds! * 1000;
    const { store } = gateway;
    const state = (ctx: ChatContext) => ctx.state['exact-cache'] as { key: string } | undefined;

    gateway.hooks.cacheLookup.tapPromise({ name: 'exact-cache', stage: gateway.Stage.NORMAL }, async (ctx) => {
      const cc = directives(ctx);
      const temp = ctx.request.temperature;
      if (cc.includes('no-store') || (ctx.request.n ?? 1) > 1 ||
        (opts.maxTemperature !== undefined && typeof temp === 'number' && temp > opts.maxTemperature)) {
        ctx.cache = 'bypass';
        return undefined;
      }
      const key = cacheKey(ctx);
      ctx.state['exact-cache'] = { key };
      if (cc.includes('no-cache')) {
        ctx.cache = 'refresh';
        return undefined;
      }
      const stored = await store.get<string>(key);
      if (stored === undefined) {
        ctx.cache = 'miss';
        return undefined;
      }
      return { kind: 'hit', response: JSON.parse(stored) as ChatCompletionResponse };
    });

    gateway.hooks.cacheStore.tapPromise({ name: 'exact-cache', stage: gateway.Stage.NORMAL }, async (ctx, response) => {
      const s = state(ctx);
      if (!s) return;
      const cacheable = response.choices.length > 0 && response.choices.every(
        (c) => (c.finish_reason === 'stop' || c.finish_reason === 'length') && !c.message.tool_calls?.length);
      if (cacheable) await store.set(s.key, JSON.stringify(response), ttlMs);
    });
  },
});
