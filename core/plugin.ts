/**
 * Plugins are `{ name, apply(gateway) }`. `definePlugin` builds a typed factory whose options are
 * validated with ajv when the gateway boots, with an error naming the plugin, the option and what
 * was expected.
 */
import type { Gateway } from './gateway-types.js';
import { compile, formatAjvError } from './validation.js';

export interface Plugin {
  readonly name: string;
  apply(gateway: Gateway): void | Promise<void>;
  /** Options as given to the factory, validated at boot against `schema`. */
  readonly options?: unknown;
  readonly schema?: object;
}

export class PluginOptionsError extends Error {
  constructor(readonly plugin: string, readonly path: string, readonly detail: string) {
    super(`Plugin "${plugin}": option ${path} ${detail}`);
    this.name = 'PluginOptionsError';
  }
}

export interface PluginSpec<O> {
  name: string | ((options: O) => string);
  /** JSON schema of the options (ajv). */
  schema?: object;
  /** Defaults merged under the caller's options before validation. */
  defaults?: Partial<O>;
  apply(gateway: Gateway, options: O): void | Promise<void>;
}

/** Build a typed plugin factory. `const myPlugin = definePlugin<MyOptions>({...}); myPlugin({...})`. */
export function definePlugin<O extends object = Record<string, never>>(spec: PluginSpec<O>) {
  return (options?: O): Plugin => {
    const merged = { ...(spec.defaults ?? {}), ...(options ?? {}) } as O;
    const name = typeof spec.name === 'function' ? spec.name(merged) : spec.name;
    return {
      name,
      options: merged,
      schema: spec.schema,
      apply: (gateway) => spec.apply(gateway, merged),
    };
  };
}

const validators = new WeakMap<object, ReturnType<typeof compile>>();

/** Validate a plugin's options against its schema; throws PluginOptionsError. */
export function validatePlugin(plugin: Plugin): void {
  if (!plugin || typeof plugin !== 'object' || typeof plugin.name !== 'string' || typeof plugin.apply !== 'function') {
    throw new PluginOptionsError(String((plugin as { name?: unknown })?.name ?? '?'), '(plugin)',
      'is not a plugin: expected an object with a string `name` and an `apply(gateway)` function');
  }
  if (!plugin.schema) return;
  let validate = validators.get(plugin.schema);
  if (!validate) {
    validate = compile(plugin.schema);
    validators.set(plugin.schema, validate);
  }
  if (!validate(plugin.options ?? {})) {
    const f = formatAjvError(validate.errors![0], '', plugin.options ?? {});
    throw new PluginOptionsError(plugin.name, `"${f.path}"`, f.message);
  }
}
