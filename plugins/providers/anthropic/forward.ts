/**
 * Passthrough for Anthropic: {baseURL}{path} (paths start with /v1) with `x-api-key` and
 * `anthropic-version`; the client's `anthropic-beta` flags are merged with the configured ones.
 */
import { sendForward, type ForwardRequest } from '../../../core/forward.js';
import type { UpstreamClient, UpstreamResponse } from '../../../core/upstream.js';
import type { AnthropicSettings } from './adapter.js';

export function anthropicForward(
  http: UpstreamClient,
  s: AnthropicSettings,
  req: ForwardRequest,
): Promise<UpstreamResponse> {
  const auth: Record<string, string> = { ...s.headers, 'x-api-key': s.apiKey, 'anthropic-version': s.anthropicVersion };
  const beta = [s.headers?.['anthropic-beta'], req.headers['anthropic-beta']].filter(Boolean).join(',');
  if (beta)
    auth['anthropic-beta'] = [
      ...new Set(
        beta
          .split(',')
          .map((b) => b.trim())
          .filter(Boolean),
      ),
    ].join(',');
  return sendForward(http, s.name, s.baseURL, auth, req);
}
