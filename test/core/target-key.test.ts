/** core/target-key.ts: one "provider/model" string per pair, bounded by what clients can choose. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_TRACKED_TARGETS } from '../../core/bounded.js';
import { modelKey, targetKey } from '../../core/target-key.js';

test('a pair gets its "provider/model" key, the same string every time, however its parts were made', () => {
  const model = JSON.parse('{"m":"gpt-4o-mini"}').m as string;
  const a = modelKey('openai', model);
  assert.equal(a, 'openai/gpt-4o-mini');
  assert.equal(modelKey('openai', ['gpt', '4o', 'mini'].join('-')), a);
  assert.equal(targetKey({ provider: 'openai', model: 'gpt-4o-mini', tags: ['eu'] }), a);
  assert.equal(modelKey('azure', 'gpt-4o-mini'), 'azure/gpt-4o-mini');
  assert.equal(modelKey('openai', 'org/model:tag'), 'openai/org/model:tag', 'a model with a slash keeps it');
  assert.equal(modelKey('openai', ''), 'openai/');
});

test('client-chosen model names do not grow it without bound, and every key stays right', () => {
  for (let i = 0; i < MAX_TRACKED_TARGETS * 3; i++) assert.equal(modelKey('bounded', `m-${i}`), `bounded/m-${i}`);
  // the oldest were forgotten and are made again when asked for
  assert.equal(modelKey('bounded', 'm-0'), 'bounded/m-0');
  // many providers: past the bound on providers the key is built each time, still the same text
  for (let i = 0; i < 300; i++) assert.equal(modelKey(`p${i}`, 'x'), `p${i}/x`);
});
