/** "Did you mean" (core/suggest.ts): the closest known name within a few edits, or none. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closest, editDistance } from '../../core/suggest.js';

test('edit distance counts inserts, deletes, substitutions and a swap of neighbours as one edit each', () => {
  assert.equal(editDistance('port', 'port'), 0);
  assert.equal(editDistance('prot', 'port'), 1, 'a swap');
  assert.equal(editDistance('groupBy', 'group_by'), 1, 'case-insensitive, one insert');
  assert.equal(editDistance('', 'abc'), 3);
  assert.equal(editDistance('kitten', 'sitting'), 3);
});

test('closest: within two edits (one for short names), and none on a tie or past the limit', () => {
  const options = ['config', 'port', 'host', 'help', 'version', 'url', 'name', 'project', 'id', 'models', 'budget'];
  assert.equal(closest('prot', options), 'port');
  assert.equal(closest('confg', options), 'config');
  assert.equal(closest('verison', options), 'version');
  assert.equal(closest('frobnicate', options), undefined);
  assert.equal(closest('hxst', options), 'host');
  assert.equal(closest('hext', options), undefined, 'host and help are both 2 edits away; a short name allows 1');
  assert.equal(closest('ab', ['ax', 'ay']), undefined, 'a tie suggests nothing');
  assert.equal(closest('modle', ['model', 'models'], 2), 'model');
});
