/**
 * One error class for every failure a client can see. It carries the HTTP status and the fields of
 * OpenAI's error object; ingress dialects format it (see http/errors.ts). Stable `code`s let plugins
 * and clients branch on them.
 */

export type ErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'insufficient_quota'
  | 'api_error'
  | 'server_error'
  | 'timeout_error';

export interface GatewayErrorInit {
  type?: ErrorType | string;
  code?: string | null;
  param?: string | null;
  /** Headers to send with the error (e.g. retry-after). */
  headers?: Record<string, string>;
  /** True when another attempt (same or next target) might succeed. */
  retryable?: boolean;
  /** Set when the error came from an upstream provider. */
  upstream?: { provider: string; status?: number };
  cause?: unknown;
}

const BRAND = Symbol.for('switchyard.GatewayError');

export class GatewayError extends Error {
  /** Recognise GatewayErrors across duplicate copies of the package (e.g. dist and source). */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }

  readonly [BRAND] = true as const;
  readonly status: number;
  readonly type: string;
  readonly code: string | null;
  readonly param: string | null;
  readonly headers: Record<string, string>;
  readonly retryable: boolean;
  readonly upstream?: { provider: string; status?: number };

  constructor(status: number, message: string, init: GatewayErrorInit = {}) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'GatewayError';
    // An upstream's status outside 400-599 (600, 999, a 3xx) means nothing to a client: 502.
    this.status = init.upstream && (status < 400 || status > 599) ? 502 : status;
    // The fields come from upstream bodies too: only strings (numbers as text) reach a client.
    this.type = text(init.type) ?? defaultType(this.status);
    this.code = text(init.code);
    this.param = text(init.param);
    this.headers = init.headers ?? {};
    this.retryable = init.retryable ?? false;
    this.upstream = init.upstream;
  }

  toJSON() {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

const text = (v: unknown): string | null =>
  typeof v === 'string' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : null;

export function defaultType(status: number): ErrorType {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'invalid_request_error';
  if (status === 429) return 'rate_limit_error';
  if (status === 504) return 'timeout_error';
  if (status >= 500) return 'api_error';
  return 'invalid_request_error';
}

/** Constructors for the errors the core itself raises, so their codes live in one place. */
export const errors = {
  invalidJson: (detail: string) =>
    new GatewayError(400, `We could not parse the JSON body of your request: ${detail}`, { code: 'invalid_json' }),
  invalidRequest: (message: string, param: string | null = null) =>
    new GatewayError(400, message, { code: 'invalid_request', param }),
  bodyTooLarge: (limit: number) =>
    new GatewayError(413, `Request body is larger than the configured limit of ${limit} bytes.`, {
      code: 'request_too_large',
    }),
  unsupportedMediaType: () =>
    new GatewayError(415, 'Request body must be JSON (Content-Type: application/json).', {
      code: 'unsupported_media_type',
    }),
  missingKey: () =>
    new GatewayError(401, 'You did not provide an API key. Send it as "Authorization: Bearer <key>".', {
      type: 'authentication_error',
      code: 'missing_api_key',
    }),
  invalidKey: () =>
    new GatewayError(401, 'Incorrect API key provided.', { type: 'authentication_error', code: 'invalid_api_key' }),
  modelNotFound: (model: string) =>
    new GatewayError(404, `The model \`${model}\` does not exist or is not enabled on this gateway.`, {
      code: 'model_not_found',
      param: 'model',
    }),
  wrongModelKind: (model: string, kind: 'chat' | 'embeddings') =>
    new GatewayError(
      400,
      kind === 'embeddings'
        ? `The model \`${model}\` is an embeddings model: it cannot answer chat requests. ` +
            'Use it with POST /v1/embeddings, or ask a chat model.'
        : `The model \`${model}\` is a chat model: it cannot create embeddings. ` +
            'Use an embeddings model (e.g. text-embedding-3-small).',
      {
        code: 'wrong_model_kind',
        param: 'model',
      },
    ),
  unsupported: (what: string, provider: string) =>
    new GatewayError(400, `${what} is not supported by provider "${provider}".`, { code: 'unsupported_operation' }),
  upstreamTimeout: (provider: string, ms: number) =>
    new GatewayError(504, `The upstream provider "${provider}" did not answer within ${ms} ms.`, {
      type: 'timeout_error',
      code: 'upstream_timeout',
      retryable: true,
      upstream: { provider },
    }),
  upstreamUnreachable: (provider: string, detail: string) =>
    new GatewayError(502, `The upstream provider "${provider}" could not be reached (${detail}).`, {
      type: 'api_error',
      code: 'upstream_unreachable',
      retryable: true,
      upstream: { provider },
    }),
  upstreamBadResponse: (provider: string, detail: string) =>
    new GatewayError(502, `The upstream provider "${provider}" sent a malformed response (${detail}).`, {
      type: 'api_error',
      code: 'upstream_bad_response',
      retryable: true,
      upstream: { provider },
    }),
  upstreamTooLarge: (provider: string, limit: number) =>
    new GatewayError(
      502,
      `The upstream provider "${provider}" sent an answer larger than the limit of ${limit} bytes.`,
      {
        type: 'api_error',
        code: 'upstream_response_too_large',
        retryable: true,
        upstream: { provider },
      },
    ),
  streamInterrupted: (provider: string, detail: string) =>
    new GatewayError(502, `The stream from provider "${provider}" ended unexpectedly (${detail}).`, {
      type: 'api_error',
      code: 'upstream_stream_interrupted',
      retryable: true,
      upstream: { provider },
    }),
  internal: (requestId: string) =>
    new GatewayError(500, `The gateway hit an internal error. Quote request id ${requestId} when reporting it.`, {
      type: 'server_error',
      code: 'internal_error',
    }),
  shuttingDown: () =>
    new GatewayError(503, 'The gateway is shutting down; the request was cut. Retry it.', {
      type: 'api_error',
      code: 'server_shutting_down',
      retryable: true,
    }),
  unavailable: (message: string) => new GatewayError(503, message, { type: 'api_error', code: 'service_unavailable' }),
};

/** Retryable HTTP statuses for upstream answers (the failover plugins use this classification). */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}
