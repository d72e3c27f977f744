/**
 * Error classification for failover. Retryable: connection refused/reset, DNS, timeouts, broken or
 * malformed upstream answers, 408/409/429/5xx/529 and "overloaded" errors. Not retryable: other
 * 4xx (400/401/403/404...), except two classes a config may route elsewhere: context too long and
 * content-policy refusals. `hard` marks errors that say the host is down (refused, DNS): the
 * breaker opens at once and the same target is not retried.
 */
import { type GatewayError, isRetryableStatus } from '../../core/errors.js';

export type ErrorClass =
  | 'connection'
  | 'dns'
  | 'timeout'
  | 'rate_limit'
  | 'overloaded'
  | 'server'
  | 'stream'
  | 'context_length'
  | 'content_policy'
  | 'client'
  | 'cancelled';

export interface Classified {
  cls: ErrorClass;
  retryable: boolean;
  /** The host is down or unknown: skip retries of this target, open its breaker. */
  hard: boolean;
}

const HARD = /\((ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH)\)/;
const DNS = /\((ENOTFOUND|EAI_AGAIN)\)/;
const OVERLOADED = /overloaded/i;
const CONTEXT = new RegExp(
  [
    'context[_ ]length',
    'context window',
    'maximum context',
    'too many tokens',
    'prompt is too long',
    'input is too long',
    'reduce the length',
  ].join('|'),
  'i',
);
const POLICY = /content[_ ](policy|filter|management)|safety system|responsible ai policy/i;

export function classify(err: GatewayError): Classified {
  const code = err.code ?? '';
  if (err.status === 499 || code === 'client_closed_request')
    return { cls: 'cancelled', retryable: false, hard: false };
  if (code === 'upstream_unreachable') {
    return { cls: DNS.test(err.message) ? 'dns' : 'connection', retryable: true, hard: HARD.test(err.message) };
  }
  if (code === 'upstream_timeout' || err.status === 408 || err.status === 504)
    return { cls: 'timeout', retryable: true, hard: false };
  if (code === 'upstream_stream_interrupted' || code === 'upstream_bad_response')
    return { cls: 'stream', retryable: true, hard: false };
  if (err.status === 429) return { cls: 'rate_limit', retryable: true, hard: false };
  if (err.status === 529 || OVERLOADED.test(err.message) || /overloaded/.test(code))
    return { cls: 'overloaded', retryable: true, hard: false };
  if (isRetryableStatus(err.status)) return { cls: 'server', retryable: true, hard: false };
  if (code === 'context_length_exceeded' || CONTEXT.test(err.message))
    return { cls: 'context_length', retryable: false, hard: false };
  if (code === 'content_filter' || code === 'content_policy_violation' || POLICY.test(err.message)) {
    return { cls: 'content_policy', retryable: false, hard: false };
  }
  return { cls: 'client', retryable: err.retryable && err.status >= 500, hard: false };
}
