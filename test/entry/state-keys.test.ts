/** Typed state keys: one name per slot, read and written through the key (the router's `models` list). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getState, setState, stateKey } from '../../index.js';
import { MODELS_LIST, MODELS_LIST_STATE } from '../../plugins/router/index.js';

test('a key reads back what was set under its name, typed', () => {
  const COUNT = stateKey<number>('test.count');
  const ctx = { state: {} as Record<string, unknown> };
  assert.equal(getState(ctx, COUNT), undefined);
  setState(ctx, COUNT, 3);
  const n: number | undefined = getState(ctx, COUNT);
  assert.equal(n, 3);
  assert.equal(ctx.state['test.count'], 3);
});

test("the router's models list key keeps its old string name (deprecated alias)", () => {
  assert.equal(MODELS_LIST.name, 'router.modelsList');
  assert.equal(MODELS_LIST_STATE, MODELS_LIST.name);
});
