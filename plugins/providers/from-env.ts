/**
 * Zero-config: with no `providers` in the config, enable every provider whose credentials are in
 * the environment: the OpenAI-compatible presets by `<NAME>_API_KEY` (the keyless local servers by
 * `<NAME>_BASE_URL`), and the native providers by their own variables.
 */
import type { Plugin } from '../../core/plugin.js';
import { anthropic } from './anthropic/index.js';
import { azureOpenAI } from './azure-openai/index.js';
import { bedrock } from './bedrock/index.js';
import { cohere } from './cohere/index.js';
import { gemini, vertex } from './gemini/index.js';
import * as compat from './openai-compatible/index.js';
import { PRESETS, type PresetName } from './openai-compatible/index.js';

/** Native providers and the environment that enables each. */
const NATIVE: Array<{ enabled: (env: NodeJS.ProcessEnv) => boolean; plugin: () => Plugin }> = [
  { enabled: (e) => Boolean(e.ANTHROPIC_API_KEY), plugin: () => anthropic() },
  { enabled: (e) => Boolean(e.GEMINI_API_KEY || e.GOOGLE_API_KEY), plugin: () => gemini() },
  {
    enabled: (e) =>
      Boolean(
        (e.VERTEX_ACCESS_TOKEN || e.GOOGLE_APPLICATION_CREDENTIALS) && (e.VERTEX_PROJECT || e.GOOGLE_CLOUD_PROJECT),
      ),
    plugin: () => vertex(),
  },
  { enabled: (e) => Boolean(e.AZURE_OPENAI_API_KEY && e.AZURE_OPENAI_ENDPOINT), plugin: () => azureOpenAI() },
  { enabled: (e) => Boolean(e.COHERE_API_KEY), plugin: () => cohere() },
  {
    enabled: (e) =>
      Boolean(
        (e.AWS_REGION || e.AWS_DEFAULT_REGION) &&
          (e.AWS_BEARER_TOKEN_BEDROCK || (e.AWS_ACCESS_KEY_ID && e.AWS_SECRET_ACCESS_KEY)),
      ),
    plugin: () => bedrock(),
  },
];

export function providersFromEnv(env: NodeJS.ProcessEnv): Plugin[] {
  const out: Plugin[] = [];
  for (const name of Object.keys(PRESETS) as PresetName[]) {
    const p = PRESETS[name];
    const enabled = p.keyless ? Boolean(env[p.baseURLEnv]) : Boolean(env[p.keyEnv]);
    if (enabled) out.push(compat[name]());
  }
  for (const n of NATIVE) if (n.enabled(env)) out.push(n.plugin());
  return out;
}
