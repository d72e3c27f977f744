/**
 * Rerank on OpenAI-compatible servers: POST {baseURL}/rerank in one of the two formats such servers speak,
 * translated from and to the canonical (Cohere v2) rerank:
 * - 'jina' (Jina AI, vLLM, Infinity, TEI-style servers): `{ model, query, documents, top_n, return_documents }`
 *   -> `{ model, results: [{ index, relevance_score, document? }], usage: { total_tokens } }`;
 * - 'voyage' (Voyage AI): `{ model, query, documents, top_k, return_documents, truncation }`
 *   -> `{ object: 'list', data: [{ index, relevance_score, document? }], model, usage: { total_tokens } }`.
 * Both bill tokens: `usage.total_tokens` becomes the canonical `meta.billed_units.input_tokens`. Documents are
 * never asked back (the gateway adds them when the client wants them); fields neither format has are dropped
 * and reported (x-switchyard-dropped-params).
 */
import type { RerankRequest, RerankResponse, RerankResult } from '../../../core/types.js';

export type RerankFormat = 'jina' | 'voyage';

const KNOWN = new Set(['model', 'query', 'documents', 'top_n']);

/** The upstream body for `format`, and the client's fields it could not carry. */
export function toRerank(format: RerankFormat, r: RerankRequest): { body: Record<string, unknown>; dropped: string[] } {
  const dropped = Object.keys(r).filter((k) => !KNOWN.has(k) && r[k] !== undefined);
  const body: Record<string, unknown> = { model: r.model, query: r.query, documents: r.documents };
  if (r.top_n !== undefined) body[format === 'voyage' ? 'top_k' : 'top_n'] = r.top_n;
  body.return_documents = false;
  return { body, dropped };
}

interface UpstreamAnswer {
  results?: unknown;
  data?: unknown;
  usage?: { total_tokens?: unknown };
}

/** The canonical answer of an upstream's; undefined when it has no list of results. */
export function fromRerank(format: RerankFormat, answer: unknown): RerankResponse | undefined {
  const a = answer as UpstreamAnswer | null;
  const list = format === 'voyage' ? a?.data : a?.results;
  if (!Array.isArray(list)) return undefined;
  const results: RerankResult[] = list.map((x: { index?: unknown; relevance_score?: unknown }) => ({
    index: x?.index as number,
    relevance_score: x?.relevance_score as number,
  }));
  const tokens = a?.usage?.total_tokens;
  return {
    id: '',
    results,
    meta: { billed_units: typeof tokens === 'number' ? { input_tokens: tokens } : {} },
  };
}
