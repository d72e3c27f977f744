/** The semantic tier's false-hit guard, check by check, and the n-gram embedder's basic behaviour. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { embedNgrams } from '../../plugins/cache/embedders/ngram.js';
import { features, guard } from '../../plugins/cache/guard.js';

const refused = (a: string, b: string) => guard(a, b);

test('numbers: digits, separators and number words, in order', () => {
  assert.equal(refused('Track order 48213', 'track order 48231'), 'numbers');
  assert.equal(refused('Book a table for 2', 'Book a table for two'), 'numbers');
  assert.equal(refused('Convert 3 to 5', 'Convert 5 to 3'), 'numbers');
  assert.equal(refused('Refund 1,000 dollars', 'refund 1000 dollars'), undefined);
  assert.equal(refused('Book a table for two people', 'book a table for three people'), 'numbers');
});

test('identifiers: e-mails, URLs, codes', () => {
  assert.equal(refused('Email john@example.com the report', 'Email jane@example.com the report'), 'identifiers');
  assert.equal(refused('Summarise https://a.example/x', 'Summarise https://a.example/y'), 'identifiers');
  assert.equal(refused('Apply code SAVE10', 'Apply code SAVE20'), 'numbers');
  assert.equal(refused('What does user_id mean', 'What does userId mean'), 'identifiers');
  assert.equal(refused('Check ticket #4411', 'check ticket #4411 please'), undefined);
});

test('negation: an added or removed cue refuses; equivalent forms agree', () => {
  assert.equal(refused('Can I cancel my subscription?', "Can't I cancel my subscription?"), 'negation');
  assert.equal(refused('Is the store open on Sunday?', 'Is the store not open on Sunday?'), 'negation');
  assert.equal(refused('List all files', 'List all files except logs'), 'negation');
  assert.equal(refused('Make a salad without onions', 'Make a salad with onions'), 'negation');
  assert.equal(refused('I do not want a refund', "I don't want a refund"), undefined);
  assert.equal(refused('I never fly', 'I never fly.'), undefined);
});

test('entities: capitalised names, acronyms and quoted strings must appear in the other prompt', () => {
  assert.equal(refused('What is the capital of France?', 'What is the capital of Germany?'), 'entities');
  assert.equal(refused('Tell me about "blue" cars', 'Tell me about "red" cars'), 'entities');
  assert.equal(refused('Compare AWS pricing', 'Compare GCP pricing'), 'entities');
  assert.equal(refused('What is the capital of France?', "what's the capital of france"), undefined);
  assert.equal(refused('Paris weather today', 'weather today in Paris'), undefined);
});

test('lexical: a swapped content word refuses even in lower case; fillers and inflections do not', () => {
  assert.equal(refused('what is the capital of france', 'what is the capital of germany'), 'lexical');
  assert.equal(refused('how do i bake bread', 'how do i bake a cake'), 'lexical');
  assert.equal(refused('when does the shop open', 'where does the shop open'), 'lexical');
  assert.equal(refused('Explain how to reset my password', 'How do I reset my password?'), undefined);
  assert.equal(refused('How do I cancel my order', 'please, how to cancel orders'), undefined);
  assert.equal(refused('What is the cost of shipping?', 'shipping price'), undefined);
});

test('relations: the word after a directional word must agree when both prompts use it', () => {
  assert.equal(refused('Convert 5 miles to kilometers', 'Convert 5 kilometers to miles'), 'relations');
  assert.equal(refused('Is Rust faster than Go?', 'Is Go faster than Rust?'), 'relations');
  assert.equal(refused('Convert 5 miles to kilometers', 'please convert 5 miles to kilometers'), undefined);
  assert.equal(refused('Send the invoice to ops@example.com', 'Send ops@example.com the invoice'), undefined);
});

test('each check can be switched off', () => {
  assert.equal(guard('Track order 48213', 'track order 48231', { numbers: false, identifiers: false }), undefined);
  assert.equal(guard('what is the capital of france', 'what is the capital of germany', { lexical: false }), undefined);
});

test('features are plain data (no prompt text leaves the guard but what it compares)', () => {
  const f = features('Please email ops@example.com about order 12 for Acme, not "urgent"');
  assert.deepEqual(f.numbers, ['12']);
  assert.deepEqual(f.identifiers, ['ops@example.com']);
  assert.equal(f.negations, 1);
  assert.deepEqual(f.entities, ['acme', 'urgent']);
});

test('n-gram embedder: unit vectors, surface variants close, unrelated prompts far', () => {
  const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i], 0);
  const a = embedNgrams('What is the capital of France?', 256);
  assert.ok(Math.abs(dot(a, a) - 1) < 1e-5);
  assert.ok(dot(a, embedNgrams("what's the capital of france, please", 256)) > 0.9);
  assert.ok(dot(a, embedNgrams('Write a haiku about autumn leaves', 256)) < 0.3);
});
