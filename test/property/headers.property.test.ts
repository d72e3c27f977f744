/**
 * Property-based tests of header handling (issue 14): arbitrary values in every request header the
 * gateway reads (request id, cache controls, target override, Anthropic headers, keys) on every
 * ingress. Invariant: a clean answer (200, or a 4xx in the client's dialect) in bounded time, every
 * response header a valid field value, and the request id echoed only when it is a sane id.
 * (Model names and body keys that reach response headers: the todo property in ingress.property.test.ts.)
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { request } from 'undici';
import { mock } from '../../index.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

const RUNS = Number(process.env.SY_PROPERTY_RUNS ?? 80);
const KEY = 'sk-headers-0123456789abcdef';
let t: TestGateway;

before(async () => {
  t = await startGateway({
    providers: [mock()],
    auth: { keys: [KEY] },
    cache: {},
    routing: { aliases: { fast: ['mock/a', 'mock/b'] } },
  });
});
after(() => t.close());

/** What a client can put in a header value: visible ASCII, space, tab (no CR, LF or NUL). */
const value = fc
  .string({
    unit: fc.oneof(
      fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
      fc.constant('\t'),
    ),
    maxLength: 200,
  })
  .map((s) => s.trim());
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const PATHS = [
  {
    path: '/v1/chat/completions',
    body: { model: 'mock/m', messages: [{ role: 'user', content: 'hi' }] },
    anthropic: false,
  },
  {
    path: '/v1/messages',
    body: { model: 'fast', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] },
    anthropic: true,
  },
  {
    path: '/v1/messages/count_tokens',
    body: { model: 'fast', messages: [{ role: 'user', content: 'hi' }] },
    anthropic: true,
  },
  { path: '/v1/responses', body: { model: 'mock/m', input: 'hi' }, anthropic: false },
  { path: '/v1/embeddings', body: { model: 'mock/e', input: 'hi' }, anthropic: false },
];

const headers = fc.record(
  {
    'x-request-id': fc.oneof(value, fc.stringMatching(/^[A-Za-z0-9._:-]{1,140}$/)),
    'cache-control': fc.oneof(value, fc.constantFrom('no-cache', 'no-store', 'no-cache, no-store')),
    'x-switchyard-cache-namespace': value,
    'x-switchyard-cache-ttl': fc.oneof(value, fc.nat().map(String), fc.constant('99999999999999999999')),
    'x-switchyard-target': fc.oneof(value, fc.constantFrom('mock/x', 'mock/', 'nope/x', '/')),
    'x-switchyard-tier': value,
    'anthropic-version': value,
    'anthropic-beta': value,
    'x-api-key': value,
    authorization: fc.oneof(
      fc.constant(`Bearer ${KEY}`),
      value.map((v) => `Bearer ${v}`),
      value,
    ),
  },
  { requiredKeys: [] },
);

test(
  'property: arbitrary request header values get a clean ' + 'answer with valid response headers on every ingress',
  async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...PATHS), headers, fc.boolean(), async (p, h, stream) => {
        const res = await request(`${t.url}${p.path}`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(h.authorization === undefined ? { authorization: `Bearer ${KEY}` } : {}),
            ...h,
          },
          body: JSON.stringify({ ...p.body, ...(stream ? { stream: true } : {}) }),
          signal: AbortSignal.timeout(15_000),
        });
        const raw = await res.body.text();
        const where = `${p.path} ${res.statusCode} ${raw.slice(0, 200)} <- ${JSON.stringify(h)}`;
        assert.ok(
          res.statusCode === 200 || (res.statusCode >= 400 && res.statusCode < 500 && res.statusCode !== 429),
          where,
        );
        for (const [name, v] of Object.entries(res.headers)) {
          for (const one of [v ?? ''].flat()) assert.match(one, FIELD_VALUE, `${name}: ${where}`);
        }
        const given = h['x-request-id'];
        const id = String(res.headers['x-request-id']);
        if (given !== undefined && SANE_ID.test(given)) assert.equal(id, given, where);
        else assert.match(id, UUID, where);
        if (res.statusCode !== 200) {
          const j = JSON.parse(raw);
          if (p.anthropic) assert.ok(j.type === 'error' && typeof j.error?.message === 'string', where);
          else assert.ok(typeof j.error?.message === 'string' && typeof j.error?.type === 'string', where);
        }
      }),
      { numRuns: RUNS, endOnFailure: true },
    );
  },
);
