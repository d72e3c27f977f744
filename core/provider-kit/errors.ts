/**
 * Upstream error answers (status >= 400) -> GatewayError. `readUpstreamError` reads what every
 * provider needs (status, body text and JSON, the kept headers: Retry-After always); `errorFields`
 * pulls OpenAI's `{error: {message, type, code, param}}` (or the same fields at the top level, or a
 * bare string) out of the JSON; `openAIError` is the whole mapping for OpenAI-shaped upstreams and
 * the default of ProviderHttp. Native providers map `UpstreamErrorBody` with their own rules.
 */
import { GatewayError, isRetryableStatus } from '../errors.js';
import { readErrorBody, type UpstreamResponse } from '../upstream.js';

export interface UpstreamErrorBody {
  /** The upstream's HTTP status. */
  status: number;
  /** The body, at most 64 KiB (never throws while reading). */
  text: string;
  /** The body parsed as JSON; undefined when it is not JSON. */
  json: unknown;
  /** The kept response headers (lower-case names) that were present. */
  headers: Record<string, string>;
}

/** Retry-After is kept for every provider: the client and failover honour it. */
export const RETRY_AFTER = 'retry-after';

/** Read an error answer; `keep` names the headers to pass back to the client besides retry-after. */
export async function readUpstreamError(
  res: UpstreamResponse,
  keep: readonly string[] = [],
): Promise<UpstreamErrorBody> {
  const text = await readErrorBody(res);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON (e.g. a proxy's HTML page): the status and text are what we have */
  }
  const headers: Record<string, string> = {};
  for (const h of [RETRY_AFTER, ...keep]) {
    const v = res.headers[h];
    if (typeof v === 'string') headers[h] = v;
  }
  return { status: res.statusCode, text, json, headers };
}

export interface ErrorFields {
  message?: string;
  type?: string;
  code?: string;
  param?: string;
}

/** `{error: {...}}`, the same fields at the top level, or `{error: "text"}` / `"text"`. */
export function errorFields(json: unknown): ErrorFields {
  const e = (json as { error?: unknown } | null | undefined)?.error ?? json;
  if (typeof e === 'string') return { message: e };
  if (!e || typeof e !== 'object') return {};
  const o = e as Record<string, unknown>;
  const out: ErrorFields = {};
  if (typeof o.message === 'string') out.message = o.message;
  if (typeof o.type === 'string') out.type = o.type;
  if (typeof o.code === 'string' || typeof o.code === 'number') out.code = String(o.code); // never an object's text
  if (typeof o.param === 'string') out.param = o.param;
  return out;
}

/** The generic message when the upstream gave none. */
export const answeredStatus = (provider: string, status: number) =>
  `The upstream provider "${provider}" answered ${status}.`;

/** An OpenAI-shaped error answer as a GatewayError: its status, message, type, code, param and kept headers. */
export function openAIError(provider: string, body: UpstreamErrorBody): GatewayError {
  const f = errorFields(body.json);
  return new GatewayError(body.status, f.message ?? answeredStatus(provider, body.status), {
    type: f.type,
    code: f.code ?? null,
    param: f.param ?? null,
    headers: body.headers,
    retryable: isRetryableStatus(body.status),
    upstream: { provider, status: body.status },
  });
}
