/**
 * Google's error answers -> GatewayErrors.
 *
 * Google APIs answer errors as `{ "error": { "code": 429, "message": "...", "status": "RESOURCE_EXHAUSTED",
 * "details": [...] } }` (streamGenerateContent without alt=sse wraps it in a one-element array). Rules:
 * - HTTP status: the answer's own status; for an in-stream error (no HTTP status of its own) the
 *   canonical code -> HTTP table below (INVALID_ARGUMENT 400, UNAUTHENTICATED 401, PERMISSION_DENIED
 *   403, NOT_FOUND 404, RESOURCE_EXHAUSTED 429, INTERNAL 500, UNAVAILABLE 503, DEADLINE_EXCEEDED 504).
 * - `code` seen by clients: the Google status in lower case (e.g. "resource_exhausted").
 * - The Gemini API answers a wrong API key with 400 INVALID_ARGUMENT + ErrorInfo reason
 *   API_KEY_INVALID: we report it as 401 authentication_error, code "invalid_api_key".
 * - "The input token count (N) exceeds the maximum number of tokens allowed (M)" -> 400
 *   context_length_exceeded.
 * - Retry-After is kept from the header; without one, google.rpc.RetryInfo.retryDelay ("41s") is used.
 */
import { GatewayError, isRetryableStatus } from '../../../core/errors.js';
import { readUpstreamError } from '../../../core/provider-kit/index.js';
import type { UpstreamResponse } from '../../../core/upstream.js';

export const GOOGLE_STATUS_HTTP: Record<string, number> = {
  INVALID_ARGUMENT: 400,
  FAILED_PRECONDITION: 400,
  OUT_OF_RANGE: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  ABORTED: 409,
  RESOURCE_EXHAUSTED: 429,
  CANCELLED: 499,
  UNKNOWN: 500,
  INTERNAL: 500,
  DATA_LOSS: 500,
  UNIMPLEMENTED: 501,
  UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
};

const CONTEXT_TOO_LONG = new RegExp(
  [
    'input token count.*exceeds the maximum',
    'exceeds the maximum number of tokens',
    'input context is too long',
    'prompt is too long',
  ].join('|'),
  'i',
);

export interface GoogleErrorBody {
  code?: number;
  message?: string;
  status?: string;
  details?: Array<{ '@type'?: string; reason?: string; retryDelay?: string; [k: string]: unknown }>;
}

/** Pull `{code, message, status, details}` out of a parsed Google error answer (object or array). */
export function googleErrorOf(parsed: unknown): GoogleErrorBody | undefined {
  const root = Array.isArray(parsed) ? parsed[0] : parsed;
  const e = (root as { error?: unknown } | undefined)?.error;
  return e && typeof e === 'object' ? (e as GoogleErrorBody) : undefined;
}

/** Build the GatewayError for a Google error object; `httpStatus` is the answer's status if any. */
export function gatewayErrorFromGoogle(
  provider: string,
  e: GoogleErrorBody | undefined,
  httpStatus: number | undefined,
  headers: Record<string, string> = {},
): GatewayError {
  const statusName = typeof e?.status === 'string' ? e.status : undefined;
  let status: number =
    httpStatus ??
    (statusName ? GOOGLE_STATUS_HTTP[statusName] : undefined) ??
    (typeof e?.code === 'number' && e.code >= 400 ? e.code : 502);
  const message =
    typeof e?.message === 'string' && e.message
      ? e.message
      : `The upstream provider "${provider}" answered ${status}${statusName ? ` ${statusName}` : ''}.`;
  let code: string | null = statusName ? statusName.toLowerCase() : null;
  let type: string | undefined;
  const details = Array.isArray(e?.details) ? e.details : [];
  const reasons = details.map((d) => d?.reason).filter((r): r is string => typeof r === 'string');
  if (reasons.includes('API_KEY_INVALID') || /API key not valid/i.test(message)) {
    status = 401;
    code = 'invalid_api_key';
    type = 'authentication_error';
  } else if (status === 400 && CONTEXT_TOO_LONG.test(message)) {
    code = 'context_length_exceeded';
    type = 'invalid_request_error';
  }
  const out: Record<string, string> = {};
  if (headers['retry-after']) out['retry-after'] = headers['retry-after'];
  else {
    const delay = details.find((d) => typeof d?.retryDelay === 'string')?.retryDelay;
    const secs = delay ? Number.parseFloat(delay) : NaN;
    if (Number.isFinite(secs) && secs >= 0) out['retry-after'] = String(Math.ceil(secs));
  }
  return new GatewayError(status, message, {
    type,
    code,
    headers: out,
    retryable: isRetryableStatus(status),
    upstream: { provider, status: httpStatus ?? status },
  });
}

/** Map an HTTP error answer from a Google endpoint. */
export async function errorFromResponse(provider: string, res: UpstreamResponse): Promise<GatewayError> {
  const body = await readUpstreamError(res);
  return gatewayErrorFromGoogle(provider, googleErrorOf(body.json), body.status, body.headers);
}

/** The prompt itself was blocked (promptFeedback.blockReason): a 400 with code content_filter. */
export function promptBlocked(provider: string, reason: string, message?: string): GatewayError {
  return new GatewayError(
    400,
    `The prompt was blocked by ${provider}'s safety filters (blockReason: ${reason})${message ? `: ${message}` : '.'}`,
    { type: 'invalid_request_error', code: 'content_filter', upstream: { provider, status: 200 } },
  );
}
