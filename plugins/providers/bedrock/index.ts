/**
 * Amazon Bedrock provider: chat through the Converse / ConverseStream APIs
 * (POST {base}/model/{modelId}/converse and /converse-stream, modelId URL-encoded), embeddings
 * through InvokeModel for Titan Text Embeddings (v2: {inputText, dimensions, normalize}) and
 * Cohere Embed ({texts, input_type}).
 *
 * Auth, first match wins: options.apiKey (a Bedrock API key, sent as `Authorization: Bearer`);
 * options.accessKeyId + secretAccessKey (+ sessionToken), signed with SigV4 (service "bedrock");
 * env AWS_BEARER_TOKEN_BEDROCK; env AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN).
 * Region: options.region, AWS_REGION, AWS_DEFAULT_REGION. Base URL: options.baseURL,
 * BEDROCK_BASE_URL, else https://bedrock-runtime.{region}.amazonaws.com. Rerank (POST /v1/rerank) goes to the
 * Agents for Amazon Bedrock runtime's Rerank API: options.agentRuntimeBaseURL, BEDROCK_AGENT_RUNTIME_BASE_URL,
 * else https://bedrock-agent-runtime.{region}.amazonaws.com (it needs a region, for the model's ARN).
 *
 * Translation rules are listed in request.ts: in short, images only as data: URLs (http URLs are
 * a 400, Converse needs bytes), tool_choice "none" omits the tools, response_format JSON becomes a
 * system instruction, and unsupported parameters are dropped and named in
 * x-switchyard-dropped-params. reasoningContent comes back as `reasoning_content`.
 */
import { definePlugin, PluginOptionsError } from '../../../core/plugin.js';
import { baseURLFrom, PROVIDER_OPTIONS } from '../../../core/provider-options.js';
import { BedrockAdapter, type Auth } from './adapter.js';

export { BedrockAdapter } from './adapter.js';

export interface BedrockOptions {
  name?: string;
  region?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  /** Bedrock API key (bearer token). */
  apiKey?: string;
  /** Override of https://bedrock-runtime.{region}.amazonaws.com (tests, VPC endpoints, proxies). */
  baseURL?: string;
  /** Override of https://bedrock-agent-runtime.{region}.amazonaws.com, where rerank goes. */
  agentRuntimeBaseURL?: string;
  /** Models to advertise (replaces the built-in list). */
  models?: string[];
  timeoutMs?: number;
}

/** Current Bedrock model ids (in-region and cross-region inference profiles). */
export const BEDROCK_MODELS: string[] = [
  'anthropic.claude-sonnet-4-5-20250929-v1:0',
  'us.anthropic.claude-sonnet-4-5-20250929-v1:0',
  'eu.anthropic.claude-sonnet-4-5-20250929-v1:0',
  'global.anthropic.claude-sonnet-4-5-20250929-v1:0',
  'anthropic.claude-haiku-4-5-20251001-v1:0',
  'us.anthropic.claude-haiku-4-5-20251001-v1:0',
  'anthropic.claude-opus-4-1-20250805-v1:0',
  'us.anthropic.claude-opus-4-1-20250805-v1:0',
  'anthropic.claude-opus-4-20250514-v1:0',
  'us.anthropic.claude-opus-4-20250514-v1:0',
  'anthropic.claude-sonnet-4-20250514-v1:0',
  'us.anthropic.claude-sonnet-4-20250514-v1:0',
  'eu.anthropic.claude-sonnet-4-20250514-v1:0',
  'apac.anthropic.claude-sonnet-4-20250514-v1:0',
  'anthropic.claude-3-7-sonnet-20250219-v1:0',
  'us.anthropic.claude-3-7-sonnet-20250219-v1:0',
  'anthropic.claude-3-5-sonnet-20241022-v2:0',
  'us.anthropic.claude-3-5-sonnet-20241022-v2:0',
  'anthropic.claude-3-5-haiku-20241022-v1:0',
  'us.anthropic.claude-3-5-haiku-20241022-v1:0',
  'anthropic.claude-3-haiku-20240307-v1:0',
  'amazon.nova-premier-v1:0',
  'us.amazon.nova-premier-v1:0',
  'amazon.nova-pro-v1:0',
  'us.amazon.nova-pro-v1:0',
  'amazon.nova-lite-v1:0',
  'us.amazon.nova-lite-v1:0',
  'amazon.nova-micro-v1:0',
  'us.amazon.nova-micro-v1:0',
  'us.meta.llama4-maverick-17b-instruct-v1:0',
  'us.meta.llama4-scout-17b-instruct-v1:0',
  'meta.llama3-3-70b-instruct-v1:0',
  'us.meta.llama3-3-70b-instruct-v1:0',
  'meta.llama3-1-70b-instruct-v1:0',
  'meta.llama3-1-8b-instruct-v1:0',
  'us.meta.llama3-2-90b-instruct-v1:0',
  'us.meta.llama3-2-11b-instruct-v1:0',
  'mistral.mistral-large-2407-v1:0',
  'mistral.mistral-large-2402-v1:0',
  'mistral.mistral-small-2402-v1:0',
  'us.mistral.pixtral-large-2502-v1:0',
  'amazon.titan-embed-text-v2:0',
  'cohere.embed-english-v3',
  'cohere.embed-multilingual-v3',
];

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name: PROVIDER_OPTIONS.name,
    region: { type: 'string', pattern: '^[a-z0-9-]+$' },
    accessKeyId: { type: 'string', minLength: 1 },
    secretAccessKey: { type: 'string', minLength: 1 },
    sessionToken: { type: 'string', minLength: 1 },
    apiKey: PROVIDER_OPTIONS.apiKey,
    baseURL: PROVIDER_OPTIONS.baseURL,
    agentRuntimeBaseURL: PROVIDER_OPTIONS.baseURL,
    models: PROVIDER_OPTIONS.models,
    timeoutMs: PROVIDER_OPTIONS.timeoutMs,
  },
};

function resolveAuth(name: string, o: BedrockOptions, env: NodeJS.ProcessEnv): Auth {
  if (o.apiKey) return { kind: 'bearer', token: o.apiKey };
  if (o.accessKeyId || o.secretAccessKey) {
    if (!o.accessKeyId || !o.secretAccessKey) {
      throw new PluginOptionsError(
        name,
        o.accessKeyId ? 'secretAccessKey' : 'accessKeyId',
        'is required with ' + (o.accessKeyId ? 'accessKeyId' : 'secretAccessKey'),
        'Pass both accessKeyId and secretAccessKey (or neither)',
      );
    }
    return {
      kind: 'sigv4',
      credentials: { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey, sessionToken: o.sessionToken },
    };
  }
  if (env.AWS_BEARER_TOKEN_BEDROCK) return { kind: 'bearer', token: env.AWS_BEARER_TOKEN_BEDROCK };
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    return {
      kind: 'sigv4',
      credentials: {
        accessKeyId: env.AWS_ACCESS_KEY_ID,
        secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
        sessionToken: o.sessionToken ?? (env.AWS_SESSION_TOKEN || undefined),
      },
    };
  }
  throw new PluginOptionsError(
    name,
    'accessKeyId',
    'is required: no AWS credentials were given',
    'Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary credentials), ' +
      'or a Bedrock API key in AWS_BEARER_TOKEN_BEDROCK, or pass { accessKeyId, secretAccessKey } or { apiKey }.',
  );
}

export const bedrock = definePlugin<BedrockOptions>({
  name: (o) => o.name ?? 'bedrock',
  schema,
  apply(gateway, o) {
    const name = o.name ?? 'bedrock';
    const env = process.env;
    const auth = resolveAuth(name, o, env);
    const region = o.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? '';
    const configuredBase = o.baseURL ?? env.BEDROCK_BASE_URL;
    if (!region && (auth.kind === 'sigv4' || !configuredBase)) {
      throw new PluginOptionsError(
        name,
        'region',
        'is required: no AWS region was given',
        'Set AWS_REGION (or AWS_DEFAULT_REGION) or pass { region }.',
      );
    }
    if (region && !/^[a-z0-9-]+$/.test(region)) {
      throw new PluginOptionsError(
        name,
        'region',
        `is not a valid AWS region name (got ${JSON.stringify(region)} from ${o.region ? 'region' : 'AWS_REGION'})`,
      );
    }
    const baseURL = baseURLFrom(name, {
      given: o.baseURL,
      env: 'BEDROCK_BASE_URL',
      fallback: `https://bedrock-runtime.${region}.amazonaws.com`,
    });
    gateway.providers.register(
      new BedrockAdapter(
        {
          name,
          baseURL,
          region,
          auth,
          models: o.models ?? BEDROCK_MODELS,
          timeoutMs: o.timeoutMs,
          agentRuntimeURL: region
            ? baseURLFrom(name, {
                given: o.agentRuntimeBaseURL,
                option: 'agentRuntimeBaseURL',
                env: 'BEDROCK_AGENT_RUNTIME_BASE_URL',
                fallback: `https://bedrock-agent-runtime.${region}.amazonaws.com`,
              })
            : undefined,
        },
        gateway.upstream,
      ),
    );
  },
});
