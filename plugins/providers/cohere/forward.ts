/** Passthrough for Cohere: {baseURL}{path} (e.g. /v2/rerank), `Authorization: Bearer <key>`, configured headers. */
import { sendForward, type ForwardRequest } from '../../../core/forward.js';
import type { UpstreamClient, UpstreamResponse } from '../../../core/upstream.js';
import type { CohereSettings } from './adapter.js';

export function cohereForward(http: UpstreamClient, s: CohereSettings, req: ForwardRequest): Promise<UpstreamResponse> {
  return sendForward(http, s.name, s.baseURL, { ...s.headers, authorization: `Bearer ${s.apiKey}` }, req);
}
