/**
 * Guardrails: policies per key, project and model that check what goes to a provider and what comes
 * back, each blocking, redacting, flagging or logging. Offline checks (PII with reversible masking,
 * secrets, prompt-injection heuristics, word and pattern lists, JSON schema of structured outputs) and
 * remote ones (a provider's moderation endpoint, an HTTP hook), with fail-open or fail-closed.
 * Streams are checked on a sliding window with a bounded hold-back. Verdicts are counts and rule ids
 * only. Off unless configured; taps only for the sides some policy uses. See docs/guardrails.md.
 */
import type { ChatContext } from '../../core/context.js';
import { definePlugin, PluginOptionsError, type Plugin } from '../../core/plugin.js';
import { verdictEvent } from './audit.js';
import { guardInput } from './input.js';
import { guardResponse, guardStream, type OutputSettings } from './output.js';
import { compilePolicies, moderationProviders } from './policy.js';
import { guardrailsSchema } from './schema.js';
import type { GuardrailsOptions } from './types.js';
import { headerValue, STATE, stateOf, type GuardState } from './verdicts.js';

export type * from './types.js';
export type { GuardrailVerdict } from '../../core/usage.js';
export { scoreInjection, INJECTION_RULES, type InjectionScore } from './checks/injection.js';
export { PII_DETECTORS, PII_ENTITIES } from './checks/pii.js';
export { SECRET_DETECTORS, SECRET_TYPES } from './checks/secrets.js';
export { resolveOverlaps, type Detector, type Match } from './checks/match.js';
export { Vault } from './vault.js';
export { stateOf as guardrailsState, type GuardState } from './verdicts.js';

export function guardrails(options: GuardrailsOptions): Plugin {
  return definePlugin<GuardrailsOptions>({
    name: 'guardrails',
    schema: guardrailsSchema,
    apply(gateway, o) {
      const policies = compilePolicies(gateway, o.policies);
      const settings: OutputSettings = {
        holdBack: o.stream?.holdBackChars ?? 128,
        remoteWindow: o.stream?.remoteWindowChars ?? 512,
      };
      const header = o.header !== false;
      const { hooks, Stage } = gateway;

      gateway.hooks.ready.tapPromise('guardrails', async () => {
        for (const m of moderationProviders(o.policies)) {
          const adapter = gateway.providers.get(m.provider);
          const named = `names provider "${m.provider}"`;
          if (!adapter) throw new PluginOptionsError('guardrails', m.path, `${named}, which is not configured`);
          if (!adapter.moderations) {
            throw new PluginOptionsError(
              'guardrails',
              m.path,
              `${named}, which has no moderation endpoint (use openai or an OpenAI-compatible provider)`,
            );
          }
        }
      });

      /** The request's state, made on first use: the policies whose scope matches (none: no state). */
      const begin = (ctx: ChatContext): GuardState | undefined => {
        let st = stateOf(ctx);
        if (st || ctx.state[STATE] === null) return st ?? undefined;
        const applying = policies.filter((p) => p.applies(ctx));
        if (!applying.length) {
          ctx.state[STATE] = null;
          return undefined;
        }
        st = { policies: applying, verdicts: new Map() };
        ctx.state[STATE] = st;
        return st;
      };
      const setHeader = (st: GuardState, ctx: ChatContext) => {
        const h = header ? headerValue(st) : undefined;
        if (h) ctx.responseHeaders['x-switchyard-guardrails'] = h;
      };

      // Input: after every other rewrite (LATE), so nothing added later reaches the provider unchecked.
      if (policies.some((p) => p.input)) {
        hooks.transformRequest.tapPromise({ name: 'guardrails', stage: Stage.LATE }, async (request, ctx) => {
          const st = begin(ctx);
          if (!st) return request;
          try {
            return await guardInput(st, request, ctx);
          } finally {
            setHeader(st, ctx);
          }
        });
      }

      // Output: before other answer transforms (EARLY), on the provider's text; placeholders restored last.
      const restores = policies.some((p) => p.input && p.action === 'redact' && p.restore);
      if (restores || policies.some((p) => p.output)) {
        hooks.transformResponse.tapPromise({ name: 'guardrails', stage: Stage.EARLY }, async (response, ctx) => {
          const st = begin(ctx);
          if (!st || (!st.vault && !st.policies.some((p) => p.output))) return response;
          try {
            return await guardResponse(st, response, ctx, settings);
          } finally {
            setHeader(st, ctx);
          }
        });
        hooks.transformStream.tap({ name: 'guardrails', stage: Stage.EARLY }, (chunks, ctx) => {
          const st = begin(ctx);
          if (!st || (!st.vault && !st.policies.some((p) => p.output))) return chunks;
          return guardStream(st, chunks, ctx, settings);
        });
      }

      // Verdicts onto the meter record, before the ledger, metrics, log line and OpenTelemetry read it;
      // and one `guardrail.verdict` audit event per request (the export plugin publishes them).
      hooks.meter.tap({ name: 'guardrails', stage: Stage.FIRST - 5 }, (record, ctx) => {
        const st = stateOf(ctx);
        if (!st?.verdicts.size) return;
        record.guardrails = [...st.verdicts.values()].map((v) => ({ ...v }));
        if (!hooks.audit.isUsed()) return;
        try {
          hooks.audit.call(verdictEvent(record, record.guardrails));
        } catch (err) {
          // An audit subscriber's failure must not cost the record its ledger, metrics and log line.
          ctx.log.warn({ err: { message: (err as Error).message } }, 'guardrails: audit event failed');
        }
      });
    },
  })(options);
}

declare module '../../core/config-types.js' {
  interface SwitchyardConfig {
    /** PII masking, secrets, prompt-injection, moderation and other checks on input and output. Default off. */
    guardrails?: GuardrailsOptions | false;
  }
}
