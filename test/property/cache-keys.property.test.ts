/**
 * Property-based tests of the cache keys (plugins/cache/keys.ts, issue 14): stableStringify is JSON
 * for any value and ignores key order; the exact key is equal exactly when the normalised request,
 * the tenant, the namespace and the target are; the context key ignores only the last turn. Any
 * value the ingress accepts (nesting up to MAX_JSON_DEPTH) hashes without throwing.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import type { ChatContext, Target } from '../../core/context.js';
import { MAX_JSON_DEPTH } from '../../core/json-depth.js';
import type { ChatCompletionRequest } from '../../core/types.js';
import { canonical, contextKey, exactKey, stableStringify } from '../../plugins/cache/keys.js';

const RUNS = Number(process.env.SY_PROPERTY_RUNS ?? 300);
const json = fc.jsonValue({ maxDepth: 5, stringUnit: 'binary' });

/** The same value with every object's keys in another order. */
function shuffle(v: unknown, seed: number): unknown {
  if (Array.isArray(v)) return v.map((x, i) => shuffle(x, seed + i));
  if (v === null || typeof v !== 'object') return v;
  const keys = Object.keys(v);
  const order = keys.map((k, i) => [k, (seed * 7919 + i * 104729) % 1000003] as const).sort((a, b) => a[1] - b[1]);
  return Object.fromEntries(order.map(([k]) => [k, shuffle((v as Record<string, unknown>)[k], seed + 1)]));
}

const ctxOf = (request: ChatCompletionRequest, target: Target = { provider: 'p', model: 'm' }) =>
  ({ request, targets: [target], headers: {}, state: {} }) as unknown as ChatContext;

const message = fc.record(
  {
    role: fc.constantFrom('system', 'user', 'assistant', 'tool'),
    content: fc.oneof(
      fc.string({ unit: 'binary', maxLength: 30 }),
      fc.array(fc.record({ type: fc.constant('text'), text: fc.string({ maxLength: 10 }) }), {
        minLength: 1,
        maxLength: 3,
      }),
    ),
  },
  { requiredKeys: ['role', 'content'] },
);
const request = fc
  .record({
    messages: fc.array(message, { minLength: 1, maxLength: 4 }),
    temperature: fc.option(fc.double({ min: 0, max: 2, noNaN: true }), { nil: undefined }),
    tools: fc.option(fc.array(json, { maxLength: 2 }), { nil: undefined }),
    response_format: fc.option(json, { nil: undefined }),
    seed: fc.option(fc.integer(), { nil: undefined }),
  })
  .map((r) => ({ model: 'x', ...r }) as unknown as ChatCompletionRequest);

/** Reference: what the exact key must depend on (ignored fields out, one text part = a string). */
function reference(req: ChatCompletionRequest, tenant: string, ns: string, t: Target): string {
  const IGNORED = ['stream', 'stream_options', 'user', 'model', 'metadata', 'store'];
  const fields = Object.fromEntries(
    Object.entries(req).filter(([k, v]) => !IGNORED.includes(k) && v !== undefined && k !== 'messages'),
  );
  const messages = req.messages.map((m) => {
    const c = m.content;
    return Array.isArray(c) && c.length === 1 && c[0].type === 'text'
      ? { ...m, content: (c[0] as { text: string }).text }
      : m;
  });
  return stableStringify({ tenant, ns, p: t.provider, m: t.model, params: t.params ?? null, fields, messages });
}

test('property: stableStringify is JSON of the value, whatever its key order', () => {
  fc.assert(
    fc.property(json, fc.nat(), (v, seed) => {
      const s = stableStringify(v);
      assert.deepStrictEqual(JSON.parse(s), JSON.parse(JSON.stringify(v)));
      assert.equal(stableStringify(shuffle(v, seed)), s);
    }),
    { numRuns: RUNS },
  );
});

test('property: values nested up to MAX_JSON_DEPTH hash without throwing', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: MAX_JSON_DEPTH }), fc.boolean(), (depth, arrays) => {
      let v: unknown = 'leaf';
      for (let i = 1; i < depth; i++) v = arrays ? [v] : { k: v };
      const req = {
        model: 'x',
        messages: [{ role: 'user', content: 'hi' }],
        tools: [v],
      } as unknown as ChatCompletionRequest;
      assert.match(exactKey(ctxOf(req), 't', ''), /^cache:v3:/);
    }),
    { numRuns: 50 },
  );
});

test('property: exact keys are equal exactly when the normalised request, tenant, namespace and target are', () => {
  const side = fc.record({
    req: request,
    tenant: fc.constantFrom('p:a', 'p:b', 'k:a'),
    ns: fc.constantFrom('', 'n1'),
    target: fc.constantFrom<Target>(
      { provider: 'p', model: 'm' },
      { provider: 'p', model: 'm2' },
      { provider: 'q', model: 'm' },
      { provider: 'p', model: 'm', params: { temperature: 0 } },
    ),
  });
  // Pairs: independent, or the second derived from the first by changes the key must ignore.
  const pair = fc.oneof(
    fc.tuple(side, side),
    fc.tuple(side, fc.nat(), fc.string(), fc.boolean()).map(
      ([a, seed, user, stream]) =>
        [
          a,
          {
            ...a,
            req: { ...(shuffle(a.req, seed) as ChatCompletionRequest), user, stream, metadata: { seed } },
          },
        ] as const,
    ),
  );
  fc.assert(
    fc.property(pair, ([a, b]) => {
      const same = reference(a.req, a.tenant, a.ns, a.target) === reference(b.req, b.tenant, b.ns, b.target);
      const ka = exactKey(ctxOf(a.req, a.target), a.tenant, a.ns);
      const kb = exactKey(ctxOf(b.req, b.target), b.tenant, b.ns);
      assert.equal(ka === kb, same, `${same ? 'same request, different keys' : 'different requests, one key'}`);
      // A store after failover uses the answering target explicitly: the same as a lookup for that target.
      assert.equal(exactKey(ctxOf(a.req, { provider: 'z', model: 'z' }), a.tenant, a.ns, a.target), ka);
    }),
    { numRuns: RUNS },
  );
});

test('property: the context key ignores the last turn and nothing before it', () => {
  fc.assert(
    fc.property(request, message, message, (req, last1, last2) => {
      const a = { ...req, messages: [...req.messages, last1] } as ChatCompletionRequest;
      const b = { ...req, messages: [...req.messages, last2] } as ChatCompletionRequest;
      assert.equal(contextKey(ctxOf(a), 't', '', 'e'), contextKey(ctxOf(b), 't', '', 'e'));
      assert.notEqual(
        contextKey(ctxOf(a), 't', '', 'e'),
        contextKey(ctxOf({ ...a, messages: [last2, ...a.messages] } as ChatCompletionRequest), 't', '', 'e'),
      );
    }),
    { numRuns: RUNS },
  );
});

test('keys are the SHA-256 of the documented encoding: changing them orphans stored entries', () => {
  // Version 3 of the keys (length-prefixed strings instead of JSON, plugins/cache/keys.ts). The text
  // below is written out by hand from that encoding; a change here means every stored entry (Redis,
  // PostgreSQL) is missed after an upgrade, so it needs a new version prefix and a note in the docs.
  const ctx = {
    principal: { id: 'a' },
    targets: [{ provider: 'p', model: 'm' }],
    request: {
      model: 'm',
      messages: [
        { role: 'system', content: 's' },
        { role: 'user', content: [{ type: 'text', text: 'héllo' }] },
      ],
      temperature: 0.2,
      stream: true,
    },
  } as unknown as ChatContext;
  const head = 'v3\0t\0n\0p\0m\0\0s11:temperaturen0.2;\0';
  const system = '{2:s7:contents1:ss4:roles6:system';
  const user = '{2:s7:contents5:héllos4:roles4:user';
  const digest = (text: string) => createHash('sha256').update(text).digest('base64url');
  assert.equal(exactKey(ctx, 't', 'n'), `cache:v3:${digest(head + system + user)}`);
  assert.equal(contextKey(ctx, 't', 'n', 'e'), digest(`${head}embedder\0e\0${system}`));
});

/** Read one value of `canonical`'s encoding at r.at (the test's proof that the encoding decodes one way). */
function decode(text: string, r: { at: number }): unknown {
  const tag = text[r.at++];
  const count = () => {
    const colon = text.indexOf(':', r.at);
    const n = Number(text.slice(r.at, colon));
    r.at = colon + 1;
    return n;
  };
  switch (tag) {
    case 's': {
      const n = count();
      r.at += n;
      return text.slice(r.at - n, r.at);
    }
    case 'j': {
      // a JSON string: up to the first unescaped closing quote
      let end = r.at + 1;
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      const v = JSON.parse(text.slice(r.at, end + 1));
      r.at = end + 1;
      return v;
    }
    case 'n': {
      const end = text.indexOf(';', r.at);
      const v = JSON.parse(text.slice(r.at, end));
      r.at = end + 1;
      return v;
    }
    case 'z':
      return null;
    case 't':
      return true;
    case 'f':
      return false;
    case '[':
      return Array.from({ length: count() }, () => decode(text, r));
    case '{': {
      const o: Record<string, unknown> = {};
      for (let n = count(); n > 0; n--) {
        const k = decode(text, r) as string;
        Object.defineProperty(o, k, { value: decode(text, r), enumerable: true, writable: true, configurable: true });
      }
      return o;
    }
    default:
      throw new Error(`no value at ${r.at - 1}: ${JSON.stringify(text.slice(r.at - 1, r.at + 10))}`);
  }
}

test('property: the hashed encoding is equal exactly when stableStringify is, and decodes one way', () => {
  const enc = (v: unknown) => {
    const out: string[] = [];
    canonical(v, out);
    return out.join('');
  };
  const odd = fc.oneof(
    json,
    fc.constantFrom(NaN, Infinity, -0, 0, null, '\ud800', '\udc00', 'a\ud800b', '', 's1:a', '{', '\u0000'),
    fc.string({ unit: 'binary', maxLength: 6 }),
  );
  const value = fc.oneof(odd, fc.array(odd, { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 3 }), odd));
  fc.assert(
    fc.property(value, value, fc.nat(), (a, b, seed) => {
      assert.equal(
        enc(a) === enc(b),
        stableStringify(a) === stableStringify(b),
        `${stableStringify(a)} / ${stableStringify(b)}`,
      );
      assert.equal(enc(shuffle(a, seed)), enc(a));
      // it decodes, one value at a time, to what JSON would carry: so no two values share an encoding
      const both = enc(a) + enc(b);
      const r = { at: 0 };
      assert.deepEqual(decode(both, r), JSON.parse(stableStringify(a)));
      assert.deepEqual(decode(both, r), JSON.parse(stableStringify(b)));
      assert.equal(r.at, both.length);
    }),
    { numRuns: RUNS * 3 },
  );
  // lone surrogates, which UTF-8 turns into one replacement character, stay apart
  const key = (content: string) =>
    exactKey(ctxOf({ model: 'x', messages: [{ role: 'user', content }] } as ChatCompletionRequest), 't', '');
  assert.notEqual(key('\ud800'), key('\ud801'));
  assert.notEqual(key('\ud800'), key('\ufffd'));
  assert.equal(key('a\ud800'), key('a\ud800'));
});
