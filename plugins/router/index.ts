/**
 * Model routing: names, aliases, virtual models and their strategies, tags and tag policies (the
 * `routing` section). The latency tracker and request features are shared with failover and governance.
 */
export {
  modelRouter,
  parseTarget,
  toTarget,
  MODELS_LIST,
  MODELS_LIST_STATE,
  TARGET_HEADER,
  type ModelRouterOptions,
  type RouterDeps,
} from './model-router.js';
export { LatencyTracker, type LatencyStat } from './latency.js';
export { chatFeatures, loadTokenizer, maxTokensOf, requestFeatures, IMAGE_TOKENS } from './features.js';
export { principalTags, requiredTagsOf, satisfies, tagsOf, targetKey, REQUIRED_TAGS } from './tags.js';
