/**
 * Cohere error answers ({message} or {id, message}) -> GatewayError, by status: 400 / 422 -> 400
 * (context too long -> code context_length_exceeded), 401 and 498 (invalid token) -> 401, 402 -> 402
 * insufficient_quota, 403, 404 (model not found -> model_not_found), 429 (retryable, Retry-After
 * kept), 499 -> 502 upstream_request_cancelled (Cohere saw a cancel; our client is still here), 5xx
 * retryable (500, 503 ...). The rate-limit and debug-trace headers are passed back too.
 */
import { GatewayError, isRetryableStatus, type ErrorType } from '../../../core/errors.js';
import { answeredStatus, readUpstreamError } from '../../../core/provider-kit/index.js';
import type { UpstreamResponse } from '../../../core/upstream.js';

const KEPT_ERROR_HEADERS = ['x-ratelimit-remaining', 'x-ratelimit-limit', 'x-debug-trace-id'];

/** The message of an error answer: JSON `message`, `error` or `error.message`, else a short text body. */
function messageOf(provider: string, status: number, text: string, json: unknown): string {
  const parsed = json as { message?: unknown; error?: unknown } | null | undefined;
  if (json === undefined) return text.trim() && text.length < 500 ? text.trim() : answeredStatus(provider, status);
  if (typeof parsed?.message === 'string') return parsed.message;
  if (typeof parsed?.error === 'string') return parsed.error;
  const nested = (parsed?.error as { message?: unknown } | undefined)?.message;
  return typeof nested === 'string' ? nested : answeredStatus(provider, status);
}

/** Map a Cohere error answer (status >= 400) to a GatewayError. */
export async function errorFromResponse(provider: string, res: UpstreamResponse): Promise<GatewayError> {
  const { status: upstreamStatus, text, json, headers } = await readUpstreamError(res, KEPT_ERROR_HEADERS);
  const message = messageOf(provider, upstreamStatus, text, json);
  let status = upstreamStatus;
  let type: ErrorType | undefined;
  let code: string | null = null;
  let param: string | null = null;
  switch (upstreamStatus) {
    case 400:
    case 422:
      status = 400;
      type = 'invalid_request_error';
      if (/too many tokens|context length|context window|maximum.*tokens|prompt is too long/i.test(message)) {
        code = 'context_length_exceeded';
        param = 'messages';
      } else code = upstreamStatus === 422 ? 'unprocessable_entity' : 'invalid_request';
      break;
    case 401:
    case 498:
      status = 401;
      type = 'authentication_error';
      code = 'invalid_api_key';
      break;
    case 402:
      type = 'insufficient_quota';
      code = 'insufficient_quota';
      break;
    case 403:
      type = 'permission_error';
      code = 'permission_denied';
      break;
    case 404:
      type = 'invalid_request_error';
      if (/model/i.test(message)) {
        code = 'model_not_found';
        param = 'model';
      } else code = 'not_found';
      break;
    case 429:
      type = 'rate_limit_error';
      code = 'rate_limit_exceeded';
      break;
    case 499:
      // Cohere's 499 means *it* saw the request cancelled; our client is still here, so this is an
      // upstream failure (502), never our own 499 "client went away".
      status = 502;
      type = 'api_error';
      code = 'upstream_request_cancelled';
      break;
    default:
      if (upstreamStatus >= 500) type = upstreamStatus === 504 ? 'timeout_error' : 'api_error';
  }
  return new GatewayError(status, message, {
    type,
    code,
    param,
    headers,
    retryable: isRetryableStatus(upstreamStatus),
    upstream: { provider, status: upstreamStatus },
  });
}
