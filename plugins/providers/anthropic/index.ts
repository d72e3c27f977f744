/**
 * The `anthropic` provider plugin: Claude models through the Anthropic Messages API.
 *
 *   anthropic()                                  // key from ANTHROPIC_API_KEY
 *   anthropic({ apiKey, baseURL, defaultMaxTokens: 8192, headers: { 'anthropic-beta': '...' } })
 *
 * Base URL: the `baseURL` option, else ANTHROPIC_BASE_URL, else https://api.anthropic.com (the
 * origin; requests go to {baseURL}/v1/messages, a trailing /v1 is accepted and removed). Bare model
 * names starting with "claude-" are routed here. See request.ts for the translation rules and the
 * parameters that are dropped (reported in the x-switchyard-dropped-params response header).
 */
import { definePlugin } from '../../../core/plugin.js';
import { apiKeyFrom, baseURLFrom, PROVIDER_OPTIONS } from '../../../core/provider-options.js';
import { ANTHROPIC_VERSION, AnthropicAdapter } from './adapter.js';
import { DEFAULT_MAX_TOKENS } from './request.js';

export interface AnthropicOptions {
  /** Provider name used in "provider/model". Default "anthropic". */
  name?: string;
  /** API origin. Default: ANTHROPIC_BASE_URL, else https://api.anthropic.com. */
  baseURL?: string;
  /** Default: ANTHROPIC_API_KEY from the environment. */
  apiKey?: string;
  /** Models to advertise (replaces the built-in list). */
  models?: string[];
  /** max_tokens sent when the client gives none (Anthropic requires it). Default 4096. */
  defaultMaxTokens?: number;
  /** anthropic-version header. Default 2023-06-01. */
  anthropicVersion?: string;
  /** Extra headers for every upstream request (e.g. anthropic-beta). */
  headers?: Record<string, string>;
  /** Per-provider upstream timeout (ms). */
  timeoutMs?: number;
}

export const DEFAULT_BASE_URL = 'https://api.anthropic.com';

/** Current Claude model ids (aliases and dated snapshots). */
export const ANTHROPIC_MODELS = [
  'claude-opus-4-5',
  'claude-opus-4-5-20251101',
  'claude-sonnet-4-5',
  'claude-sonnet-4-5-20250929',
  'claude-haiku-4-5',
  'claude-haiku-4-5-20251001',
  'claude-opus-4-1',
  'claude-opus-4-1-20250805',
  'claude-opus-4-0',
  'claude-opus-4-20250514',
  'claude-sonnet-4-0',
  'claude-sonnet-4-20250514',
  'claude-3-7-sonnet-latest',
  'claude-3-7-sonnet-20250219',
  'claude-3-5-haiku-latest',
  'claude-3-5-haiku-20241022',
];

export const ANTHROPIC_CLAIMS = /^claude-/;

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...PROVIDER_OPTIONS,
    defaultMaxTokens: { type: 'integer', minimum: 1 },
    anthropicVersion: { type: 'string', minLength: 1 },
  },
};

export const anthropic = definePlugin<AnthropicOptions>({
  name: (o) => o.name ?? 'anthropic',
  schema,
  apply(gateway, o) {
    const name = o.name ?? 'anthropic';
    const apiKey = apiKeyFrom(name, o.apiKey, ['ANTHROPIC_API_KEY']);
    const baseURL = baseURLFrom(name, {
      given: o.baseURL,
      env: 'ANTHROPIC_BASE_URL',
      fallback: DEFAULT_BASE_URL,
      strip: /\/v1$/,
    });
    gateway.providers.register(
      new AnthropicAdapter(
        {
          name,
          baseURL,
          apiKey,
          models: o.models ?? ANTHROPIC_MODELS,
          claims: ANTHROPIC_CLAIMS,
          defaultMaxTokens: o.defaultMaxTokens ?? DEFAULT_MAX_TOKENS,
          anthropicVersion: o.anthropicVersion ?? ANTHROPIC_VERSION,
          headers: o.headers,
          timeoutMs: o.timeoutMs,
        },
        gateway.upstream,
      ),
    );
  },
});
