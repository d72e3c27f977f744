/**
 * SHA-256 of a string (UTF-8), in one call. Node's one-shot `crypto.hash` (20.12+) skips the Hash
 * object and its update/digest round trips that `createHash` costs on every request (key lookups, cache
 * keys); older Node 20 releases take the createHash path. The digest is the same either way.
 */
import crypto from 'node:crypto';

type OneShot = (algorithm: string, data: string, encoding: string) => string | Buffer;
const oneShot = (crypto as unknown as { hash?: OneShot }).hash;

export function sha256(data: string, encoding: 'buffer'): Buffer;
export function sha256(data: string, encoding: 'hex' | 'base64url'): string;
export function sha256(data: string, encoding: 'buffer' | 'hex' | 'base64url'): Buffer | string {
  if (oneShot) return oneShot('sha256', data, encoding);
  const h = crypto.createHash('sha256').update(data);
  return encoding === 'buffer' ? h.digest() : h.digest(encoding);
}
