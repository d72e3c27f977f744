/**
 * The one place where secrets (client keys, the admin key, tokens, CSRF tokens) are compared. Both
 * sides are hashed to 32 bytes and compared with `timingSafeEqual`, so the time taken says nothing
 * about where two values differ or how long the expected one is. Tables of many keys are looked up
 * by digest (lookupByDigest). Never compare a secret with `===`/`!==`.
 */
import { timingSafeEqual } from 'node:crypto';
import { sha256 as digest } from './hash.js';

/** SHA-256 digest of a secret (what key tables keep instead of the key). */
export const sha256 = (secret: string): Buffer => digest(secret, 'buffer');

/**
 * A presented key's entry in a table keyed by the hex SHA-256 of each key: one hash call, no Buffer
 * and no second comparison. The lookup compares digests, never the secret, so its timing can only
 * tell how a digest the client cannot choose differs from the table's: nothing about a key.
 */
export function lookupByDigest<T>(table: ReadonlyMap<string, T>, presented: string): T | undefined {
  return table.get(digest(presented, 'hex'));
}

/** Constant-time equality of two digests (false when their lengths differ). */
export function digestEquals(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Constant-time equality of a presented secret and the expected one (a string or its sha256 digest).
 * False when either is missing or empty.
 */
export function secretEquals(presented: string | undefined, expected: string | Buffer | undefined): boolean {
  if (!presented || !expected || expected.length === 0) return false;
  return digestEquals(sha256(presented), typeof expected === 'string' ? sha256(expected) : expected);
}
