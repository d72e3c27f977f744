/**
 * Static API-key auth: clients send `Authorization: Bearer <key>` or `x-api-key: <key>`. Keys are
 * kept only as SHA-256 hashes in memory and compared in constant time; logs see the key's id.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApiKeyEntry } from '../../core/config-types.js';
import type { Principal } from '../../core/context.js';
import { errors } from '../../core/errors.js';
import { definePlugin } from '../../core/plugin.js';

export interface StaticKeysOptions {
  keys: Array<string | ApiKeyEntry>;
}

export const sha256 = (s: string) => createHash('sha256').update(s).digest();

/** Pull the presented key from Authorization (Bearer) or x-api-key. */
export function presentedKey(headers: Record<string, string | string[] | undefined>): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
    if (m) return m[1].trim();
  }
  const x = headers['x-api-key'];
  return typeof x === 'string' && x ? x.trim() : undefined;
}

export const staticKeys = definePlugin<StaticKeysOptions>({
  name: 'static-keys',
  schema: {
    type: 'object',
    required: ['keys'],
    additionalProperties: false,
    properties: { keys: { type: 'array', minItems: 1 } },
  },
  apply(gateway, { keys }) {
    const table = new Map<string, { hash: Buffer; principal: Principal }>();
    for (const entry of keys) {
      const e: ApiKeyEntry = typeof entry === 'string' ? { key: entry } : entry;
      if (!e.key && !e.keyHash) throw new Error('Plugin "static-keys": every key needs `key` or `keyHash`.');
      const hash = e.keyHash ? Buffer.from(e.keyHash, 'hex') : sha256(e.key!);
      const hex = hash.toString('hex');
      const principal: Principal = { id: e.id ?? `key-${hex.slice(0, 8)}` };
      if (e.project) principal.project = e.project;
      if (e.name) principal.name = e.name;
      table.set(hex, { hash, principal });
    }
    gateway.hooks.auth.tapPromise({ name: 'static-keys', stage: gateway.Stage.NORMAL }, async (ctx) => {
      const key = presentedKey(ctx.headers);
      if (!key) return undefined;
      const hash = sha256(key);
      const found = table.get(hash.toString('hex'));
      if (!found || !timingSafeEqual(found.hash, hash)) throw errors.invalidKey();
      return found.principal;
    });
  },
});
