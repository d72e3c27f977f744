/**
 * The "provider/model" key of a target, one string per pair. Routing, failover, the breaker, latency
 * tracking, the catalog and the meter each look targets up by this key, several times per request; a key
 * built anew each time is a new string that V8 flattens and hashes again for every Map lookup
 * (~7 per request, ~4,000 instructions in bench/). The same string each time keeps its hash.
 */
import { BoundedMap, MAX_TRACKED_TARGETS } from './bounded.js';
import type { Target } from './context.js';

/** Providers whose keys are kept (providers come from the config; past this, keys are built each time). */
const MAX_PROVIDERS = 256;
const keys = new Map<string, BoundedMap<string, string>>();

/** `${provider}/${model}`, the same string for the same pair (the last MAX_TRACKED_TARGETS models per provider). */
export function modelKey(provider: string, model: string): string {
  let byModel = keys.get(provider);
  if (byModel === undefined) {
    if (keys.size >= MAX_PROVIDERS) return `${provider}/${model}`;
    byModel = new BoundedMap<string, string>(MAX_TRACKED_TARGETS);
    keys.set(provider, byModel);
  }
  let key = byModel.get(model);
  if (key === undefined) {
    key = `${provider}/${model}`;
    byModel.set(model, key);
  }
  return key;
}

/** The key of a target: `${target.provider}/${target.model}`. */
export const targetKey = (t: Target): string => modelKey(t.provider, t.model);
