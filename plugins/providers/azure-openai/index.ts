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
import { definePlugin, PluginOptionsError } from '../../../core/plugin.js';
import { apiKeyFrom, checkBaseURL, PROVIDER_OPTIONS } from '../../../core/provider-options.js';
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

const P = PROVIDER_OPTIONS;

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name: P.name,
    endpoint: P.baseURL,
    baseURL: P.baseURL,
    apiKey: P.apiKey,
    apiVersion: { type: 'string', pattern: '^(\\d{4}-\\d{2}-\\d{2}(-preview)?|preview|latest|v1)$' },
    deployments: { type: 'object', additionalProperties: { type: 'string', minLength: 1 } },
    useV1Api: { type: 'boolean' },
    claimModels: { type: 'boolean' },
    headers: P.headers,
    timeoutMs: P.timeoutMs,
  },
};

const AZURE_MODEL_NAMES = /^(gpt-|chatgpt-|o[1-9]|text-embedding-)/;

export const azureOpenAI = definePlugin<AzureOpenAIOptions>({
  name: (o) => o.name ?? 'azure-openai',
  schema,
  apply(gateway, o) {
    const name = o.name ?? 'azure-openai';
    const apiKey = apiKeyFrom(name, o.apiKey, ['AZURE_OPENAI_API_KEY']);
    const raw = o.endpoint ?? o.baseURL ?? process.env.AZURE_OPENAI_ENDPOINT;
    if (!raw) {
      throw new PluginOptionsError(
        name,
        'endpoint',
        'is required: no endpoint was given',
        'Set AZURE_OPENAI_ENDPOINT (https://<resource>.openai.azure.com) or pass { endpoint }.',
      );
    }
    // Accept the endpoint with a trailing "/" or "/openai" as people copy it from the portal.
    const option = o.endpoint ? 'endpoint' : o.baseURL ? 'baseURL' : 'AZURE_OPENAI_ENDPOINT';
    const endpoint = checkBaseURL(name, raw, option, o.baseURL && !o.endpoint ? 'baseURL' : 'endpoint').replace(
      /\/openai$/,
      '',
    );
    const apiVersion = o.apiVersion ?? process.env.OPENAI_API_VERSION ?? AZURE_OPENAI_DEFAULT_API_VERSION;
    const claim = o.claimModels ?? !o.deployments;
    gateway.providers.register(
      new AzureOpenAIAdapter(
        {
          name,
          endpoint,
          apiKey,
          apiVersion,
          deployments: o.deployments ?? {},
          useV1Api: o.useV1Api ?? false,
          claims: claim ? AZURE_MODEL_NAMES : undefined,
          headers: o.headers,
          timeoutMs: o.timeoutMs,
        },
        gateway.upstream,
      ),
    );
  },
});

export { AzureOpenAIAdapter };
