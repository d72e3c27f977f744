/**
 * The default router. Resolves, in order:
 *  1. a configured alias -> its targets, in order;
 *  2. "provider/model" where provider is enabled -> that provider, model as given;
 *  3. a bare model name -> every provider that lists or claims it (the first is primary, the rest
 *     are fallbacks);
 *  4. routing.defaultProvider, when set.
 * An earlier tap that already chose targets is left alone.
 */
import type { Target } from '../../core/context.js';
import { definePlugin } from '../../core/plugin.js';

export interface ModelRouterOptions {
  aliases?: Record<string, string | string[]>;
  defaultProvider?: string;
}

export function parseTarget(spec: string): Target {
  const slash = spec.indexOf('/');
  return { provider: spec.slice(0, slash), model: spec.slice(slash + 1) };
}

export const modelRouter = definePlugin<ModelRouterOptions>({
  name: 'model-router',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: { aliases: { type: 'object' }, defaultProvider: { type: 'string' } },
  },
  apply(gateway, options) {
    const aliases = new Map<string, Target[]>();
    for (const [name, spec] of Object.entries(options.aliases ?? {})) {
      aliases.set(name, (Array.isArray(spec) ? spec : [spec]).map(parseTarget));
    }
    // model id -> providers listing it; built once every provider has registered.
    const listed = new Map<string, string[]>();
    gateway.hooks.ready.tap('model-router', () => {
      for (const [name, targets] of aliases) {
        for (const t of targets) {
          if (!gateway.providers.has(t.provider)) {
            throw new Error(`Invalid configuration: routing.aliases.${name} names provider "${t.provider}", which is not enabled. Enabled: ${gateway.providers.list().map((p) => p.name).join(', ') || 'none'}.`);
          }
        }
      }
      if (options.defaultProvider && !gateway.providers.has(options.defaultProvider)) {
        throw new Error(`Invalid configuration: routing.defaultProvider "${options.defaultProvider}" is not an enabled provider.`);
      }
      for (const p of gateway.providers.list()) {
        for (const m of p.models()) {
          const names = listed.get(m.id) ?? [];
          names.push(p.name);
          listed.set(m.id, names);
        }
      }
    });

    gateway.hooks.route.tapPromise({ name: 'model-router', stage: gateway.Stage.NORMAL }, async (targets, ctx) => {
      if (targets.length) return targets;
      const model = ctx.requestedModel;
      const alias = aliases.get(model);
      if (alias) return alias;
      const slash = model.indexOf('/');
      if (slash > 0) {
        const provider = model.slice(0, slash);
        if (gateway.providers.has(provider)) return [{ provider, model: model.slice(slash + 1) }];
      }
      const names = listed.get(model);
      const out: Target[] = names ? names.map((provider) => ({ provider, model })) : [];
      for (const p of gateway.providers.list()) {
        if (!names?.includes(p.name) && p.claims?.(model)) out.push({ provider: p.name, model });
      }
      if (out.length === 0 && options.defaultProvider) out.push({ provider: options.defaultProvider, model });
      return out;
    });
  },
});
