/**
 * Gemini provider plugins.
 *
 * `gemini()` — the Gemini API (Google AI Studio):
 *   POST {baseURL}/v1beta/models/{model}:generateContent
 *   POST {baseURL}/v1beta/models/{model}:streamGenerateContent?alt=sse
 *   POST {baseURL}/v1beta/models/{model}:batchEmbedContents        (embeddings)
 *   POST {baseURL}/v1beta/models/{model}:predict                   (image generations on Imagen models)
 *   key in `x-goog-api-key`; key from { apiKey } or GEMINI_API_KEY (or GOOGLE_API_KEY); base URL from
 *   { baseURL } or GEMINI_BASE_URL, default https://generativelanguage.googleapis.com. Bare model
 *   names matching /^gemini-/ are routed here.
 *
 * `vertex()` — Gemini on Vertex AI:
 *   POST {base}/v1/projects/{project}/locations/{location}/publishers/google/models/{model}:generateContent
 *   (and :streamGenerateContent?alt=sse, :predict for embeddings and Imagen),
 *   base = https://{location}-aiplatform.googleapis.com
 *   (https://aiplatform.googleapis.com for location "global") unless { baseURL } / VERTEX_BASE_URL.
 *   Auth `Authorization: Bearer <token>` from { accessToken } / VERTEX_ACCESS_TOKEN, or a service
 *   account ({ serviceAccount: key object | JSON | file path } / GOOGLE_APPLICATION_CREDENTIALS) whose
 *   RS256 JWT is exchanged at its token_uri ({ tokenURL } overrides) for cached access tokens.
 *   project: { project } / VERTEX_PROJECT / GOOGLE_CLOUD_PROJECT / the key's project_id;
 *   location: { location } / VERTEX_LOCATION / GOOGLE_CLOUD_LOCATION / us-central1.
 *   Claims no bare model names (use "vertex/<model>" or aliases) unless { claimGemini: true }.
 *
 * Translation rules: see request.ts (request, schema cleaning, dropped params), response.ts (finish
 * reasons, usage, prompt blocking) and stream.ts (stream completion); errors: errors.ts.
 */
import { maskSecret } from '../../../core/mask.js';
import { definePlugin, PluginOptionsError } from '../../../core/plugin.js';
import { apiKeyFrom, baseURLFrom, checkBaseURL, PROVIDER_OPTIONS } from '../../../core/provider-options.js';
import { GeminiAdapter } from './adapter.js';
import {
  loadServiceAccount,
  ServiceAccountTokens,
  StaticToken,
  type ServiceAccountKey,
  type TokenSource,
} from './vertex-auth.js';

export const GEMINI_MODELS = [
  'gemini-3-pro-preview',
  'gemini-3-flash-preview',
  'gemini-2.5-pro',
  'gemini-2.5-flash',
  'gemini-2.5-flash-lite',
  'gemini-2.0-flash',
  'gemini-2.0-flash-lite',
  'gemini-embedding-001',
  'text-embedding-004',
  'imagen-4.0-generate-001',
  'imagen-4.0-fast-generate-001',
  'imagen-4.0-ultra-generate-001',
];

export const VERTEX_MODELS = [
  'gemini-3-pro-preview',
  'gemini-2.5-pro',
  'gemini-2.5-flash',
  'gemini-2.5-flash-lite',
  'gemini-2.0-flash-001',
  'gemini-2.0-flash-lite-001',
  'gemini-embedding-001',
  'text-embedding-005',
  'text-multilingual-embedding-002',
  'imagen-4.0-generate-001',
  'imagen-4.0-fast-generate-001',
  'imagen-4.0-ultra-generate-001',
  'imagen-3.0-generate-002',
  'imagen-3.0-fast-generate-001',
];

interface CommonOptions {
  /** Provider name used in "provider/model" and headers. */
  name?: string;
  /** Extra headers for every upstream request. */
  headers?: Record<string, string>;
  /** Models to advertise (replaces the default list). */
  models?: string[];
  /** Per-provider upstream timeout (ms). */
  timeoutMs?: number;
}

export interface GeminiOptions extends CommonOptions {
  /** Default: GEMINI_API_KEY, else GOOGLE_API_KEY. */
  apiKey?: string;
  /** Default: GEMINI_BASE_URL, else https://generativelanguage.googleapis.com (no version path). */
  baseURL?: string;
  /** API version path segment. Default v1beta. */
  apiVersion?: string;
}

export interface VertexOptions extends CommonOptions {
  project?: string;
  location?: string;
  /** Overrides https://{location}-aiplatform.googleapis.com (no version path). Env VERTEX_BASE_URL. */
  baseURL?: string;
  /** A ready OAuth access token (env VERTEX_ACCESS_TOKEN). */
  accessToken?: string;
  /** Service-account key: the parsed object, its JSON text, or a file path (env GOOGLE_APPLICATION_CREDENTIALS). */
  serviceAccount?: ServiceAccountKey | string;
  /** Token endpoint override (default: the key's token_uri, else https://oauth2.googleapis.com/token). */
  tokenURL?: string;
  /** Also route bare /^gemini-/ model names here. Default false. */
  claimGemini?: boolean;
}

const { apiKey: _, ...common } = PROVIDER_OPTIONS;

const geminiSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...PROVIDER_OPTIONS,
    apiVersion: { type: 'string', pattern: '^v[0-9a-z]+$' },
  },
};

const vertexSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...common,
    project: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]*$' },
    location: { type: 'string', pattern: '^[a-z0-9-]+$' },
    accessToken: { type: 'string', minLength: 1 },
    serviceAccount: {
      anyOf: [
        { type: 'string', minLength: 1 },
        {
          type: 'object',
          required: ['client_email', 'private_key'],
          properties: { client_email: { type: 'string' }, private_key: { type: 'string' } },
        },
      ],
    },
    tokenURL: { type: 'string', pattern: '^https?://' },
    claimGemini: { type: 'boolean' },
  },
};

export const gemini = definePlugin<GeminiOptions>({
  name: (o) => o.name ?? 'gemini',
  schema: geminiSchema,
  apply(gateway, o) {
    const name = o.name ?? 'gemini';
    const apiKey = apiKeyFrom(name, o.apiKey, ['GEMINI_API_KEY', 'GOOGLE_API_KEY']);
    const baseURL = baseURLFrom(name, {
      given: o.baseURL,
      env: 'GEMINI_BASE_URL',
      fallback: 'https://generativelanguage.googleapis.com',
    });
    const version = o.apiVersion ?? 'v1beta';
    gateway.providers.register(
      new GeminiAdapter(
        {
          name,
          flavor: 'gemini',
          modelURL: (model, method) =>
            `${baseURL}/${version}/${model.startsWith('tunedModels/') ? model : `models/${model}`}:${method}`,
          authHeaders: async () => ({ 'x-goog-api-key': apiKey }),
          headers: o.headers,
          models: o.models ?? GEMINI_MODELS,
          claims: o.name && o.name !== 'gemini' ? undefined : /^gemini-/,
          timeoutMs: o.timeoutMs,
          describe: { baseURL: `${baseURL}/${version}`, apiKey: maskSecret(apiKey) },
        },
        gateway.upstream,
      ),
    );
  },
});

export const vertex = definePlugin<VertexOptions>({
  name: (o) => o.name ?? 'vertex',
  schema: vertexSchema,
  apply(gateway, o) {
    const name = o.name ?? 'vertex';
    const env = process.env;
    let tokens: TokenSource;
    let key: ServiceAccountKey | undefined;
    const accessToken = o.accessToken ?? (o.serviceAccount ? undefined : env.VERTEX_ACCESS_TOKEN);
    if (accessToken) tokens = new StaticToken(accessToken);
    else {
      const source = o.serviceAccount ?? env.GOOGLE_APPLICATION_CREDENTIALS;
      if (!source) {
        throw new PluginOptionsError(
          name,
          'accessToken',
          'is required: no credentials were given',
          'Pass { accessToken } or { serviceAccount }, or set VERTEX_ACCESS_TOKEN or GOOGLE_APPLICATION_CREDENTIALS ' +
            '(path to a service-account key file).',
        );
      }
      try {
        key = loadServiceAccount(
          source,
          o.serviceAccount ? 'the serviceAccount option' : 'GOOGLE_APPLICATION_CREDENTIALS',
        );
      } catch (e) {
        throw new PluginOptionsError(
          name,
          'serviceAccount',
          `is not usable: ${(e as Error).message.replace(/\.$/, '')}`,
        );
      }
      const tokenURL = o.tokenURL ?? key.token_uri;
      if (tokenURL) checkBaseURL(name, tokenURL, o.tokenURL ? 'tokenURL' : 'the key file token_uri', 'tokenURL');
      tokens = new ServiceAccountTokens(name, key, gateway.upstream, tokenURL);
    }
    const project = o.project ?? env.VERTEX_PROJECT ?? env.GOOGLE_CLOUD_PROJECT ?? key?.project_id;
    if (!project) {
      throw new PluginOptionsError(
        name,
        'project',
        'is required: no Google Cloud project was given',
        'Pass { project } or set VERTEX_PROJECT or GOOGLE_CLOUD_PROJECT.',
      );
    }
    if (!/^[a-z0-9][a-z0-9-]*$/.test(project)) {
      throw new PluginOptionsError(name, 'project', `is not a valid project id (got ${JSON.stringify(project)})`);
    }
    const location = o.location ?? env.VERTEX_LOCATION ?? env.GOOGLE_CLOUD_LOCATION ?? 'us-central1';
    if (!/^[a-z0-9-]+$/.test(location))
      throw new PluginOptionsError(name, 'location', `is not a valid location (got ${JSON.stringify(location)})`);
    const host =
      location === 'global' ? 'https://aiplatform.googleapis.com' : `https://${location}-aiplatform.googleapis.com`;
    const baseURL = baseURLFrom(name, {
      given: o.baseURL,
      env: 'VERTEX_BASE_URL',
      fallback: host,
      fallbackLabel: 'location',
    });
    const prefix = `${baseURL}/v1/projects/${project}/locations/${location}/publishers/google/models`;
    gateway.providers.register(
      new GeminiAdapter(
        {
          name,
          flavor: 'vertex',
          modelURL: (model, method) => `${prefix}/${model}:${method}`,
          authHeaders: async (signal) => ({ authorization: `Bearer ${await tokens.token(signal)}` }),
          headers: o.headers,
          models: o.models ?? VERTEX_MODELS,
          claims: o.claimGemini ? /^gemini-/ : undefined,
          timeoutMs: o.timeoutMs,
          describe: {
            baseURL,
            project,
            location,
            auth: accessToken ? `access token ${maskSecret(accessToken)}` : tokens.describe(),
          },
        },
        gateway.upstream,
      ),
    );
  },
});

export type { ServiceAccountKey } from './vertex-auth.js';
