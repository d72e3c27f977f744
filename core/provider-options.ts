/**
 * The options every provider takes, and the option mistakes every provider can make, as the one
 * boot-time error format (`Plugin "<name>": option "<path>" ...`, a ConfigError), so a missing key or
 * a bad base URL reads the same for every provider. `apiKeyFrom` and `baseURLFrom` resolve an option
 * with its environment fallbacks; `PROVIDER_OPTIONS` is the JSON schema of the common options.
 */
import { PluginOptionsError } from './plugin.js';

/** JSON-schema properties of the options most providers share (spread into a provider's schema). */
export const PROVIDER_OPTIONS = {
  name: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]*$' },
  baseURL: { type: 'string', pattern: '^https?://' },
  apiKey: { type: 'string', minLength: 1 },
  headers: { type: 'object', additionalProperties: { type: 'string' } },
  models: { type: 'array', items: { type: 'string', minLength: 1 } },
  timeoutMs: { type: 'integer', minimum: 1 },
} as const;

/** No API key in the options or the environment. */
export function noApiKey(name: string, env: string, option = 'apiKey'): PluginOptionsError {
  return new PluginOptionsError(
    name,
    option,
    `is required: no API key was given`,
    `Set ${env} in the environment or pass { ${option} }.`,
  );
}

/**
 * The API key: the option, else the first set variable of `env` (in order). Throws noApiKey unless
 * `optional` (keyless local servers), which answers undefined instead.
 */
type Key = string | undefined;

export function apiKeyFrom(name: string, given: Key, env: readonly string[], optional?: false): string;
export function apiKeyFrom(name: string, given: Key, env: readonly string[], optional: boolean): Key;
export function apiKeyFrom(name: string, given: Key, env: readonly string[], optional = false): Key {
  let key = given;
  for (const v of env) key ??= process.env[v];
  if (!key && !optional) throw noApiKey(name, env.length > 1 ? `${env[0]} (or ${env.slice(1).join(', ')})` : env[0]);
  return key;
}

export interface BaseURLSource {
  /** The option's value, if given. */
  given: string | undefined;
  /** The environment variable read when the option is not given. */
  env?: string;
  /** The default when neither is set. */
  fallback: string;
  /** Where the default comes from, for the error message. Default: the env variable's name. */
  fallbackLabel?: string;
  /** The option's name. Default 'baseURL'. */
  option?: string;
  /** A suffix people paste with the URL and the adapter adds itself (e.g. /\/v1$/): removed. */
  strip?: RegExp;
}

/** The base URL from the option, its env variable or the default: checked, without trailing slashes. */
export function baseURLFrom(name: string, s: BaseURLSource): string {
  const option = s.option ?? 'baseURL';
  const fromEnv = s.env ? process.env[s.env] : undefined;
  const origin = s.given ? option : fromEnv ? s.env! : (s.fallbackLabel ?? s.env ?? 'the default');
  const url = checkBaseURL(name, s.given ?? fromEnv ?? s.fallback, origin, option);
  return s.strip ? url.replace(s.strip, '') : url;
}

/** A base URL from `origin` (an option or an env variable), without trailing slashes; throws unless http(s). */
export function checkBaseURL(name: string, url: string, origin: string, option = 'baseURL'): string {
  const clean = url.replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]/.test(clean)) {
    const from = origin === option ? '' : ` from ${origin}`;
    const message = `must start with http:// or https:// (got ${JSON.stringify(url)}${from})`;
    throw new PluginOptionsError(name, option, message);
  }
  return clean;
}
