/**
 * POST /v1/rerank (and /v2/rerank, the path Cohere's SDKs call) in Cohere's v2 rerank format: auth -> route
 * -> admit (rate limits, a budget hold of the search units and tokens the documents may bill) -> attempts
 * over the targets whose adapter reranks (failover: the request can be sent again) -> meter, with the search
 * units and documents in the record's `units` and token-priced rerankers' tokens as prompt tokens.
 * Errors are in Cohere's shape, `{ message }`, plus the gateway's `code` (and `param`) for machines.
 */
import type Koa from 'koa';
import { errors, type GatewayError } from '../errors.js';
import type { Gateway } from '../gateway-types.js';
import { admitMedia, attemptMedia } from '../media.js';
import type { RerankRequest, RerankResponse, RerankResult } from '../types.js';
import { compile } from '../validation.js';
import { readJson } from './body.js';
import { mediaHandler } from './media-handlers.js';
import { check } from './openai-dialect.js';
import { responseHeaders, writeJson } from './respond.js';

/** Cohere bills one search unit per query of up to 100 documents (Bedrock: one query). */
export const DOCUMENTS_PER_SEARCH_UNIT = 100;

/** Cohere's v2 request; `return_documents` is the gateway's (the answer then carries each document's text). */
export const rerankRequestSchema = {
  type: 'object',
  required: ['model', 'query', 'documents'],
  properties: {
    model: { type: 'string', minLength: 1 },
    query: { type: 'string', minLength: 1 },
    documents: { type: 'array', minItems: 1, maxItems: 10_000, items: { type: 'string' } },
    top_n: { type: 'integer', minimum: 1 },
    max_tokens_per_doc: { type: 'integer', minimum: 1 },
    return_documents: { type: 'boolean' },
  },
};

const validateRerank = compile<RerankRequest>(rerankRequestSchema);

/** The error body of this route: Cohere's `{ message }`, with the gateway's code and param when set. */
export function cohereErrorBody(err: GatewayError): Record<string, unknown> {
  return { message: err.message, ...(err.code ? { code: err.code } : {}), ...(err.param ? { param: err.param } : {}) };
}

export const searchUnitsOf = (documents: number): number => Math.ceil(documents / DOCUMENTS_PER_SEARCH_UNIT);

export function rerankHandler(gw: Gateway): Koa.Middleware {
  return mediaHandler(
    gw,
    async (kctx, _base, start) => {
      const request = check(validateRerank, await readJson(kctx, gw.config.server.bodyLimit));
      const documents = request.documents.length;
      const ctx = start('rerank', request, { searchUnits: searchUnitsOf(documents), documents });
      await admitMedia(gw, ctx);
      const { return_documents: withDocuments, ...body } = request;
      const answer = await attemptMedia(gw, ctx, true, (a, target, call) =>
        a.rerank!({ ...body, model: target.model }, call),
      );
      const results = checkedResults(answer, documents, ctx.target!.provider);
      const billed = answer.meta?.billed_units ?? {};
      const searchUnits = count(billed.search_units);
      const tokens = count(billed.input_tokens);
      ctx.media = { ...(searchUnits ? { searchUnits } : {}), documents };
      if (tokens) ctx.usage = { prompt_tokens: tokens, completion_tokens: 0, total_tokens: tokens };
      const out: RerankResponse = {
        id: typeof answer.id === 'string' && answer.id ? answer.id : ctx.id,
        results: results.map((r) =>
          withDocuments
            ? { index: r.index, relevance_score: r.relevance_score, document: { text: request.documents[r.index] } }
            : { index: r.index, relevance_score: r.relevance_score },
        ),
        meta: { api_version: { version: '2' }, ...answer.meta },
      };
      writeJson(kctx, 200, responseHeaders(ctx), JSON.stringify(out));
      return { status: 200 };
    },
    cohereErrorBody,
    'cohere',
  );
}

/** The answer's results, each an index into the request's documents with a numeric score. */
function checkedResults(answer: RerankResponse, documents: number, provider: string): RerankResult[] {
  const results = answer?.results;
  if (!Array.isArray(results)) throw errors.upstreamBadResponse(provider, 'a rerank answer has no results');
  for (const r of results) {
    const ok = Number.isInteger(r?.index) && r.index >= 0 && r.index < documents && Number.isFinite(r.relevance_score);
    if (!ok) throw errors.upstreamBadResponse(provider, 'a rerank result has no valid index and relevance_score');
  }
  return results;
}

/** An upstream's unit count: a finite non-negative number, else 0. */
const count = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0);
