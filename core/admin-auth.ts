/**
 * The admin key check, shared by every admin route (governance's admin API, the dashboard's analytics,
 * `gateway.route({ auth: 'admin' })`). Comparisons are constant-time over the key's hash (core/secrets.ts).
 */
import { presentedKey } from './credentials.js';
import { GatewayError } from './errors.js';
import { secretEquals, sha256 } from './secrets.js';

type Headers = Record<string, string | string[] | undefined>;

/** A check that throws the admin API's 403 (no admin key configured) or 401 (missing or wrong key). */
export function adminGuard(adminKey: string | undefined): (headers: Headers) => void {
  const hash = adminKey ? sha256(adminKey) : undefined;
  return (headers) => {
    if (!hash) {
      throw new GatewayError(403, 'The admin API is disabled: set governance.adminKey or SWITCHYARD_ADMIN_KEY.', {
        code: 'admin_disabled',
      });
    }
    const key = presentedKey(headers);
    if (!key) {
      throw new GatewayError(401, 'The admin API needs the admin key: "Authorization: Bearer <admin key>".', {
        type: 'authentication_error',
        code: 'missing_api_key',
      });
    }
    if (!secretEquals(key, hash)) {
      throw new GatewayError(401, 'Incorrect admin key provided.', {
        type: 'authentication_error',
        code: 'invalid_api_key',
      });
    }
  };
}
