/**
 * OpenAI and the OpenAI-compatible providers with their real default base URLs and env variables.
 * `<NAME>_API_KEY` holds the key; `<NAME>_BASE_URL` overrides the base URL and, like the official
 * SDK's OPENAI_BASE_URL, includes the version path (…/v1). The model lists are the well-known models
 * advertised by GET /v1/models; any other model id still works as "provider/model".
 */

export interface Preset {
  name: string;
  baseURL: string;
  keyEnv: string;
  baseURLEnv: string;
  /** No key needed (local servers); enabled from the environment by its base URL. */
  keyless?: boolean;
  models: string[];
  claims?: RegExp;
  /** Whether the API accepts stream_options.include_usage (others report usage unasked or not at all). */
  streamUsage: boolean;
  /** The API also serves the OpenAI Responses API (POST /responses), used natively by /v1/responses. */
  responsesApi?: boolean;
  /** The API serves POST /rerank in this format (used by /v1/rerank). */
  rerank?: 'jina' | 'voyage';
}

const preset = (p: Preset) => p;

export const PRESETS = {
  openai: preset({
    name: 'openai',
    baseURL: 'https://api.openai.com/v1',
    keyEnv: 'OPENAI_API_KEY',
    baseURLEnv: 'OPENAI_BASE_URL',
    models: [
      'gpt-4.1',
      'gpt-4.1-mini',
      'gpt-4.1-nano',
      'gpt-4o',
      'gpt-4o-mini',
      'o3',
      'o4-mini',
      'gpt-5',
      'gpt-5-mini',
      'gpt-5-nano',
      'text-embedding-3-small',
      'text-embedding-3-large',
    ],
    claims: /^(gpt-|o[1-9](-|$)|chatgpt-|text-embedding-|omni-moderation|text-moderation-|dall-e-|tts-|whisper-)/,
    streamUsage: true,
    responsesApi: true,
  }),
  deepseek: preset({
    name: 'deepseek',
    baseURL: 'https://api.deepseek.com/v1',
    keyEnv: 'DEEPSEEK_API_KEY',
    baseURLEnv: 'DEEPSEEK_BASE_URL',
    models: ['deepseek-chat', 'deepseek-reasoner'],
    claims: /^deepseek-/,
    streamUsage: true,
  }),
  groq: preset({
    name: 'groq',
    baseURL: 'https://api.groq.com/openai/v1',
    keyEnv: 'GROQ_API_KEY',
    baseURLEnv: 'GROQ_BASE_URL',
    models: ['llama-3.3-70b-versatile', 'llama-3.1-8b-instant', 'openai/gpt-oss-120b', 'openai/gpt-oss-20b'],
    streamUsage: true,
  }),
  together: preset({
    name: 'together',
    baseURL: 'https://api.together.xyz/v1',
    keyEnv: 'TOGETHER_API_KEY',
    baseURLEnv: 'TOGETHER_BASE_URL',
    models: ['meta-llama/Llama-3.3-70B-Instruct-Turbo', 'deepseek-ai/DeepSeek-V3', 'Qwen/Qwen2.5-72B-Instruct-Turbo'],
    streamUsage: false,
  }),
  fireworks: preset({
    name: 'fireworks',
    baseURL: 'https://api.fireworks.ai/inference/v1',
    keyEnv: 'FIREWORKS_API_KEY',
    baseURLEnv: 'FIREWORKS_BASE_URL',
    models: ['accounts/fireworks/models/llama-v3p3-70b-instruct', 'accounts/fireworks/models/deepseek-v3'],
    streamUsage: true,
  }),
  mistral: preset({
    name: 'mistral',
    baseURL: 'https://api.mistral.ai/v1',
    keyEnv: 'MISTRAL_API_KEY',
    baseURLEnv: 'MISTRAL_BASE_URL',
    models: [
      'mistral-large-latest',
      'mistral-medium-latest',
      'mistral-small-latest',
      'codestral-latest',
      'mistral-embed',
    ],
    claims: /^(mistral-|codestral|pixtral|ministral|magistral|devstral|open-mistral)/,
    streamUsage: false, // Mistral reports usage in the last chunk unasked and rejects unknown fields
  }),
  xai: preset({
    name: 'xai',
    baseURL: 'https://api.x.ai/v1',
    keyEnv: 'XAI_API_KEY',
    baseURLEnv: 'XAI_BASE_URL',
    models: ['grok-4', 'grok-3', 'grok-3-mini'],
    claims: /^grok-/,
    streamUsage: true,
  }),
  openrouter: preset({
    name: 'openrouter',
    baseURL: 'https://openrouter.ai/api/v1',
    keyEnv: 'OPENROUTER_API_KEY',
    baseURLEnv: 'OPENROUTER_BASE_URL',
    models: ['openrouter/auto'],
    streamUsage: true,
  }),
  perplexity: preset({
    name: 'perplexity',
    baseURL: 'https://api.perplexity.ai',
    keyEnv: 'PERPLEXITY_API_KEY',
    baseURLEnv: 'PERPLEXITY_BASE_URL',
    models: ['sonar', 'sonar-pro', 'sonar-reasoning', 'sonar-reasoning-pro', 'sonar-deep-research'],
    claims: /^sonar/,
    streamUsage: false,
  }),
  cerebras: preset({
    name: 'cerebras',
    baseURL: 'https://api.cerebras.ai/v1',
    keyEnv: 'CEREBRAS_API_KEY',
    baseURLEnv: 'CEREBRAS_BASE_URL',
    models: ['llama-3.3-70b', 'llama3.1-8b', 'gpt-oss-120b', 'qwen-3-32b'],
    streamUsage: false,
  }),
  jina: preset({
    name: 'jina',
    baseURL: 'https://api.jina.ai/v1',
    keyEnv: 'JINA_API_KEY',
    baseURLEnv: 'JINA_BASE_URL',
    models: ['jina-reranker-v2-base-multilingual', 'jina-reranker-m0', 'jina-embeddings-v3'],
    claims: /^jina-/,
    streamUsage: false,
    rerank: 'jina',
  }),
  voyage: preset({
    name: 'voyage',
    baseURL: 'https://api.voyageai.com/v1',
    keyEnv: 'VOYAGE_API_KEY',
    baseURLEnv: 'VOYAGE_BASE_URL',
    models: ['rerank-2.5', 'rerank-2.5-lite', 'voyage-3.5', 'voyage-3.5-lite'],
    claims: /^(voyage-|rerank-(lite-)?[0-9])/,
    streamUsage: false,
    rerank: 'voyage',
  }),
  ollama: preset({
    name: 'ollama',
    baseURL: 'http://127.0.0.1:11434/v1',
    keyEnv: 'OLLAMA_API_KEY',
    baseURLEnv: 'OLLAMA_BASE_URL',
    keyless: true,
    models: [],
    streamUsage: true,
  }),
  vllm: preset({
    name: 'vllm',
    baseURL: 'http://127.0.0.1:8000/v1',
    keyEnv: 'VLLM_API_KEY',
    baseURLEnv: 'VLLM_BASE_URL',
    keyless: true,
    models: [],
    streamUsage: true,
  }),
} satisfies Record<string, Preset>;

export type PresetName = keyof typeof PRESETS;
