/** LiveList: the gateway's lists of things in progress (open requests, meter work). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LiveList } from '../../core/live-list.js';

test('entries are added and removed in any order; a removed entry lets go of its neighbours and value', () => {
  const list = new LiveList<string>();
  const a = list.add('a');
  const b = list.add('b');
  const c = list.add('c');
  assert.equal(list.size, 3);
  assert.deepEqual(list.values(), ['c', 'b', 'a']);
  list.remove(b); // middle
  assert.deepEqual(list.values(), ['c', 'a']);
  assert.deepEqual([b.value, b.prev, b.next], [undefined, undefined, undefined]);
  list.remove(c); // head
  assert.deepEqual(list.values(), ['a']);
  list.remove(c); // twice: nothing
  list.remove(b);
  assert.equal(list.size, 1);
  list.remove(a); // last
  assert.equal(list.size, 0);
  assert.deepEqual(list.values(), []);
  const d = list.add('d');
  assert.deepEqual(list.values(), ['d']);
  assert.equal(d.next, undefined, 'removed entries are not linked');
});

test('an entry of another list is not removed; clear empties the list and returns what it held', () => {
  const one = new LiveList<number>();
  const two = new LiveList<number>();
  one.add(1);
  const x = two.add(2);
  one.remove(x);
  assert.equal(one.size, 1);
  assert.equal(two.size, 1);
  const held = [two.add(3), two.add(4)];
  assert.deepEqual(two.clear(), [4, 3, 2]);
  assert.equal(two.size, 0);
  assert.deepEqual(two.values(), []);
  for (const e of [x, ...held]) assert.deepEqual([e.value, e.prev, e.next], [undefined, undefined, undefined]);
  two.remove(x); // after clear: nothing
  assert.equal(two.size, 0);
});

test('values() is a snapshot: removing while iterating it is safe', () => {
  const list = new LiveList<number>();
  const entries = [1, 2, 3, 4].map((n) => list.add(n));
  const seen: number[] = [];
  for (const v of list.values()) {
    seen.push(v);
    list.remove(entries[v - 1]);
  }
  assert.deepEqual(seen, [4, 3, 2, 1]);
  assert.equal(list.size, 0);
});
