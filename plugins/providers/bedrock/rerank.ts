/**
 * Rerank on Bedrock through the Agents for Amazon Bedrock runtime's Rerank API (POST {agentRuntimeURL}/rerank,
 * signed like the runtime: SigV4 service "bedrock"), for Amazon Rerank (amazon.rerank-v1:0) and Cohere Rerank
 * (cohere.rerank-v3-5:0):
 *   { queries: [{ type: 'TEXT', textQuery: { text } }],
 *     sources: [{ type: 'INLINE', inlineDocumentSource: { type: 'TEXT', textDocument: { text } } }, ...],
 *     rerankingConfiguration: { type: 'BEDROCK_RERANKING_MODEL', bedrockRerankingConfiguration: {
 *       numberOfResults, modelConfiguration: { modelArn, additionalModelRequestFields? } } } }
 *   -> { results: [{ index, relevanceScore, document? }], nextToken? }
 * Bedrock bills per query of up to 100 documents and reports no usage: the canonical answer's
 * `search_units` is that count, computed from the documents sent.
 */
import type { RerankRequest, RerankResponse } from '../../../core/types.js';

const DOCUMENTS_PER_QUERY = 100;

/** The model's ARN: the id as given when it is one, else the region's foundation model. */
export function rerankModelArn(model: string, region: string): string {
  return model.startsWith('arn:') ? model : `arn:aws:bedrock:${region}::foundation-model/${model}`;
}

export function toBedrockRerank(r: RerankRequest, region: string): { body: unknown; dropped: string[] } {
  const known = new Set(['model', 'query', 'documents', 'top_n', 'max_tokens_per_doc']);
  const dropped = Object.keys(r).filter((k) => !known.has(k) && r[k] !== undefined);
  // Cohere's models on Bedrock take Cohere's own fields as additional model request fields; Amazon's has none.
  const cohere = /cohere\./.test(r.model);
  if (r.max_tokens_per_doc !== undefined && !cohere) dropped.push('max_tokens_per_doc');
  const modelConfiguration: Record<string, unknown> = { modelArn: rerankModelArn(r.model, region) };
  if (cohere && r.max_tokens_per_doc !== undefined)
    modelConfiguration.additionalModelRequestFields = { max_tokens_per_doc: r.max_tokens_per_doc };
  return {
    body: {
      queries: [{ type: 'TEXT', textQuery: { text: r.query } }],
      sources: r.documents.map((text) => ({
        type: 'INLINE',
        inlineDocumentSource: { type: 'TEXT', textDocument: { text } },
      })),
      rerankingConfiguration: {
        type: 'BEDROCK_RERANKING_MODEL',
        bedrockRerankingConfiguration: {
          numberOfResults: Math.min(r.top_n ?? r.documents.length, r.documents.length),
          modelConfiguration,
        },
      },
    },
    dropped,
  };
}

/** The canonical answer; undefined when the upstream's has no results. */
export function fromBedrockRerank(answer: unknown, documents: number, id: string): RerankResponse | undefined {
  const results = (answer as { results?: unknown } | null)?.results;
  if (!Array.isArray(results)) return undefined;
  return {
    id,
    results: results.map((x: { index?: unknown; relevanceScore?: unknown }) => ({
      index: x?.index as number,
      relevance_score: x?.relevanceScore as number,
    })),
    meta: { billed_units: { search_units: Math.ceil(documents / DOCUMENTS_PER_QUERY) } },
  };
}
