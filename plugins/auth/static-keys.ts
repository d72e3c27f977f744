/**
 * Static API-key auth: clients send `Authorization: Bearer <key>` or `x-api-key: <key>`. Keys are
 * kept only as SHA-256 hashes in memory and looked up by digest (core/secrets.ts); logs see the key's id.
 */
import type { ApiKeyEntry } from '../../core/config-types.js';
import type { Principal } from '../../core/context.js';
import { presentedKey } from '../../core/credentials.js';
import { errors } from '../../core/errors.js';
import { apiKeyEntrySchema } from '../../core/config.js';
import { definePlugin, PluginOptionsError } from '../../core/plugin.js';
import { lookupByDigest, sha256 } from '../../core/secrets.js';

export interface StaticKeysOptions {
  keys: Array<string | ApiKeyEntry>;
}

export const staticKeys = definePlugin<StaticKeysOptions>({
  name: 'static-keys',
  schema: {
    type: 'object',
    required: ['keys'],
    additionalProperties: false,
    properties: { keys: { type: 'array', minItems: 1, items: apiKeyEntrySchema } },
  },
  apply(gateway, { keys }) {
    const table = new Map<string, Principal>();
    for (const [i, entry] of keys.entries()) {
      const e: ApiKeyEntry = typeof entry === 'string' ? { key: entry } : entry;
      if (!e.key && !e.keyHash) throw new PluginOptionsError('static-keys', `keys[${i}]`, 'needs `key` or `keyHash`');
      const hash = e.keyHash ? Buffer.from(e.keyHash, 'hex') : sha256(e.key!);
      const hex = hash.toString('hex');
      const principal: Principal = { id: e.id ?? `key-${hex.slice(0, 8)}` };
      if (e.project) principal.project = e.project;
      if (e.name) principal.name = e.name;
      table.set(hex, principal);
    }
    // A synchronous tap: tapable calls it without a promise of its own (a throw still rejects the hook's promise).
    gateway.hooks.auth.tap({ name: 'static-keys', stage: gateway.Stage.NORMAL }, (ctx) => {
      const key = presentedKey(ctx.headers);
      if (!key) return undefined;
      const principal = lookupByDigest(table, key);
      if (!principal) throw errors.invalidKey();
      return principal;
    });
  },
});
