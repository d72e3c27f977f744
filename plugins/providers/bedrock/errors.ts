/**
 * Bedrock error answers -> GatewayError. Bedrock (restJson1) answers errors with a JSON body
 * `{"message": "..."}` (some front ends use "Message") and the error name in the `x-amzn-errortype`
 * header ("ThrottlingException:http://internal.amazon.com/coral/..."), sometimes also in `__type`.
 * In a ConverseStream, errors arrive as event-stream messages with `:message-type: exception` and
 * the member name in `:exception-type` (throttlingException, modelStreamErrorException, ...), or as
 * `:message-type: error` with `:error-code` / `:error-message` headers.
 */
import { GatewayError, isRetryableStatus } from '../../../core/errors.js';
import { readUpstreamError } from '../../../core/provider-kit/index.js';
import type { UpstreamResponse } from '../../../core/upstream.js';

interface Rule {
  status: number;
  type: string;
  retryable?: boolean;
}

/** Keyed by the error name with a lower-case first letter (stream member names look like this). */
const RULES: Record<string, Rule> = {
  validationException: { status: 400, type: 'invalid_request_error' },
  accessDeniedException: { status: 403, type: 'permission_error' },
  resourceNotFoundException: { status: 404, type: 'not_found_error' },
  throttlingException: { status: 429, type: 'rate_limit_error', retryable: true },
  serviceQuotaExceededException: { status: 429, type: 'rate_limit_error', retryable: false },
  modelTimeoutException: { status: 408, type: 'timeout_error', retryable: true },
  serviceUnavailableException: { status: 503, type: 'api_error', retryable: true },
  internalServerException: { status: 500, type: 'api_error', retryable: true },
  modelNotReadyException: { status: 429, type: 'rate_limit_error', retryable: true },
  // 424 in Bedrock: the model itself failed. Shown as 502 (a bad upstream answer).
  modelErrorException: { status: 502, type: 'api_error', retryable: true },
  modelStreamErrorException: { status: 502, type: 'api_error', retryable: true },
  // Credential problems are the gateway's configuration, shown as 401 whatever AWS said (403).
  unrecognizedClientException: { status: 401, type: 'authentication_error' },
  invalidSignatureException: { status: 401, type: 'authentication_error' },
  incompleteSignatureException: { status: 401, type: 'authentication_error' },
  missingAuthenticationTokenException: { status: 401, type: 'authentication_error' },
  expiredTokenException: { status: 401, type: 'authentication_error' },
  signatureDoesNotMatch: { status: 401, type: 'authentication_error' },
};

const CONTEXT_TOO_LONG = new RegExp(
  [
    'too long',
    'too many (input )?tokens',
    'context (length|window)',
    'maximum (context|input)',
    'exceeds? the (maximum|limit)',
    'prompt is too long',
  ].join('|'),
  'i',
);

/** "ThrottlingException:http://..." -> "ThrottlingException" */
export function errorName(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  const name = raw.split(':')[0].split('#').pop()?.trim();
  return name || undefined;
}

/** "ThrottlingException" -> "throttling_exception" */
const snake = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();

export interface BedrockErrorInput {
  provider: string;
  /** HTTP status, or undefined for a stream exception. */
  status?: number;
  /** Error name from x-amzn-errortype / __type / :exception-type. */
  name?: string;
  message?: string;
  headers?: Record<string, string>;
}

export function bedrockError(e: BedrockErrorInput): GatewayError {
  const name = e.name ? e.name.charAt(0).toUpperCase() + e.name.slice(1) : undefined;
  const rule = name ? RULES[name.charAt(0).toLowerCase() + name.slice(1)] : undefined;
  let status = rule?.status ?? e.status ?? 502;
  if (!rule && status < 400) status = 502;
  const message = e.message || `Amazon Bedrock answered ${e.status ?? 'with an error'}${name ? ` (${name})` : ''}.`;
  let code: string | null = name ? snake(name) : null;
  let type = rule?.type;
  if (status === 400 && CONTEXT_TOO_LONG.test(message)) {
    code = 'context_length_exceeded';
    type = 'invalid_request_error';
  }
  return new GatewayError(status, message, {
    type,
    code,
    headers: e.headers,
    retryable: rule?.retryable ?? isRetryableStatus(status),
    upstream: { provider: e.provider, status: e.status ?? rule?.status },
  });
}

/** Parse an error body (JSON or not) into name and message. */
export function parseErrorBody(text: string): { name?: string; message?: string } {
  try {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    const message = [parsed.message, parsed.Message, (parsed.error as { message?: unknown } | undefined)?.message].find(
      (m): m is string => typeof m === 'string',
    );
    const name =
      typeof parsed.__type === 'string'
        ? errorName(parsed.__type)
        : typeof parsed.code === 'string'
          ? parsed.code
          : undefined;
    return { name, message };
  } catch {
    const trimmed = text.trim();
    return { message: trimmed ? trimmed.slice(0, 500) : undefined };
  }
}

/** Map an error answer (status >= 400): the name from x-amzn-errortype (else the body), Retry-After kept. */
export async function errorFromResponse(provider: string, res: UpstreamResponse): Promise<GatewayError> {
  const body = await readUpstreamError(res);
  const parsed = parseErrorBody(body.text);
  const header = res.headers['x-amzn-errortype'];
  return bedrockError({
    provider,
    status: body.status,
    name: errorName(typeof header === 'string' ? header : undefined) ?? parsed.name,
    message: parsed.message,
    headers: body.headers,
  });
}
