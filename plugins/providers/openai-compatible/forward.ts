/** Passthrough for OpenAI-compatible APIs: {baseURL}{path}, `Authorization: Bearer <key>`, configured headers. */
import { sendForward, type ForwardRequest } from '../../../core/forward.js';
import type { UpstreamClient, UpstreamResponse } from '../../../core/upstream.js';

/** `headers`: the adapter's own (credentials, extras); its content-type and accept give way to the client's. */
export function openaiForward(
  http: UpstreamClient,
  provider: string,
  baseURL: string,
  headers: Record<string, string>,
  req: ForwardRequest,
): Promise<UpstreamResponse> {
  const { 'content-type': _type, accept: _accept, ...auth } = headers;
  return sendForward(http, provider, baseURL, auth, req);
}
