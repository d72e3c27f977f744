/**
 * Azure's error codes -> OpenAI's: `{error: {code: "401" | "429" | "DeploymentNotFound" | ...}}` as
 * invalid_api_key, rate_limit_exceeded, model_not_found, ...; a prompt blocked by the content filter
 * stays a 400 with code `content_filter` (type invalid_request_error); a context overflow without a
 * code becomes context_length_exceeded. The inner OpenAI-compatible adapter has already mapped the
 * answer (message, Retry-After); this only renames.
 */
import { GatewayError, type ErrorType } from '../../../core/errors.js';

/** Azure answers some errors with the HTTP status as `code`; these are OpenAI's codes for them. */
const NUMERIC_CODES: Record<string, { code: string; type: ErrorType }> = {
  '400': { code: 'invalid_request', type: 'invalid_request_error' },
  '401': { code: 'invalid_api_key', type: 'authentication_error' },
  '403': { code: 'permission_denied', type: 'permission_error' },
  '404': { code: 'not_found', type: 'invalid_request_error' },
  '408': { code: 'timeout', type: 'timeout_error' },
  '429': { code: 'rate_limit_exceeded', type: 'rate_limit_error' },
  '500': { code: 'server_error', type: 'server_error' },
  '503': { code: 'service_unavailable', type: 'api_error' },
};

/** Azure's named error codes with an OpenAI equivalent. */
const NAMED_CODES: Record<string, { code: string; type?: ErrorType; param?: string }> = {
  DeploymentNotFound: { code: 'model_not_found', type: 'invalid_request_error', param: 'model' },
  InvalidApiVersion: { code: 'invalid_api_version', type: 'invalid_request_error' },
  MissingApiVersionParameter: { code: 'invalid_api_version', type: 'invalid_request_error' },
  ServiceUnavailable: { code: 'service_unavailable', type: 'api_error' },
  InternalServerError: { code: 'server_error', type: 'server_error' },
  TooManyRequests: { code: 'rate_limit_exceeded', type: 'rate_limit_error' },
  PermissionDenied: { code: 'permission_denied', type: 'permission_error' },
};

/** Normalise Azure's error codes to OpenAI's; everything else is kept as the inner adapter built it. */
export function azureError(e: unknown): unknown {
  if (!(e instanceof GatewayError) || !e.upstream?.status) return e;
  const numeric = e.code !== null && e.code === String(e.status) ? NUMERIC_CODES[e.code] : undefined;
  const named = e.code ? NAMED_CODES[e.code] : undefined;
  let code = numeric?.code ?? named?.code ?? e.code;
  let type: string = numeric?.type ?? named?.type ?? e.type;
  let param = e.param ?? named?.param ?? null;
  if (e.status === 400 && !code && /maximum context length|context_length_exceeded|too many tokens/i.test(e.message)) {
    code = 'context_length_exceeded';
    param = param ?? 'messages';
  }
  if (code === 'content_filter') type = 'invalid_request_error';
  if (code === e.code && type === e.type && param === e.param) return e;
  return new GatewayError(e.status, e.message, {
    type,
    code,
    param,
    headers: e.headers,
    retryable: e.retryable,
    upstream: e.upstream,
    cause: e.cause,
  });
}
