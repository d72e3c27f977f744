/**
 * core/json-depth.ts: how deep a JSON text nests, before it is parsed. Checked against the depth of the
 * parsed value for random JSON (both of its paths: few brackets, and more brackets than the bound), and
 * for brackets and escaped quotes inside strings.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { jsonNestsDeeperThan, MAX_JSON_DEPTH } from '../../core/json-depth.js';

const RUNS = Number(process.env.SY_PROPERTY_RUNS ?? 300);

/** Nesting depth of a parsed value: 0 for a scalar, 1 for [] or {}, one more per level inside. */
function depthOf(v: unknown): number {
  if (v === null || typeof v !== 'object') return 0;
  const inner = Array.isArray(v) ? v : Object.values(v);
  return 1 + inner.reduce<number>((m, x) => Math.max(m, depthOf(x)), 0);
}

/** Strings full of what the scan must step over: brackets, quotes, backslashes. */
const tricky = fc.stringMatching(/^[[\]{}"\\a ]{0,12}$/);
const value = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    tricky,
    fc.integer(),
    fc.constant(null),
    fc.array(tie('node'), { maxLength: 4 }),
    fc.dictionary(tricky, tie('node'), { maxKeys: 4 }),
  ),
})).node;

test('the same answer as the parsed value depth, for any bound, strings full of brackets and quotes', () => {
  fc.assert(
    fc.property(value, fc.integer({ min: 0, max: 8 }), fc.boolean(), (v, max, pretty) => {
      const text = JSON.stringify(v, null, pretty ? 2 : undefined);
      assert.equal(jsonNestsDeeperThan(text, max), depthOf(v) > max, `${text} (max ${max})`);
    }),
    { numRuns: RUNS * 3 },
  );
});

test('more opening brackets than the bound, side by side or inside strings, is not depth', () => {
  const wide = JSON.stringify(Array.from({ length: MAX_JSON_DEPTH * 3 }, () => ({ a: [1] })));
  assert.equal(jsonNestsDeeperThan(wide), false, 'many shallow objects');
  const quoted = JSON.stringify({ content: '{['.repeat(MAX_JSON_DEPTH * 4) });
  assert.equal(jsonNestsDeeperThan(quoted), false, 'brackets in a string');
  const escaped = JSON.stringify({ content: `\\"${'{'.repeat(MAX_JSON_DEPTH + 1)}\\"` });
  assert.equal(jsonNestsDeeperThan(escaped), false, 'brackets between escaped quotes');
});

test('the bound itself: MAX_JSON_DEPTH levels pass, one more is refused', () => {
  const nest = (n: number) => '['.repeat(n) + ']'.repeat(n);
  assert.equal(jsonNestsDeeperThan(nest(MAX_JSON_DEPTH)), false);
  assert.equal(jsonNestsDeeperThan(nest(MAX_JSON_DEPTH + 1)), true);
  const objects = (n: number) => '{"a":'.repeat(n - 1) + '{}' + '}'.repeat(n - 1);
  assert.equal(jsonNestsDeeperThan(objects(MAX_JSON_DEPTH)), false);
  assert.equal(jsonNestsDeeperThan(objects(MAX_JSON_DEPTH + 1)), true);
  // deep, after many shallow brackets: the count passes the bound and the scan finds the depth
  const both = `[${JSON.stringify(Array.from({ length: 200 }, () => [])).slice(1, -1)},${nest(MAX_JSON_DEPTH)}]`;
  assert.equal(jsonNestsDeeperThan(both), true);
  assert.equal(jsonNestsDeeperThan(`"${'['.repeat(300)}`), false, 'unterminated: left to JSON.parse');
});
