/**
 * Provider plugins for OpenAI and OpenAI-compatible APIs: `openai()`, `deepseek()`, `groq()`, ...
 * and `openaiCompatible({ name, baseURL })` for any other compatible server.
 */
import { definePlugin } from '../../../core/plugin.js';
import { OpenAICompatibleAdapter } from './adapter.js';
import { PRESETS, type Preset } from './presets.js';

export interface OpenAICompatibleOptions {
  /** Provider name used in "provider/model" and headers. Defaults to the preset's. */
  name?: string;
  /** API base including the version path. Default: <NAME>_BASE_URL, else the preset's. */
  baseURL?: string;
  /** Default: <NAME>_API_KEY from the environment. */
  apiKey?: string;
  /** Extra headers for every upstream request. */
  headers?: Record<string, string>;
  /** Models to advertise (replaces the preset's list). */
  models?: string[];
  /** Override whether stream_options.include_usage is sent. */
  streamUsage?: boolean;
  /** Per-provider upstream timeout (ms). */
  timeoutMs?: number;
  /**
   * Send /v1/responses requests natively to {baseURL}/responses instead of translating them to chat
   * completions. Default: true for the `openai` preset, false for the others.
   */
  responsesApi?: boolean;
}

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]*$' },
    baseURL: { type: 'string', pattern: '^https?://' },
    apiKey: { type: 'string', minLength: 1 },
    headers: { type: 'object', additionalProperties: { type: 'string' } },
    models: { type: 'array', items: { type: 'string', minLength: 1 } },
    streamUsage: { type: 'boolean' },
    timeoutMs: { type: 'integer', minimum: 1 },
    responsesApi: { type: 'boolean' },
  },
};

function fromPreset(preset: Preset) {
  return definePlugin<OpenAICompatibleOptions>({
    name: (o) => o.name ?? preset.name,
    schema,
    apply(gateway, o) {
      const name = o.name ?? preset.name;
      const apiKey = o.apiKey ?? process.env[preset.keyEnv];
      if (!apiKey && !preset.keyless) {
        throw new Error(`Provider "${name}" has no API key: set ${preset.keyEnv} in the environment or pass { apiKey }.`);
      }
      const baseURL = (o.baseURL ?? process.env[preset.baseURLEnv] ?? preset.baseURL).replace(/\/+$/, '');
      if (!/^https?:\/\/[^/]/.test(baseURL)) {
        throw new Error(`Provider "${name}": base URL "${baseURL}" (from ${o.baseURL ? 'baseURL' : preset.baseURLEnv}) must start with http:// or https://.`);
      }
      gateway.providers.register(new OpenAICompatibleAdapter({
        name,
        baseURL,
        apiKey,
        headers: o.headers,
        models: o.models ?? preset.models,
        claims: o.name && o.name !== preset.name ? undefined : preset.claims,
        streamUsage: o.streamUsage ?? preset.streamUsage,
        timeoutMs: o.timeoutMs,
        responsesApi: o.responsesApi ?? preset.responsesApi ?? false,
      }, gateway.upstream));
    },
  });
}

export const openai = fromPreset(PRESETS.openai);
export const deepseek = fromPreset(PRESETS.deepseek);
export const groq = fromPreset(PRESETS.groq);
export const together = fromPreset(PRESETS.together);
export const fireworks = fromPreset(PRESETS.fireworks);
export const mistral = fromPreset(PRESETS.mistral);
export const xai = fromPreset(PRESETS.xai);
export const openrouter = fromPreset(PRESETS.openrouter);
export const perplexity = fromPreset(PRESETS.perplexity);
export const cerebras = fromPreset(PRESETS.cerebras);
export const ollama = fromPreset(PRESETS.ollama);
export const vllm = fromPreset(PRESETS.vllm);

/** Any OpenAI-compatible server: `openaiCompatible({ name: 'lab', baseURL: 'http://10.0.0.5:8000/v1' })`. */
export function openaiCompatible(options: OpenAICompatibleOptions & { name: string; baseURL: string }) {
  return fromPreset({
    name: options.name, baseURL: options.baseURL, keyEnv: `${options.name.toUpperCase().replace(/-/g, '_')}_API_KEY`,
    baseURLEnv: `${options.name.toUpperCase().replace(/-/g, '_')}_BASE_URL`, keyless: true, models: [], streamUsage: true,
  })(options);
}

export { PRESETS };
