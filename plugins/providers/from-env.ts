/**
 * Zero-config: with no `providers` in the config, enable every preset whose API key (or, for the
 * keyless local servers, base URL) is set in the environment.
 */
import type { Plugin } from '../../core/plugin.js';
import * as compat from './openai-compatible/index.js';
import { PRESETS, type PresetName } from './openai-compatible/presets.js';

export function providersFromEnv(env: NodeJS.ProcessEnv): Plugin[] {
  const out: Plugin[] = [];
  for (const name of Object.keys(PRESETS) as PresetName[]) {
    const p = PRESETS[name];
    const enabled = p.keyless ? Boolean(env[p.baseURLEnv]) : Boolean(env[p.keyEnv]);
    if (enabled) out.push(compat[name]());
  }
  return out;
}
