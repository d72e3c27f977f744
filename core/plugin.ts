/**
 * Plugins are `{ name, apply(gateway) }`. `definePlugin` builds a typed factory whose options are
 * validated with ajv when the gateway boots, with an error naming the plugin, the option and what
 * was expected.
 */
import { ConfigError } from './config.js';
import type { Gateway } from './gateway-types.js';
import { bestError, compile, formatAjvError } from './validation.js';

export interface Plugin {
  readonly name: string;
  apply(gateway: Gateway): void | Promise<void>;
  /** Options as given to the factory, validated at boot against `schema`. */
  readonly options?: unknown;
  readonly schema?: object;
  /** Names of plugins this one needs, applied before it (checked at boot: see checkDependencies). */
  readonly dependencies?: readonly string[];
}

/**
 * A mistake in a plugin's options: a `ConfigError` (so every boot-time mistake is one), with the
 * plugin's own message format, `Plugin "<name>": option "<path>" <detail>[. <fix>]`.
 */
export class PluginOptionsError extends ConfigError {
  constructor(
    readonly plugin: string,
    path: string,
    detail: string,
    fix?: string,
  ) {
    super(path, detail, fix);
    this.name = 'PluginOptionsError';
    const option = path.startsWith('(') ? path : `"${path}"`;
    this.message = `Plugin "${plugin}": option ${option} ${detail}${fix ? `. ${fix}` : ''}`;
  }
}

const validators = new WeakMap<object, ReturnType<typeof compile>>();

/** Validate options against a JSON schema now (for factories that build things at once). */
export function checkOptions(plugin: string, schema: object, options: unknown): void {
  let validate = validators.get(schema);
  if (!validate) {
    validate = compile(schema);
    validators.set(schema, validate);
  }
  if (!validate(options ?? {})) {
    const f = formatAjvError(bestError(validate.errors!), '', options ?? {});
    throw new PluginOptionsError(plugin, f.path, f.message);
  }
}

const isOptions = (o: unknown): o is object => typeof o === 'object' && o !== null && !Array.isArray(o);

export interface PluginSpec<O> {
  name: string | ((options: O) => string);
  /** JSON schema of the options (ajv). */
  schema?: object;
  /** Defaults merged under the caller's options before validation. */
  defaults?: Partial<O>;
  /** Plugins (by name) this one needs; a gateway without them, or with them after this one, fails to boot. */
  dependencies?: readonly string[];
  apply(gateway: Gateway, options: O): void | Promise<void>;
}

/** Build a typed plugin factory. `const myPlugin = definePlugin<MyOptions>({...}); myPlugin({...})`. */
export function definePlugin<O extends object = Record<string, never>>(spec: PluginSpec<O>) {
  return (options?: O): Plugin => {
    // Anything but an object (or nothing) is kept as given, and boot-time validation names it.
    const given = options === undefined || isOptions(options);
    const merged = (given ? { ...(spec.defaults ?? {}), ...(options ?? {}) } : options) as O;
    const name = typeof spec.name === 'function' ? spec.name(given ? merged : ({ ...spec.defaults } as O)) : spec.name;
    return {
      name: String(name), // a wrongly typed `name` option is reported by the schema, under this name
      options: merged,
      schema: spec.schema,
      ...(spec.dependencies?.length ? { dependencies: [...spec.dependencies] } : {}),
      apply: (gateway) => spec.apply(gateway, merged),
    };
  };
}

/** Validate a plugin's options against its schema; throws PluginOptionsError. */
export function validatePlugin(plugin: Plugin): void {
  if (!plugin || typeof plugin !== 'object' || typeof plugin.name !== 'string' || typeof plugin.apply !== 'function') {
    throw new PluginOptionsError(
      String((plugin as { name?: unknown })?.name ?? '?'),
      '(plugin)',
      'is not a plugin: expected an object with a string `name` and an `apply(gateway)` function',
    );
  }
  if (plugin.schema && plugin.options !== undefined && !isOptions(plugin.options)) {
    throw new PluginOptionsError(plugin.name, '(options)', `must be an object (got ${describeValue(plugin.options)})`);
  }
  if (plugin.schema) checkOptions(plugin.name, plugin.schema, plugin.options);
}

/** A plugin whose `dependencies` are missing from the gateway, or come after it. */
export class PluginDependencyError extends ConfigError {
  constructor(
    readonly plugin: string,
    readonly dependency: string,
    missing: boolean,
  ) {
    super(
      'plugins',
      missing
        ? `needs the "${dependency}" plugin, which is not installed`
        : `needs the "${dependency}" plugin applied before it, but it comes after`,
      missing
        ? `Add the "${dependency}" plugin (or turn on its config section) or remove "${plugin}"`
        : `List "${dependency}" before "${plugin}"`,
    );
    this.name = 'PluginDependencyError';
    this.message = `Plugin "${plugin}" ${this.detail}. ${this.fix}.`;
  }
}

/** Every plugin's `dependencies` are installed and applied before it, in list order; throws PluginDependencyError. */
export function checkDependencies(plugins: readonly Plugin[]): void {
  const first = new Map<string, number>();
  plugins.forEach((p, i) => {
    if (!first.has(p.name)) first.set(p.name, i);
  });
  plugins.forEach((p, i) => {
    for (const dep of p.dependencies ?? []) {
      const at = first.get(dep);
      if (at === undefined || at > i) throw new PluginDependencyError(p.name, dep, at === undefined);
    }
  });
}

/**
 * Apply a plugin. A TypeError thrown while applying is a mistake in its options that no check caught
 * (e.g. a wrongly typed nested value of a plugin without a schema): it becomes the plugin's option
 * error, naming the plugin, with the original error as `cause`.
 */
export async function applyPlugin(plugin: Plugin, gateway: Gateway): Promise<void> {
  try {
    await plugin.apply(gateway);
  } catch (e) {
    if (e instanceof TypeError) {
      const err = new PluginOptionsError(
        plugin.name,
        '(options)',
        `could not be applied: ${e.message}`,
        'Check the options given to this plugin against its documentation',
      );
      (err as { cause?: unknown }).cause = e;
      throw err;
    }
    throw e;
  }
}

function describeValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v);
  if (Array.isArray(v)) return 'an array';
  if (v === null) return 'null';
  if (typeof v === 'function') return 'a function';
  return String(v);
}
