/** Client credentials: the key a request presents, and the hash keys are kept and compared as. */
export { sha256 } from './secrets.js';

/** The presented key: `Authorization: Bearer <key>` (OpenAI SDK) or `x-api-key: <key>` (Anthropic SDK). */
export function presentedKey(headers: Record<string, string | string[] | undefined>): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
    if (m) return m[1].trim();
  }
  const x = headers['x-api-key'];
  return typeof x === 'string' && x ? x.trim() : undefined;
}
