/**
 * Emulated token-priced rerank APIs on 127.0.0.1, in the wire formats their documentation gives, plus the
 * scoring every rerank emulator shares (`rankDocuments`: word overlap between query and document, best first).
 *
 * - 'jina' (https://api.jina.ai/v1/rerank, as Jina AI documents it; vLLM and Infinity serve the same):
 *   POST /v1/rerank `{ model, query, documents, top_n?, return_documents? (default true) }` ->
 *   `{ model, usage: { total_tokens }, results: [{ index, relevance_score, document?: { text } }] }`.
 * - 'voyage' (https://api.voyageai.com/v1/rerank, Voyage's API reference):
 *   POST /v1/rerank `{ model, query, documents, top_k?, return_documents? (default false), truncation? }` ->
 *   `{ object: 'list', data: [{ index, relevance_score, document? }], model, usage: { total_tokens } }`.
 * Both count tokens as Voyage documents it: query tokens x documents + the documents' tokens. Bearer auth
 * (`test-key`); fields the format does not have are refused with 400 `{ detail }` (so a request in the other
 * format fails). Model ids 'error-<status>' answer that status; 'slow' waits 2 s.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { countTokens } from '../../plugins/providers/mock/simulate.js';

export interface RerankRecorded {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: any;
}

export interface RerankEmulator {
  url: string;
  requests: RerankRecorded[];
  close(): Promise<void>;
}

const words = (s: string) => new Set(s.toLowerCase().match(/[a-z0-9]+/g) ?? []);

/** Indices and scores of the documents, best first (ties by index), at most `top`. */
export function rankDocuments(
  query: string,
  documents: string[],
  top?: number,
): Array<{ index: number; score: number }> {
  const q = words(query);
  const scored = documents.map((d, index) => {
    const w = words(d);
    let shared = 0;
    for (const x of w) if (q.has(x)) shared++;
    const score = w.size + q.size ? Math.round((shared / Math.sqrt((w.size || 1) * (q.size || 1))) * 1e6) / 1e6 : 0;
    return { index, score };
  });
  scored.sort((a, b) => b.score - a.score || a.index - b.index);
  return scored.slice(0, top ?? scored.length);
}

/** Tokens as token-priced rerankers bill them: query tokens x documents + the documents' tokens. */
export function rerankTokens(query: string, documents: string[]): number {
  return countTokens(query) * documents.length + documents.reduce((n, d) => n + countTokens(d), 0);
}

const FIELDS = {
  jina: new Set(['model', 'query', 'documents', 'top_n', 'return_documents']),
  voyage: new Set(['model', 'query', 'documents', 'top_k', 'return_documents', 'truncation']),
};

export async function startRerankEmulator(format: 'jina' | 'voyage', apiKey = 'test-key'): Promise<RerankEmulator> {
  const requests: RerankRecorded[] = [];
  const server = http.createServer(async (req, res) => {
    const parts: Buffer[] = [];
    for await (const c of req) parts.push(c as Buffer);
    const text = Buffer.concat(parts).toString('utf8');
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    let body: any;
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      return send(400, { detail: 'Invalid JSON body' });
    }
    requests.push({ path: req.url ?? '', headers: req.headers, body });
    if (req.method !== 'POST' || req.url !== '/v1/rerank') return send(404, { detail: 'Not Found' });
    if (req.headers.authorization !== `Bearer ${apiKey}`) return send(401, { detail: 'Invalid API key' });
    const unknown = Object.keys(body).filter((k) => !FIELDS[format].has(k));
    if (unknown.length) return send(400, { detail: `Unrecognized request argument: ${unknown.join(', ')}` });
    const { model, query, documents } = body;
    if (typeof query !== 'string' || !Array.isArray(documents) || !documents.every((d) => typeof d === 'string'))
      return send(400, { detail: 'query must be a string and documents a list of strings' });
    const status = /^error-(\d{3})$/.exec(String(model))?.[1];
    if (status) return send(Number(status), { detail: `emulated error ${status}` });
    if (model === 'slow') await new Promise((r) => setTimeout(r, 2000));
    const top = format === 'voyage' ? body.top_k : body.top_n;
    const withDocs = body.return_documents ?? format === 'jina';
    const ranked = rankDocuments(query, documents, top).map((r) => ({
      index: r.index,
      relevance_score: r.score,
      ...(withDocs ? { document: format === 'jina' ? { text: documents[r.index] } : documents[r.index] } : {}),
    }));
    const usage = { total_tokens: rerankTokens(query, documents) };
    if (format === 'voyage') return send(200, { object: 'list', data: ranked, model, usage });
    return send(200, { model, usage, results: ranked });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
