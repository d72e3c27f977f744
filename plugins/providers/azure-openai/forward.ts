/**
 * Passthrough for Azure OpenAI: {endpoint}/openai{path} with the `api-key` header. Paths outside the
 * v1 API (`/deployments/...`, `/files` in deployment mode) get the configured `api-version` unless
 * the client gave one.
 */
import { sendForward, type ForwardRequest } from '../../../core/forward.js';
import type { UpstreamClient, UpstreamResponse } from '../../../core/upstream.js';
import type { AzureOpenAISettings } from './adapter.js';

export function azureForward(
  http: UpstreamClient,
  s: AzureOpenAISettings,
  req: ForwardRequest,
): Promise<UpstreamResponse> {
  let path = req.path;
  const q = path.indexOf('?');
  const query = q < 0 ? '' : path.slice(q + 1);
  const v1 = path.startsWith('/v1/');
  if (!v1 && !new URLSearchParams(query).has('api-version')) {
    path += `${q < 0 ? '?' : '&'}api-version=${encodeURIComponent(s.apiVersion)}`;
  }
  return sendForward(http, s.name, `${s.endpoint}/openai`, { ...s.headers, 'api-key': s.apiKey }, { ...req, path });
}
