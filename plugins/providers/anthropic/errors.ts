/**
 * Anthropic error answers -> GatewayError.
 *
 * Anthropic errors are `{ "type": "error", "error": { "type", "message" }, "request_id" }` with
 * these types and statuses: invalid_request_error 400, authentication_error 401, billing_error 402,
 * permission_error 403, not_found_error 404, request_too_large 413, rate_limit_error 429, api_error
 * 500, timeout_error 504, overloaded_error 529. The status is kept, except 529 (not a status OpenAI
 * clients know) which becomes 503 and stays retryable. `code` carries Anthropic's error type, except
 * for prompts over the context window: 400 `context_length_exceeded`. Retry-After is kept, and the
 * upstream request id is passed on as x-upstream-request-id.
 */
import { GatewayError, isRetryableStatus } from '../../../core/errors.js';
import { errorFields, readUpstreamError } from '../../../core/provider-kit/index.js';
import type { UpstreamResponse } from '../../../core/upstream.js';

/** The HTTP status for an Anthropic error type (used for in-stream `event: error`). */
export const STATUS_BY_TYPE: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

/** OpenAI-style error type for an Anthropic error type. */
const OPENAI_TYPE: Record<string, string> = {
  invalid_request_error: 'invalid_request_error',
  authentication_error: 'authentication_error',
  billing_error: 'insufficient_quota',
  permission_error: 'permission_error',
  not_found_error: 'not_found_error',
  request_too_large: 'invalid_request_error',
  rate_limit_error: 'rate_limit_error',
  api_error: 'api_error',
  timeout_error: 'timeout_error',
  overloaded_error: 'api_error',
};

const CONTEXT_TOO_LONG = /prompt is too long|exceed(?:s|ed)? (?:the )?context (?:limit|window)|context window/i;

export interface AnthropicErrorInfo {
  status: number;
  type?: string;
  message?: string;
  headers?: Record<string, string>;
}

export function toGatewayError(provider: string, info: AnthropicErrorInfo): GatewayError {
  const upstreamStatus = info.status;
  const status = upstreamStatus === 529 ? 503 : upstreamStatus;
  const anthropicType = info.type;
  let message = info.message || `The upstream provider "${provider}" answered ${upstreamStatus}.`;
  let code: string | null = anthropicType ?? null;
  let param: string | null = null;
  if (status === 400 && CONTEXT_TOO_LONG.test(message)) {
    code = 'context_length_exceeded';
    param = 'messages';
  }
  if (!info.message && anthropicType === 'overloaded_error') message = 'Overloaded';
  return new GatewayError(status, message, {
    type: (anthropicType && OPENAI_TYPE[anthropicType]) ?? undefined,
    code,
    param,
    headers: info.headers ?? {},
    retryable: isRetryableStatus(status) || anthropicType === 'overloaded_error',
    upstream: { provider, status: upstreamStatus },
  });
}

/** Map an error answer (status >= 400) to a GatewayError. */
export async function errorFromResponse(provider: string, res: UpstreamResponse): Promise<GatewayError> {
  const body = await readUpstreamError(res, ['request-id']);
  const { 'request-id': requestId, ...headers } = body.headers;
  if (requestId !== undefined) headers['x-upstream-request-id'] = requestId;
  const { type, message } = errorFields(body.json);
  return toGatewayError(provider, { status: body.status, type, message, headers });
}

/** Map the data of an in-stream `event: error` to a GatewayError. */
export function errorFromEvent(provider: string, data: string): GatewayError {
  let type = 'api_error';
  let message = 'The upstream reported an error mid-stream.';
  try {
    const parsed = JSON.parse(data);
    const e = parsed?.error ?? parsed;
    if (typeof e?.type === 'string') type = e.type;
    if (typeof e?.message === 'string') message = e.message;
  } catch {
    /* keep the defaults */
  }
  return toGatewayError(provider, { status: STATUS_BY_TYPE[type] ?? 500, type, message });
}
