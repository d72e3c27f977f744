/**
 * Provider plugins for OpenAI and OpenAI-compatible APIs: `openai()`, `deepseek()`, `groq()`, ...
 * and `openaiCompatible({ name, baseURL })` for any other compatible server.
 */
import { checkOptions, definePlugin, PluginOptionsError } from '../../../core/plugin.js';
import { apiKeyFrom, baseURLFrom, PROVIDER_OPTIONS } from '../../../core/provider-options.js';
import { OpenAICompatibleAdapter } from './adapter.js';
import { PRESETS, type Preset } from './presets.js';

export { OpenAICompatibleAdapter } from './adapter.js';
export { PRESETS, type Preset, type PresetName } from './presets.js';

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
  /**
   * The server serves POST {baseURL}/rerank in Jina's format (Jina AI, vLLM, Infinity: `top_n`, `results`) or
   * Voyage's (`top_k`, `data`), used by POST /v1/rerank. Default: the preset's ('jina' for `jina`, 'voyage' for
   * `voyage`), else none (the provider does not rerank).
   */
  rerank?: 'jina' | 'voyage';
  /**
   * List the upstream's own models (GET {baseURL}/models) in GET /v1/models and route their bare ids
   * here; refreshed every `refreshMs` (default 10 minutes). Default: on when no model list is
   * configured (openaiCompatible, ollama, vllm), off otherwise.
   */
  discoverModels?: boolean | { refreshMs?: number };
}

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...PROVIDER_OPTIONS,
    streamUsage: { type: 'boolean' },
    responsesApi: { type: 'boolean' },
    rerank: { enum: ['jina', 'voyage'] },
    discoverModels: {
      anyOf: [
        { type: 'boolean' },
        {
          type: 'object',
          additionalProperties: false,
          properties: { refreshMs: { type: 'integer', minimum: 10_000 } },
        },
      ],
    },
  },
};

function fromPreset(preset: Preset) {
  return definePlugin<OpenAICompatibleOptions>({
    name: (o) => o.name ?? preset.name,
    schema,
    apply(gateway, o) {
      const name = o.name ?? preset.name;
      const apiKey = apiKeyFrom(name, o.apiKey, [preset.keyEnv], preset.keyless ?? false);
      if (!(o.baseURL ?? process.env[preset.baseURLEnv] ?? preset.baseURL)) {
        throw new PluginOptionsError(
          name,
          'baseURL',
          "is required: the server's API base, with its version path",
          `Pass { baseURL: 'http://127.0.0.1:8000/v1' } or set ${preset.baseURLEnv}.`,
        );
      }
      const baseURL = baseURLFrom(name, {
        given: o.baseURL,
        env: preset.baseURLEnv,
        fallback: preset.baseURL,
        fallbackLabel: 'the preset',
      });
      const models = o.models ?? preset.models;
      const discover = o.discoverModels ?? models.length === 0;
      const adapter = new OpenAICompatibleAdapter(
        {
          name,
          baseURL,
          apiKey,
          headers: o.headers,
          models,
          claims: o.name && o.name !== preset.name ? undefined : preset.claims,
          streamUsage: o.streamUsage ?? preset.streamUsage,
          timeoutMs: o.timeoutMs,
          responsesApi: o.responsesApi ?? preset.responsesApi ?? false,
          rerank: o.rerank ?? preset.rerank,
          ...(discover
            ? {
                discovery: {
                  log: gateway.log,
                  options:
                    typeof o.discoverModels === 'object' && o.discoverModels.refreshMs
                      ? { refreshMs: o.discoverModels.refreshMs }
                      : {},
                },
              }
            : {}),
        },
        gateway.upstream,
      );
      gateway.providers.register(adapter);
      if (discover) gateway.hooks.ready.tap(`${name}:discovery`, () => adapter.startDiscovery());
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
export const jina = fromPreset(PRESETS.jina);
export const voyage = fromPreset(PRESETS.voyage);
export const ollama = fromPreset(PRESETS.ollama);
export const vllm = fromPreset(PRESETS.vllm);

/**
 * Any OpenAI-compatible server: `openaiCompatible({ name: 'lab', baseURL: 'http://10.0.0.5:8000/v1' })`.
 * The base URL may come from `<NAME>_BASE_URL` instead (LAB_BASE_URL here), the key from `<NAME>_API_KEY`.
 */
export function openaiCompatible(options: OpenAICompatibleOptions & { name: string }) {
  if ((options as OpenAICompatibleOptions | undefined)?.name === undefined) {
    throw new PluginOptionsError(
      'openai-compatible',
      'name',
      'is required',
      "Name the server, e.g. openaiCompatible({ name: 'lab', baseURL: 'http://10.0.0.5:8000/v1' })",
    );
  }
  // The name makes the env variable names: check the options now, under the generic plugin name.
  checkOptions('openai-compatible', schema, options);
  const env = options.name.toUpperCase().replace(/-/g, '_');
  return fromPreset({
    name: options.name,
    baseURL: '',
    keyEnv: `${env}_API_KEY`,
    baseURLEnv: `${env}_BASE_URL`,
    keyless: true,
    models: [],
    streamUsage: true,
  })(options);
}
