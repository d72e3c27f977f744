/**
 * Anthropic's error shape: `{type:"error", error:{type, message}, request_id}`. It lives in the core
 * because the core's passthrough (/passthrough/{provider}/...) answers in it for providers with
 * Anthropic's native API, whether or not the Anthropic Messages ingress (plugins/anthropic-ingress) is
 * on; that ingress renders its errors with the same function.
 *
 * The type is the upstream's Anthropic error type when there is one (kept in the GatewayError's code),
 * else derived from the status.
 */
import type { GatewayError } from '../errors.js';

const ANTHROPIC_ERROR_TYPES = new Set([
  'invalid_request_error',
  'authentication_error',
  'billing_error',
  'permission_error',
  'not_found_error',
  'request_too_large',
  'rate_limit_error',
  'api_error',
  'timeout_error',
  'overloaded_error',
]);

export function errorType(err: GatewayError): string {
  if (err.code && ANTHROPIC_ERROR_TYPES.has(err.code)) return err.code;
  switch (err.status) {
    case 401:
      return 'authentication_error';
    case 402:
      return 'billing_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    case 504:
      return 'timeout_error';
    case 529:
      return 'overloaded_error';
    default:
      return err.status >= 500 ? 'api_error' : 'invalid_request_error';
  }
}

export function anthropicErrorBody(err: GatewayError, requestId?: string) {
  return { type: 'error', error: { type: errorType(err), message: err.message }, request_id: requestId ?? null };
}
