/**
 * `azureOpenAI()`: Azure OpenAI Service deployments.
 *
 *   azureOpenAI({
 *     endpoint: 'https://my-resource.openai.azure.com',   // or AZURE_OPENAI_ENDPOINT
 *     apiKey: '...',                                      // or AZURE_OPENAI_API_KEY
 *     apiVersion: '2024-10-21',                           // or OPENAI_API_VERSION; default 2024-10-21
 *     deployments: { 'gpt-4o': 'prod-gpt4o', 'text-embedding-3-small': 'embed-small' },
 *   })
 *
 * Clients ask for the model name ("gpt-4o" or "azure-openai/gpt-4o"); the request goes to the
 * mapped deployment (a name without a mapping is used as the deployment name). `useV1Api: true`
 * switches to the v1 API ({endpoint}/openai/v1/chat/completions, model = deployment name).
 * Routing of bare names: names in `deployments` are listed by /v1/models; when `deployments` is not
 * given, bare names that look like Azure OpenAI models (gpt-*, o1/o3/o4*, text-embedding-*) are
 * claimed. Set `claimModels: false` to route only "azure-openai/<model>" and listed names.
 */
import { definePlugin } from '../../../core/plugin.js';
import { AzureOpenAIAdapter } from './adapter.js';

export const AZURE_OPENAI_DEFAULT_API_VERSION = '2024-10-21';

export interface AzureOpenAIOptions {
  /** Provider name used in "provider/model". Default 'azure-openai'. */
  name?: string;
  /** https://<resource>.openai.azure.com. Default: AZURE_OPENAI_ENDPOINT. */
  endpoint?: string;
  /** Alias of `endpoint`. */
  baseURL?: string;
  /** Default: AZURE_OPENAI_API_KEY. Sent as the `api-key` header. */
  apiKey?: string;
  /** Default: OPENAI_API_VERSION, else 2024-10-21 (the GA version). Ignored with useV1Api. */
  apiVersion?: string;
  /** Model name (what clients ask for) -> deployment name. */
  deployments?: Record<string, string>;
  /** Use {endpoint}/openai/v1/... with `model` = deployment name. Default false. */
  useV1Api?: boolean;
  /** Claim bare gpt-* / o* / text-embedding-* names (default: only when `deployments` is not given). */
  claimModels?: boolean;
  /** Extra headers for every upstream request. */
  headers?: Record<string, string>;
  /** Per-provider upstream timeout (ms). */
  timeoutMs?: number;
}

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]*$' },
    endpoint: { type: 'string', pattern: '^https?://' },
    baseURL: { type: 'string', pattern: '^https?://' },
    apiKey: { type: 'string', minLength: 1 },
    apiVersion: { type: 'string', pattern: '^(\\d{4}-\\d{2}-\\d{2}(-preview)?|preview|latest|v1)$' },
    deployments: { type: 'object', additionalProperties: { type: 'string', minLength: 1 } },
    useV1Api: { type: 'boolean' },
    claimModels: { type: 'boolean' },
    headers: { type: 'object', additionalProperties: { type: 'string' } },
    timeoutMs: { type: 'integer', minimum: 1 },
  },
};

const AZURE_MODEL_NAMES = /^(gpt-|chatgpt-|o[1-9]|text-embedding-)/;

export const azureOpenAI = definePlugin<AzureOpenAIOptions>({
  name: (o) => o.name ?? 'azure-openai',
  schema,
  apply(gateway, o) {
    const name = o.name ?? 'azure-openai';
    const apiKey = o.apiKey ?? process.env.AZURE_OPENAI_API_KEY;
    if (!apiKey) {
      throw new Error(`Provider "${name}" has no API key: set AZURE_OPENAI_API_KEY in the environment or pass { apiKey }.`);
    }
    const raw = o.endpoint ?? o.baseURL ?? process.env.AZURE_OPENAI_ENDPOINT;
    if (!raw) {
      throw new Error(`Provider "${name}" has no endpoint: set AZURE_OPENAI_ENDPOINT (https://<resource>.openai.azure.com) or pass { endpoint }.`);
    }
    // Accept the endpoint with a trailing "/" or "/openai" as people copy it from the portal.
    const endpoint = raw.replace(/\/+$/, '').replace(/\/openai$/, '');
    if (!/^https?:\/\/[^/]/.test(endpoint)) {
      throw new Error(`Provider "${name}": endpoint "${endpoint}" (from ${o.endpoint || o.baseURL ? 'options' : 'AZURE_OPENAI_ENDPOINT'}) must start with http:// or https://.`);
    }
    const apiVersion = o.apiVersion ?? process.env.OPENAI_API_VERSION ?? AZURE_OPENAI_DEFAULT_API_VERSION;
    const claim = o.claimModels ?? !o.deployments;
    gateway.providers.register(new AzureOpenAIAdapter({
      name,
      endpoint,
      apiKey,
      apiVersion,
      deployments: o.deployments ?? {},
      useV1Api: o.useV1Api ?? false,
      claims: claim ? AZURE_MODEL_NAMES : undefined,
      headers: o.headers,
      timeoutMs: o.timeoutMs,
    }, gateway.upstream));
  },
});

export { AzureOpenAIAdapter };
