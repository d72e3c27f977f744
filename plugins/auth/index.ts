/** Client authentication with static keys (the config's `auth` section). */
export { staticKeys, type StaticKeysOptions } from './static-keys.js';
