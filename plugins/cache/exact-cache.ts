/**
 * Kept for compatibility: `exactCache(options)` is the cache plugin (plugins/cache/index.ts) with
 * its semantic tier off unless `semantic` is given. See docs/caching.md.
 */
import { cache, type CacheOptions } from './index.js';

export type ExactCacheOptions = CacheOptions;
export const exactCache = (options?: CacheOptions) => cache(options);
