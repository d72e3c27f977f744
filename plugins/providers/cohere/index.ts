/**
 * `cohere()`: Cohere's Chat API v2 and Embed API v2 behind the OpenAI-compatible gateway.
 *
 *   cohere({ apiKey: '...' })          // or COHERE_API_KEY; base URL: COHERE_BASE_URL, else https://api.cohere.com
 *   cohere({ embedInputType: 'search_query' })
 *
 * Bare model names starting with command, embed-, c4ai- or rerank-v / rerank-english- / rerank-multilingual- are
 * routed here; POST /v1/rerank goes to Cohere's /v2/rerank as the client sent it. Embeddings use
 * input_type `embedInputType` (default search_document) unless the request carries `input_type`.
 */
import { definePlugin } from '../../../core/plugin.js';
import { apiKeyFrom, baseURLFrom, PROVIDER_OPTIONS } from '../../../core/provider-options.js';
import { CohereAdapter } from './adapter.js';
import type { CohereInputType } from './request.js';

export const COHERE_DEFAULT_BASE_URL = 'https://api.cohere.com';

export const COHERE_MODELS = [
  'command-a-03-2025',
  'command-a-reasoning-08-2025',
  'command-a-vision-07-2025',
  'command-a-translate-08-2025',
  'command-r7b-12-2024',
  'command-r-plus-08-2024',
  'command-r-08-2024',
  'command-r-plus',
  'command-r',
  'embed-v4.0',
  'embed-english-v3.0',
  'embed-english-light-v3.0',
  'embed-multilingual-v3.0',
  'embed-multilingual-light-v3.0',
  'rerank-v4.0-pro',
  'rerank-v4.0-fast',
  'rerank-v3.5',
  'rerank-english-v3.0',
  'rerank-multilingual-v3.0',
];

export interface CohereOptions {
  /** Provider name used in "provider/model". Default 'cohere'. */
  name?: string;
  /** Default: COHERE_BASE_URL, else https://api.cohere.com (a trailing /v2 is accepted). */
  baseURL?: string;
  /** Default: COHERE_API_KEY. */
  apiKey?: string;
  /** Models to advertise (replaces the built-in list). */
  models?: string[];
  /** input_type sent to /v2/embed when the request has none. Default 'search_document'. */
  embedInputType?: CohereInputType;
  /** Extra headers for every upstream request (e.g. X-Client-Name). */
  headers?: Record<string, string>;
  /** Per-provider upstream timeout (ms). */
  timeoutMs?: number;
}

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...PROVIDER_OPTIONS,
    embedInputType: { enum: ['search_document', 'search_query', 'classification', 'clustering'] },
  },
};

export const cohere = definePlugin<CohereOptions>({
  name: (o) => o.name ?? 'cohere',
  schema,
  apply(gateway, o) {
    const name = o.name ?? 'cohere';
    const apiKey = apiKeyFrom(name, o.apiKey, ['COHERE_API_KEY']);
    const baseURL = baseURLFrom(name, {
      given: o.baseURL,
      env: 'COHERE_BASE_URL',
      fallback: COHERE_DEFAULT_BASE_URL,
      strip: /\/v[12]$/,
    });
    gateway.providers.register(
      new CohereAdapter(
        {
          name,
          baseURL,
          apiKey,
          models: o.models ?? COHERE_MODELS,
          claims: /^(command|embed-|c4ai-|rerank-v|rerank-(english|multilingual)-)/,
          embedInputType: o.embedInputType ?? 'search_document',
          headers: o.headers,
          timeoutMs: o.timeoutMs,
        },
        gateway.upstream,
      ),
    );
  },
});

export { CohereAdapter };
