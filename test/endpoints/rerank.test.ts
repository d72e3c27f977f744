/**
 * POST /v1/rerank (Cohere's v2 format) over HTTP with fetch (the official SDKs have no rerank call) against
 * emulated Cohere, Jina, Voyage and Bedrock: each upstream's documented format, the canonical answer, search
 * units and tokens priced from the catalog, failover, governance (400s in Cohere's shape, 401, budgets and
 * rate limits), one meter record per request, and the units in the SQLite ledger, its totals and CSV export.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { rerankTokens } from '../emulators/rerank.js';
import { eventually } from '../helpers/gateway.js';
import { DOCS, POOR_KEY, QUERY, RPM_KEY, startRerankEnv, unitsInLedger, type RerankEnv } from './rerank-env.js';

const CANARY = 'zqxrerankcanary';
let env: RerankEnv;

before(async () => {
  env = await startRerankEnv();
});
after(async () => {
  await env?.close();
});

test('cohere: the body goes to /v2/rerank as sent, the answer is Cohere v2, priced per search unit', async () => {
  const { status, headers, json } = await env.post('/v1/rerank', {
    model: 'rerank-v3.5',
    query: QUERY,
    documents: DOCS,
    top_n: 2,
    max_tokens_per_doc: 512,
  });
  assert.equal(status, 200, JSON.stringify(json));
  assert.deepEqual(
    json.results.map((r: any) => r.index),
    [1, 0],
  );
  assert.ok(json.results[0].relevance_score > json.results[1].relevance_score);
  assert.equal(json.results[0].document, undefined);
  assert.equal(typeof json.id, 'string');
  assert.deepEqual(json.meta.billed_units, { search_units: 1 });
  assert.equal(json.meta.api_version.version, '2');
  assert.equal(headers.get('x-switchyard-provider'), 'cohere');
  const up = env.cohere.requests.at(-1)!;
  assert.equal(up.path, '/v2/rerank');
  assert.deepEqual(up.body, { model: 'rerank-v3.5', query: QUERY, documents: DOCS, top_n: 2, max_tokens_per_doc: 512 });
  const rec = await env.record(headers.get('x-request-id')!);
  assert.equal(rec.operation, 'rerank');
  assert.equal(rec.dialect, 'cohere');
  assert.equal(rec.status, 200);
  assert.deepEqual(rec.units, { searchUnits: 1, documents: 3 });
  assert.equal(rec.promptTokens, 0);
  assert.equal(rec.costUsd, 0.002); // $2.00 per 1,000 searches
});

test('return_documents (the gateway adds them) and the /v2/rerank path of the Cohere SDKs', async () => {
  const { status, json } = await env.post('/v2/rerank', {
    model: 'cohere/rerank-v3.5',
    query: QUERY,
    documents: DOCS,
    return_documents: true,
  });
  assert.equal(status, 200);
  assert.equal(json.results.length, 3);
  for (const r of json.results) assert.equal(r.document.text, DOCS[r.index]);
  assert.equal(env.cohere.requests.at(-1)!.body.return_documents, undefined, 'not sent to Cohere v2');
});

test('jina: top_n, documents not asked back, usage.total_tokens billed as tokens', async () => {
  const { status, headers, json } = await env.post('/v1/rerank', {
    model: 'jina-reranker-v2-base-multilingual',
    query: QUERY,
    documents: DOCS,
    top_n: 1,
  });
  assert.equal(status, 200, JSON.stringify(json));
  assert.deepEqual(
    json.results.map((r: any) => r.index),
    [1],
  );
  const tokens = rerankTokens(QUERY, DOCS);
  assert.deepEqual(json.meta.billed_units, { input_tokens: tokens });
  const up = env.jina.requests.at(-1)!;
  assert.deepEqual(up.body, {
    model: 'jina-reranker-v2-base-multilingual',
    query: QUERY,
    documents: DOCS,
    top_n: 1,
    return_documents: false,
  });
  assert.equal(up.headers.authorization, 'Bearer test-key');
  const rec = await env.record(headers.get('x-request-id')!);
  assert.equal(rec.provider, 'jina');
  assert.equal(rec.promptTokens, tokens);
  assert.deepEqual(rec.units, { documents: 3 });
  assert.equal(rec.costUsd, (tokens * 0.05) / 1e6);
});

test('voyage: top_n becomes top_k, data becomes results, a field Voyage lacks is dropped and named', async () => {
  const { status, headers, json } = await env.post('/v1/rerank', {
    model: 'rerank-2.5',
    query: QUERY,
    documents: DOCS,
    top_n: 2,
    max_tokens_per_doc: 100,
  });
  assert.equal(status, 200, JSON.stringify(json));
  assert.deepEqual(
    json.results.map((r: any) => r.index),
    [1, 0],
  );
  assert.equal(headers.get('x-switchyard-provider'), 'voyage');
  assert.match(headers.get('x-switchyard-dropped-params') ?? '', /max_tokens_per_doc/);
  assert.deepEqual(env.voyage.requests.at(-1)!.body, {
    model: 'rerank-2.5',
    query: QUERY,
    documents: DOCS,
    top_k: 2,
    return_documents: false,
  });
  const rec = await env.record(headers.get('x-request-id')!);
  assert.equal(rec.promptTokens, rerankTokens(QUERY, DOCS));
  assert.equal(rec.costUsd, (rerankTokens(QUERY, DOCS) * 0.05) / 1e6);
});

test('bedrock: the agent runtime Rerank API, SigV4-signed, a foundation-model ARN, per query of 100', async () => {
  const { status, headers, json } = await env.post('/v1/rerank', {
    model: 'bedrock/cohere.rerank-v3-5:0',
    query: QUERY,
    documents: DOCS,
    top_n: 2,
  });
  assert.equal(status, 200, JSON.stringify(json));
  assert.deepEqual(
    json.results.map((r: any) => r.index),
    [1, 0],
  );
  const up = env.bedrock.requests.at(-1)!;
  assert.equal(up.path, '/rerank');
  assert.match(
    String(up.headers.authorization),
    /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-east-1\/bedrock\//,
  );
  const config = up.body.rerankingConfiguration.bedrockRerankingConfiguration;
  assert.equal(config.modelConfiguration.modelArn, 'arn:aws:bedrock:us-east-1::foundation-model/cohere.rerank-v3-5:0');
  assert.equal(config.numberOfResults, 2);
  assert.deepEqual(up.body.queries, [{ type: 'TEXT', textQuery: { text: QUERY } }]);
  assert.equal(up.body.sources[1].inlineDocumentSource.textDocument.text, DOCS[1]);
  const rec = await env.record(headers.get('x-request-id')!);
  assert.deepEqual(rec.units, { searchUnits: 1, documents: 3 });
  assert.equal(rec.costUsd, 0.002);

  // 150 documents are two queries; Amazon Rerank is $1.00 per 1,000.
  const many = Array.from({ length: 150 }, (_, i) => `document ${i} about the capital`);
  const two = await env.post('/v1/rerank', { model: 'bedrock/amazon.rerank-v1:0', query: QUERY, documents: many });
  assert.equal(two.status, 200, JSON.stringify(two.json));
  assert.equal(two.json.results.length, 150);
  const rec2 = await env.record(two.headers.get('x-request-id')!);
  assert.deepEqual(rec2.units, { searchUnits: 2, documents: 150 });
  assert.equal(rec2.costUsd, 0.002);
});

test('failover: a reranker that fails over to the next target of the alias', async () => {
  const { status, headers, json } = await env.post('/v1/rerank', {
    model: 'rerank-any',
    query: QUERY,
    documents: DOCS,
  });
  assert.equal(status, 200, JSON.stringify(json));
  assert.equal(headers.get('x-switchyard-provider'), 'voyage');
  const rec = await env.record(headers.get('x-request-id')!);
  assert.equal(rec.attempts, 2);
  assert.equal(rec.attemptLog![0].target, 'cohere/error-503');
  assert.equal(rec.attemptLog![0].status, 503);
});

test('bad input is a 400 in Cohere shape; no key 401; a provider that cannot rerank 400', async () => {
  const cases: Array<[unknown, string]> = [
    [{ model: 'rerank-v3.5', documents: DOCS }, 'query'],
    [{ model: 'rerank-v3.5', query: QUERY, documents: [] }, 'documents'],
    [{ model: 'rerank-v3.5', query: QUERY, documents: [{ text: 'x' }] }, 'documents[0]'],
    [{ model: 'rerank-v3.5', query: QUERY, documents: DOCS, top_n: 0 }, 'top_n'],
    [{ query: QUERY, documents: DOCS }, 'model'],
  ];
  for (const [body, param] of cases) {
    const r = await env.post('/v1/rerank', body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal(typeof r.json.message, 'string');
    assert.equal(r.json.code, 'invalid_request');
    assert.equal(r.json.param, param);
    assert.equal(r.json.error, undefined, 'not the OpenAI shape');
  }
  const notJson = await env.post('/v1/rerank', '{"model":');
  assert.equal(notJson.status, 400);
  assert.equal(typeof notJson.json.message, 'string');
  const anon = await env.post('/v1/rerank', { model: 'rerank-v3.5', query: QUERY, documents: DOCS }, null);
  assert.equal(anon.status, 401);
  assert.equal(typeof anon.json.message, 'string');
  const mock = await env.post('/v1/rerank', { model: 'mock/mock-small', query: QUERY, documents: DOCS });
  assert.equal(mock.status, 400);
  assert.equal(mock.json.code, 'unsupported_operation');
});

test('budgets and rate limits refuse; upstream errors keep their status; every request is metered', async () => {
  const before = env.records.length;
  const poor = await env.post('/v1/rerank', { model: 'rerank-v3.5', query: QUERY, documents: DOCS }, POOR_KEY);
  assert.equal(poor.status, 429);
  assert.equal(poor.json.code, 'insufficient_quota');
  const poorTokens = await env.post('/v1/rerank', { model: 'rerank-2.5', query: QUERY, documents: DOCS }, POOR_KEY);
  assert.equal(poorTokens.status, 429, 'a token-priced reranker is held from the tokens the documents may bill');
  await env.post('/v1/rerank', { model: 'rerank-v3.5', query: QUERY, documents: DOCS }, RPM_KEY);
  const limited = await env.post('/v1/rerank', { model: 'rerank-v3.5', query: QUERY, documents: DOCS }, RPM_KEY);
  assert.equal(limited.status, 429);
  assert.equal(limited.json.code, 'rate_limit_exceeded');
  const upstream = await env.post('/v1/rerank', {
    model: 'cohere/error-429',
    query: `${CANARY} ${QUERY}`,
    documents: [`${CANARY} document`],
  });
  assert.equal(upstream.status, 429);
  assert.match(upstream.json.message, /per minute request limit/);
  await eventually(() => env.records.length >= before + 5, 5000);
  const mine = env.records.slice(before);
  assert.ok(mine.every((r) => r.operation === 'rerank'));
  assert.ok(mine.some((r) => r.status === 429 && r.provider === 'cohere' && r.model === 'error-429' && !r.costUsd));
  assert.ok(!env.t.logs.join('\n').includes(CANARY), 'no query or document in the logs');
});

test('the ledger: units per row, summed in /admin/usage totals and groups, and in the CSV export', async () => {
  const r = await env.post('/v1/rerank', { model: 'rerank-v3.5', query: QUERY, documents: DOCS });
  const id = r.headers.get('x-request-id')!;
  let rows = '';
  for (let i = 0; i < 100 && !rows.includes(id); i++) {
    rows = await (await env.admin(`/admin/usage?key=app&format=csv`)).text();
    if (!rows.includes(id)) await new Promise((res) => setTimeout(res, 50));
  }
  const [head, ...lines] = rows.trim().split('\n');
  assert.match(head, /,units$/);
  const line = lines.find((l) => l.includes(id))!;
  assert.match(line, /,searchUnits=1;documents=3$/);
  const usage = (await (await env.admin('/admin/usage?key=app&group_by=model')).json()) as any;
  assert.ok(usage.totals.searchUnits >= 4, JSON.stringify(usage.totals));
  assert.ok(usage.totals.documents >= 150);
  const group = usage.groups.find((g: any) => g.group.model === 'rerank-v3.5');
  assert.ok(group.searchUnits >= 2 && group.documents >= 6);
  const groupsCsv = await (await env.admin('/admin/usage?key=app&group_by=model&format=csv')).text();
  assert.match(groupsCsv.split('\n')[0], /,images,audioSeconds,characters,searchUnits,documents$/);
});

test('a rerank, an image and a speech request: ledger rows with their units (SQLite)', async () => {
  const u = await unitsInLedger(env);
  assert.equal(u.rerank, 'searchUnits=1;documents=3');
  assert.equal(u.image, 'images=1;imageSize=1024x1024');
  assert.equal(u.speech, 'characters=18');
});
